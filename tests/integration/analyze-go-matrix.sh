#!/bin/bash
# analyze-go-matrix.sh: `crashwatch analyze --json` on every core of the Go
# test corpus (gen-cores.sh: releases x variants x modes), each compared
# strictly with the runtime's own traceback by compare.py. TAP: one test
# point per release/variant/mode; the differences are printed as comments
# (the first 40; all of them in tests/work/matrix/<release>/<variant>/<mode>.diff).
# Subsets: CW_GO_VERSIONS, CW_VARIANTS, CW_MODES as for gen-cores.sh, e.g.
#   CW_GO_VERSIONS=1.26 CW_VARIANTS=plain CW_MODES=nil-deref \
#     top_builddir=build-x tests/integration/analyze-go-matrix.sh
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
cores=${CW_TEST_WORK:-$top_builddir/tests/work}/cores
results=$top_builddir/tests/work/matrix
crashwatch=$top_builddir/crashwatch
all_variants="plain stripped pie trimpath cgo"

genlog=$(mktemp)
trap 'rm -f "$genlog"' EXIT
gen_ok=1
if ! "$here/gen-cores.sh" >"$genlog" 2>&1; then
	gen_ok=0
fi

# The runs to check, as "release variant mode" lines.
list=$(
	for rel in $("$top_srcdir/scripts/go-toolchain.sh" --list); do
		cw_release_wanted "$rel" || continue
		rel_variants=" $("$top_srcdir/scripts/go-toolchain.sh" --variants "$rel" | tr '\n' ' ') "
		for var in ${CW_VARIANTS:-$all_variants}; do
			[[ " $all_variants " != *" $var "* || "$rel_variants" == *" $var "* ]] || continue
			bin=$cores/$rel/$var/crasher
			if [ ! -x "$bin" ]; then
				echo "$rel $var (build)"
				continue
			fi
			known=" $("$bin" list | tr '\n' ' ') "
			for mode in ${CW_MODES:-$known}; do
				[[ "$known" == *" $mode "* ]] && echo "$rel $var $mode"
			done
		done
	done
)
n=$(printf '%s\n' "$list" | grep -c .)
echo "1..$((n + 1))"
if [ $gen_ok = 1 ]; then
	echo "ok 1 - corpus generated (gen-cores.sh)"
else
	echo "not ok 1 - corpus generation failed"
	sed 's/^/# /' "$genlog"
fi

# Analyse every core (two at a time), then compare them all in one batch.
mkdir -p "$results"
jobs=$results/.jobs
batch=$results/.batch
: >"$jobs"
: >"$batch"
while read -r rel var mode; do
	[ -n "$rel" ] && [ "$mode" != "(build)" ] && [ -f "$cores/$rel/$var/$mode/core" ] || continue
	mkdir -p "$results/$rel/$var"
	echo "$rel/$var/$mode" >>"$jobs"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rel/$var/$mode" "$(cat "$cores/$rel/$var/$mode/status")" \
		"$cores/$rel/$var/buildinfo" "$cores/$rel/$var/$mode/stderr" \
		"$results/$rel/$var/$mode.json" "$results/$rel/$var/$mode.diff" >>"$batch"
done <<EOF
$list
EOF
analyze_one() {
	local st=0
	rm -f "$results/$1.json" "$results/$1.diff"
	timeout 120 "$crashwatch" analyze --json "$cores/$1/crasher" "$cores/$1/core" \
		>"$results/$1.json" 2>"$results/$1.err" || st=$?
	echo "$st" >"$results/$1.rc"
}
export -f analyze_one
export results cores crashwatch
: >"$results/.compared"
if [ -x "$crashwatch" ] && [ -s "$jobs" ]; then
	xargs -P 2 -I{} bash -c 'analyze_one "$1"' _ {} <"$jobs"
	# Two comparers, each on half of the batch.
	split -n l/2 "$batch" "$batch."
	for part in "$batch".a?; do
		python3 "$here/compare.py" --batch "$part" >"$part.out" 2>&1 &
	done
	wait
	cat "$batch".a?.out >"$results/.compared"
	rm -f "$batch".a?*
fi

i=1
while read -r rel var mode; do
	[ -n "$rel" ] || continue
	i=$((i + 1))
	name="$rel/$var/$mode"
	if [ "$mode" = "(build)" ]; then
		echo "not ok $i - $rel/$var: the crasher was not built"
		continue
	fi
	dir=$cores/$rel/$var/$mode
	if [ ! -f "$dir/core" ]; then
		echo "not ok $i - $name # no core (exit status $(cat "$dir/status" 2>/dev/null))"
		continue
	fi
	if [ ! -x "$crashwatch" ]; then
		echo "not ok $i - $name # $crashwatch not built"
		continue
	fi
	st=$(cat "$results/$name.rc" 2>/dev/null || echo "?")
	if [ "$st" != 0 ]; then
		echo "not ok $i - $name # crashwatch analyze exited with $st"
		head -n 5 "$results/$name.err" 2>/dev/null | sed 's/^/# /'
		continue
	fi
	nd=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$results/.compared")
	if [ "$nd" = 0 ]; then
		echo "ok $i - $name"
	elif [ -z "$nd" ]; then
		echo "not ok $i - $name # not compared: $(tail -n 1 "$results/.compared")"
	else
		echo "not ok $i - $name # $nd differences"
		head -n 40 "$results/$name.diff" | sed 's/^/# /'
	fi
done <<EOF
$list
EOF
exit 0
