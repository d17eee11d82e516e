#!/bin/sh
# make bench: runs every bench/*-bench.sh in turn (from the build directory,
# with top_srcdir/top_builddir set) and fails if any of them fails.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
status=0
for b in "$top_srcdir"/bench/*-bench.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b")"
	sh -c 'exec bash "$0"' "$b" || status=1
done
exit $status
