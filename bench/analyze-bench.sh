#!/bin/bash
# make bench: `crashwatch analyze --json` on the core of a Go program with
# 100,000 parked goroutines (tests/go/many, built with the newest Go of the
# matrix), side by side with delve listing every goroutine with its stack
# (`dlv core BINARY CORE` with `goroutines -t` in an --init script). Reports
# wall time and peak RSS (/usr/bin/time -v) of each, how many goroutines each
# found, and the differences of the analysis from the runtime's own traceback
# (compare.py). Not part of `make check`.
#   CW_BENCH_GOROUTINES  goroutines to park (default 100000)
#   CW_DLV               a dlv binary; else one is installed once with
#                        `go install github.com/go-delve/delve/cmd/dlv@latest`
#                        into ${XDG_CACHE_HOME:-~/.cache}/crashwatch-bench/bin
# The program and its core are kept (and reused) in
# $top_builddir/tests/work/bench/many-N/.
set -euo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
crashwatch=$top_builddir/crashwatch
n=${CW_BENCH_GOROUTINES:-100000}
work=$top_builddir/tests/work/bench/many-$n
cache=${XDG_CACHE_HOME:-$HOME/.cache}/crashwatch-bench

[ -x "$crashwatch" ] || { echo "analyze-bench: build crashwatch first ($crashwatch)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "analyze-bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

release=$("$top_srcdir/scripts/go-toolchain.sh" --list | tr ' ' '\n' | tail -n 1)
go=$("$top_srcdir/scripts/go-toolchain.sh" "$release")
export GOTOOLCHAIN=local GOFLAGS= GOWORK=off

# The program and its core, made once per source and goroutine count.
hash=$(cat "$top_srcdir"/tests/go/many/* | sha256sum | cut -c1-16)-$release
if [ "$(cat "$work/hash" 2>/dev/null)" != "$hash" ] || [ ! -f "$work/core" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	(cd "$top_srcdir/tests/go/many" && CGO_ENABLED=0 GOPROXY=off "$go" build -o "$work/many" .)
	echo "analyze-bench: running tests/go/many with $n goroutines (Go $release) ..." >&2
	st=0
	# exec: no shell is left to add "Aborted (core dumped)" to the traceback.
	sh -c 'cd "$1" && ulimit -c unlimited && GOTRACEBACK=crash exec ./many "$2" >/dev/null 2>stderr' \
		sh "$work" "$n" 2>/dev/null || st=$?
	[ -f "$work/core" ] || { echo "analyze-bench: no core was written (exit $st)" >&2; exit 1; }
	echo "$st" >"$work/status"
	echo "$hash" >"$work/hash"
fi

# measure NAME OUTFILE CMD...: wall seconds and peak RSS (MiB) of CMD.
measure() {
	local name=$1 out=$2
	shift 2
	local st=0
	/usr/bin/time -v -o "$work/$name.time" "$@" >"$out" 2>"$work/$name.err" </dev/null || st=$?
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s}' "$work/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/$name.time")
	return $st
}

printed=$(grep -c '^goroutine [1-9]' "$work/stderr" || true)

cw_st=0
measure crashwatch "$work/analysis.json" "$crashwatch" analyze --json "$work/many" "$work/core" || cw_st=$?
cw_wall=$wall cw_rss=$rss
cw_n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("goroutines") or []))' \
	"$work/analysis.json" 2>/dev/null || echo "?")
diffs=$(python3 "$top_srcdir/tests/integration/compare.py" --exit-status "$(cat "$work/status")" \
	"$work/stderr" "$work/analysis.json" 2>&1 | tee "$work/compare.diff" | grep -c . || true)

dlv=${CW_DLV:-$cache/bin/dlv}
if [ ! -x "$dlv" ]; then
	echo "analyze-bench: installing dlv into $cache/bin ..." >&2
	mkdir -p "$cache/bin"
	GOBIN=$cache/bin "$go" install github.com/go-delve/delve/cmd/dlv@latest >&2 || true
fi
dlv_wall=- dlv_rss=- dlv_n=-
if [ -x "$dlv" ]; then
	printf 'goroutines -t\nexit\n' >"$work/dlv-init"
	if measure dlv "$work/dlv.out" "$dlv" core "$work/many" "$work/core" \
		--init "$work/dlv-init" --allow-non-terminal-interactive=true; then
		dlv_wall=$wall dlv_rss=$rss
		dlv_n=$(grep -c -e '^  Goroutine [0-9]' -e '^\* Goroutine [0-9]' "$work/dlv.out" || true)
	else
		echo "analyze-bench: dlv failed: $(head -n 3 "$work/dlv.err")" >&2
	fi
else
	echo "analyze-bench: dlv not available, only crashwatch is measured" >&2
fi

echo "core: $(du -h --apparent-size "$work/core" | cut -f1) ($(du -h "$work/core" | cut -f1) on disk)," \
	"$printed goroutines printed by the runtime (Go $release)"
printf '%-38s %9s %14s %11s\n' "tool" "wall (s)" "peak RSS (MiB)" "goroutines"
printf '%-38s %9s %14s %11s\n' "crashwatch analyze --json" "$cw_wall" "$cw_rss" "$cw_n"
printf '%-38s %9s %14s %11s\n' "dlv core (goroutines -t)" "$dlv_wall" "$dlv_rss" "$dlv_n"
echo "crashwatch vs the runtime's traceback: $diffs differences (compare.py; $work/compare.diff)"
if [ $cw_st -ne 0 ]; then
	echo "analyze-bench: crashwatch analyze exited with $cw_st: $(head -n 3 "$work/crashwatch.err")" >&2
	exit 1
fi
