#!/bin/bash
# go-layout-dwarf.sh: the generated runtime layout tables against the DWARF
# of real binaries of every release of the matrix. For each crasher binary
# of the Go corpus that has DWARF (gen-cores.sh, shared with
# analyze-go-matrix.sh: plain, pie, trimpath, cgo), layout-check compares
# the table the analyzer picks for the binary's exact release with what
# that binary's DWARF says, field by field: a difference means a patch
# release moved a field and LAYOUTS in scripts/go-toolchain.sh lacks it
# (docs/go-releases.md). TAP: one test point per release/variant.
# Subsets: CW_GO_VERSIONS, CW_VARIANTS as for gen-cores.sh.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
cores=${CW_TEST_WORK:-$top_builddir/tests/work}/cores
check=$top_builddir/tests/integration/layout-check
dwarf_variants="plain pie trimpath cgo"

if ! "$here/gen-cores.sh" >/dev/null 2>&1; then
	echo "1..0 # SKIP corpus generation failed (analyze-go-matrix.sh reports it)"
	exit 0
fi
list=$(
	for rel in $("$top_srcdir/scripts/go-toolchain.sh" --list); do
		cw_release_wanted "$rel" || continue
		rel_variants=" $("$top_srcdir/scripts/go-toolchain.sh" --variants "$rel" | tr '\n' ' ') "
		for var in ${CW_VARIANTS:-$dwarf_variants}; do
			[[ " $dwarf_variants " == *" $var "* && "$rel_variants" == *" $var "* ]] && echo "$rel $var"
		done
	done
)
n=$(printf '%s\n' "$list" | grep -c .)
echo "1..$n"
i=0
while read -r rel var; do
	[ -n "$rel" ] || continue
	i=$((i + 1))
	bin=$cores/$rel/$var/crasher
	if [ ! -x "$bin" ]; then
		echo "not ok $i - $rel/$var: no binary (gen-cores.sh)"
		continue
	fi
	out=$("$check" "$bin" 2>&1)
	if [ $? = 0 ]; then
		echo "ok $i - $rel/$var ${out#\# }"
	else
		echo "not ok $i - $rel/$var"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done <<LIST
$list
LIST
