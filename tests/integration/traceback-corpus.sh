#!/bin/bash
# traceback-corpus.sh: the oracle checked against itself on the Go test
# corpus (gen-cores.sh), without the analyzer: traceback.py must understand
# every line of every runtime traceback and count its goroutines right, and
# compare.py must accept an analysis equal to the traceback and report each
# of a set of single mutations (oracle_selftest.py). TAP: one test point per
# release/variant. Subsets: CW_GO_VERSIONS, CW_VARIANTS, CW_MODES.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
cores=${CW_TEST_WORK:-$top_builddir/tests/work}/cores
all_variants="plain stripped pie trimpath cgo"

genlog=$(mktemp)
trap 'rm -f "$genlog"' EXIT
gen_ok=1
"$here/gen-cores.sh" >"$genlog" 2>&1 || gen_ok=0

pairs=
for rel in $("$top_srcdir/scripts/go-toolchain.sh" --list); do
	cw_release_wanted "$rel" || continue
	rel_variants=" $("$top_srcdir/scripts/go-toolchain.sh" --variants "$rel" | tr '\n' ' ') "
	for var in ${CW_VARIANTS:-$all_variants}; do
		[[ " $all_variants " != *" $var "* || "$rel_variants" == *" $var "* ]] || continue
		pairs="$pairs $rel/$var"
	done
done

set -- $pairs
echo "1..$(($# + 1))"
if [ $gen_ok = 1 ]; then
	echo "ok 1 - corpus generated (gen-cores.sh)"
else
	echo "not ok 1 - corpus generation failed"
	sed 's/^/# /' "$genlog"
fi
i=1
for pair in "$@"; do
	i=$((i + 1))
	files=()
	for f in "$cores/$pair"/*/stderr; do
		[ -f "$f" ] || continue
		mode=$(basename "$(dirname "$f")")
		if [ -n "${CW_MODES:-}" ] && [[ " $CW_MODES " != *" $mode "* ]]; then
			continue
		fi
		files+=("$f")
	done
	if [ ${#files[@]} -eq 0 ]; then
		echo "not ok $i - $pair: no tracebacks in $cores/$pair"
		continue
	fi
	if out=$(python3 "$here/oracle_selftest.py" "${files[@]}" 2>&1); then
		echo "ok $i - $pair: ${#files[@]} tracebacks parsed and compared"
	else
		echo "not ok $i - $pair"
		printf '%s\n' "$out" | sed "s|$cores/||; s/^/# /" | head -n 60
	fi
done
