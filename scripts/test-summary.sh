#!/bin/sh
# test-summary.sh DIR... STATUS: adds up the automake .trs results of the
# given build directories and prints the closing line.
set -u
n=$#
status=$(eval echo "\${$n}")
pass=0; fail=0; skip=0
i=1
for d in "$@"; do
	[ $i -lt $n ] || break
	i=$((i + 1))
	[ -d "$d" ] || continue
	p=$(find "$d" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: PASS' || true)
	f=$(find "$d" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (FAIL|ERROR|XPASS)' || true)
	s=$(find "$d" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (SKIP|XFAIL)' || true)
	echo "$d: $p passed, $f failed, $s skipped" >&2
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done
[ "$status" -eq 0 ] || [ "$fail" -gt 0 ] || fail=1
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
