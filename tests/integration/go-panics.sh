#!/bin/bash
# go-panics.sh: panics, fatal errors and faults from real cores. For the
# crasher modes that panic, throw or fault (tests/go/crasher, cores made by
# gen-cores.sh and shared with analyze-go-matrix.sh), runs
# `crashwatch analyze --json` and checks with check_crash.py: the panic
# lines (message, recovered, repanicked), the fatal error text and the
# [signal ...] line against the runtime's own output, the value's type, and
# the faulting instruction against objdump. Releases: those where the
# printing changed (CW_GO_VERSIONS to choose); variants plain and pie.
# TAP: one test point per release/variant/mode.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
export CW_GO_VERSIONS=${CW_GO_VERSIONS:-1.18 1.21 1.23 1.25 1.26 1.27}
export CW_VARIANTS=${CW_VARIANTS:-plain pie}
export CW_MODES=${CW_MODES:-panic-string panic-error panic-named-int panic-struct panic-pointer \
panic-nil-error repanic panic-in-defer goexit-then-panic index nil-deref goroutine-segv divide \
nil-map type-assert concurrent-map unlock-unlocked deadlock stack-overflow panic-then-fatal \
panic-join panic-bad-utf8 panic-during-panic}
cores=${CW_TEST_WORK:-$top_builddir/tests/work}/cores
out=$top_builddir/tests/work/panics
crashwatch=$top_builddir/crashwatch
mkdir -p "$out"

if ! "$here/gen-cores.sh" >"$out/gen.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - corpus generation (gen-cores.sh) failed"
	sed 's/^/# /' "$out/gen.log" | tail -20
	exit 0
fi

runs=()
for rel in $("$top_srcdir/scripts/go-toolchain.sh" --list); do
	cw_release_wanted "$rel" || continue
	for var in $CW_VARIANTS; do
		for mode in $CW_MODES; do
			runs+=("$rel $var $mode")
		done
	done
done
echo "1..${#runs[@]}"
i=0
for run in "${runs[@]}"; do
	i=$((i + 1))
	set -- $run
	rel=$1 var=$2 mode=$3
	dir=$cores/$rel/$var/$mode
	name="go$rel/$var/$mode"
	if [ ! -f "$dir/core" ]; then
		echo "not ok $i - $name # no core"
		continue
	fi
	json=$out/$rel-$var-$mode.json
	if ! "$crashwatch" analyze --json "$dir/crasher" "$dir/core" >"$json" 2>"$json.err"; then
		echo "not ok $i - $name # analyze failed: $(head -c 200 "$json.err")"
		continue
	fi
	if diag=$(python3 "$here/check_crash.py" "$dir/stderr" "$json" "$dir/crasher" "$mode" 2>&1); then
		echo "ok $i - $name"
	else
		echo "not ok $i - $name"
		echo "$diag" | head -10 | sed 's/^/# /'
	fi
done
