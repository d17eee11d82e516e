#!/bin/bash
# analyze-fixtures.sh: `crashwatch analyze --json` on the small real cases
# kept in tests/fixtures/go*/ (zstd-compressed core and binary, the runtime's
# stderr and exit status, `go version -m` of the binary), compared strictly
# with compare.py. Needs no Go.
# TAP: per fixture, one point for the oracle on its traceback
# (oracle_selftest.py) and one for the analysis.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
crashwatch=$top_builddir/crashwatch

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fixtures=()
for d in "$top_srcdir"/tests/fixtures/go*/; do
	[ -f "$d/core.zst" ] && fixtures+=("${d%/}")
done
echo "1..$((2 * ${#fixtures[@]}))"
if [ ${#fixtures[@]} -eq 0 ]; then
	echo "Bail out! no fixtures under $top_srcdir/tests/fixtures"
	exit 0
fi

i=0
for d in "${fixtures[@]}"; do
	name=$(basename "$d")
	i=$((i + 1))
	if out=$(python3 "$here/oracle_selftest.py" "$d/stderr" 2>&1); then
		echo "ok $i - $name: the oracle understands the traceback"
	else
		echo "not ok $i - $name: the oracle on the traceback"
		printf '%s\n' "$out" | sed 's/^/# /' | head -n 20
	fi
	i=$((i + 1))
	w=$tmp/$name
	mkdir -p "$w"
	if ! zstd -q -d "$d/core.zst" -o "$w/core" || ! zstd -q -d "$d/crasher.zst" -o "$w/crasher"; then
		echo "not ok $i - $name # cannot decompress the fixture"
		continue
	fi
	chmod +x "$w/crasher"
	if [ ! -x "$crashwatch" ]; then
		echo "not ok $i - $name # $crashwatch not built"
		continue
	fi
	st=0
	timeout 60 "$crashwatch" analyze --json "$w/crasher" "$w/core" >"$w/analysis.json" 2>"$w/err" || st=$?
	if [ $st -ne 0 ]; then
		echo "not ok $i - $name # crashwatch analyze exited with $st"
		head -n 5 "$w/err" | sed 's/^/# /'
		continue
	fi
	if python3 "$here/compare.py" --exit-status "$(cat "$d/status")" --buildinfo "$d/buildinfo" \
		"$d/stderr" "$w/analysis.json" >"$w/diff" 2>&1; then
		echo "ok $i - $name: analysis equals the runtime's traceback"
	else
		echo "not ok $i - $name # $(grep -c . "$w/diff") differences"
		head -n 40 "$w/diff" | sed 's/^/# /'
	fi
	rm -f "$w/core"
done
