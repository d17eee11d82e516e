#!/bin/bash
# analyze-real-programs.sh: `crashwatch analyze --json` on the cores of large
# third-party Go programs crashed under load (gen-real-cores.sh: caddy with
# thousands of keep-alive connections, etcd under watch/put load, each built
# with the oldest and the newest Go release it supports; a command line tool
# on generic libraries, tests/go/real-generics, crashed by a nil dereference
# deep in generic code, built with 11 releases from 1.18.0), each compared
# strictly with the runtime's own GOTRACEBACK=crash traceback by compare.py.
# TAP: one test point per program/release; the differences are printed as
# comments (the first 40; all in tests/work/real-results/<program>/<release>.diff).
# Subsets: CW_REAL_PROGRAMS, CW_GO_VERSIONS as for gen-real-cores.sh (caddy
# is opt-in there: CW_REAL_PROGRAMS="caddy etcd generics").
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
real=${CW_TEST_WORK:-$top_builddir/tests/work}/real
results=$top_builddir/tests/work/real-results
crashwatch=$top_builddir/crashwatch

genlog=$(mktemp)
trap 'rm -f "$genlog"' EXIT
gen_ok=1
"$here/gen-real-cores.sh" >"$genlog" 2>&1 || gen_ok=0

runs=$("$here/gen-real-cores.sh" --list)
n=$(printf '%s\n' "$runs" | grep -c .)
echo "1..$((n + 1))"
if [ $gen_ok = 1 ]; then
	echo "ok 1 - real-program corpus generated (gen-real-cores.sh)"
else
	echo "not ok 1 - real-program corpus generation failed"
fi
sed 's/^/# /' "$genlog"

mkdir -p "$results"
batch=$results/.batch
: >"$batch"
for r in $runs; do
	prog=${r%%/*}
	mkdir -p "$results/$prog"
	[ -f "$real/$r/core" ] && [ -x "$crashwatch" ] || continue
	st=0
	timeout 300 "$crashwatch" analyze --json "$real/$r/$prog" "$real/$r/core" \
		>"$results/$r.json" 2>"$results/$r.err" || st=$?
	echo "$st" >"$results/$r.rc"
	[ "$st" = 0 ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$(cat "$real/$r/status")" \
		"$real/$r/buildinfo" "$real/$r/stderr" "$results/$r.json" "$results/$r.diff" >>"$batch"
done
: >"$results/.compared"
[ -s "$batch" ] && python3 "$here/compare.py" --batch "$batch" >"$results/.compared" 2>&1

i=1
for r in $runs; do
	i=$((i + 1))
	if [ ! -f "$real/$r/core" ]; then
		echo "not ok $i - $r # no core (see gen-real-cores.sh's output above)"
		continue
	fi
	if [ ! -x "$crashwatch" ]; then
		echo "not ok $i - $r # $crashwatch not built"
		continue
	fi
	st=$(cat "$results/$r.rc" 2>/dev/null || echo "?")
	if [ "$st" != 0 ]; then
		echo "not ok $i - $r # crashwatch analyze exited with $st"
		head -n 5 "$results/$r.err" 2>/dev/null | sed 's/^/# /'
		continue
	fi
	ng=$(grep -c '^goroutine ' "$real/$r/stderr")
	nd=$(awk -F'\t' -v n="$r" '$1 == n {print $2}' "$results/.compared")
	if [ "$nd" = 0 ]; then
		echo "ok $i - $r ($ng goroutines printed)"
	elif [ -z "$nd" ]; then
		echo "not ok $i - $r # not compared: $(tail -n 1 "$results/.compared")"
	else
		echo "not ok $i - $r: $nd differences"
		head -n 40 "$results/$r.diff" | sed 's/^/# /'
	fi
done
exit 0
