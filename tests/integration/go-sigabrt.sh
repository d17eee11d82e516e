#!/bin/bash
# go-sigabrt.sh: a SIGABRT sent to the process (kill -ABRT PID, not to a
# thread) is taken by whichever thread the kernel picks: an m running a
# goroutine, an idle or spinning m, one starting or exiting, sysmon, an m
# in C code or a thread the runtime did not create (cgo). The runtime
# prints what that thread was doing (the goroutine, or "goroutine 0" and
# the m's g0, or "signal arrived during cgo execution"), and the analysis
# must say the same (compare.py, strictly). tests/go/sigstorm keeps Ms in
# all these states; each run waits for it to be ready, sleeps a random
# 0-99 ms and sends the signal, to the process or to one of its threads.
#
# Per release and variant (plain, cgo) one TAP line: every run matched,
# with how often each kind of thread took the signal (sigabrt_class.py).
# The runtime freezes the world before it prints but does not wait for
# it: a goroutine printed "running" or "syscall" on another m goes on
# until the relay's SIGQUIT reaches that m, and an m past its last look
# at the freeze may run one printed "runnable"; the core then holds a
# later state, which nothing in it tells from the state printed. A run
# whose only differences are such goroutines (and goroutines they
# started) counts as "raced" (sigabrt_class.py --raced, about 1 run in
# 50); more than half of the runs raced fails too. The garbage collector
# is off (GOGC=off): a GC cycle that goes on after the print changes its
# workers the same way.
# A mismatching run is kept, with its core, stderr, analysis and diff:
#   $top_builddir/tests/work/sigabrt/<release>/<variant>/run-N/
# Knobs: CW_GO_VERSIONS (exact releases or minors, default below),
# CW_SIGABRT_VARIANTS ("plain cgo"; by default cgo for the newest release only),
# CW_SIGABRT_RUNS (runs per release and variant, default 6),
# CW_SIGABRT_KEEP=1 keeps every run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
out=$top_builddir/tests/work/sigabrt
crashwatch=$top_builddir/crashwatch
toolchain=$top_srcdir/scripts/go-toolchain.sh
src=$top_srcdir/tests/go/sigstorm
runs=${CW_SIGABRT_RUNS:-6}
variants=${CW_SIGABRT_VARIANTS:-plain cgo}
# the releases whose signal handling differs (docs/go-releases.md), and
# two before 1.21 for contrast
default="1.18.10 1.20.14 1.21.0 1.22.12 1.23.12 1.24.13 1.25.14 1.26.11 1.27.4"
# the newest release of the newest minor
newest=$("$toolchain" --minors | tr ' ' '\n' | tail -n 1)
releases=
matrix=$("$toolchain" --list)
for r in $matrix; do
	if CW_GO_VERSIONS=${CW_GO_VERSIONS:-$default} cw_release_wanted "$r"; then releases="$releases $r"; fi
done
pairs=
for rel in $releases; do
	for var in $variants; do
		# Most cgo runs wait out the relay's watchdog (5 s, 10 s from
		# 1.23): by default only the newest release's.
		if [ -z "${CW_GO_VERSIONS:-}${CW_SIGABRT_VARIANTS:-}" ] && [ "$var" = cgo ]; then
			[ "$rel" = "$newest" ] || continue
		fi
		pairs="$pairs $rel/$var"
	done
done
n=0
for _ in $pairs; do n=$((n + 1)); done
echo "1..$n"

core_ok=1
case "$(cat /proc/sys/kernel/core_pattern)" in
core) ;;
*) core_ok=0 ;;
esac

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
cw_go_offline
hash=$(cw_src_hash "$src")

# build RELEASE VARIANT: $out/RELEASE/VARIANT/{sigstorm,buildinfo}, cached.
build() {
	local dir=$out/$1/$2 go cgo=0
	[ "$2" = cgo ] && cgo=1
	[ -x "$dir/sigstorm" ] && [ "$(cat "$dir/src.hash" 2>/dev/null)" = "$hash" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	go=$("$toolchain" "$1") || { echo "no Go $1" >"$dir/error"; return 1; }
	if ! (cd "$src" && CGO_ENABLED=$cgo "$go" build -o "$dir/sigstorm" .) >"$dir/build.log" 2>&1; then
		echo "build failed: $(head -c 300 "$dir/build.log")" >"$dir/error"
		return 1
	fi
	"$go" version -m "$dir/sigstorm" >"$dir/buildinfo"
	echo "$hash" >"$dir/src.hash"
}

# run DIR K: one crash in DIR/run-K; prints "K CLASS ok|mismatch|error".
run() {
	local dir=$1 k=$2 rd=$1/run-$2 st=0 pid class t0=$SECONDS
	rm -rf "$rd"
	mkdir -p "$rd"
	(
		cd "$rd" || exit 1
		ulimit -c unlimited
		GOTRACEBACK=crash GOGC=off exec "$dir/sigstorm" >ready 2>stderr
	) &
	pid=$!
	for _ in $(seq 500); do
		grep -q ready "$rd/ready" 2>/dev/null && break
		sleep 0.01
	done
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	# The kernel gives a process-directed signal to the main thread when
	# it can take it (here m0, mostly idle), so two runs in three send it
	# to one thread picked at random with tgkill: the runtime treats
	# SI_TKILL as SI_USER (sigFromUser) and prints sigcode=-6.
	if [ $((RANDOM % 3)) = 0 ]; then
		kill -ABRT "$pid" 2>/dev/null
	else
		python3 -c 'import ctypes, os, random, sys
pid = int(sys.argv[1])
tid = int(random.choice(os.listdir("/proc/%d/task" % pid)))
ctypes.CDLL(None, use_errno=True).syscall(234, pid, tid, 6)' "$pid" 2>/dev/null ||
			kill -ABRT "$pid" 2>/dev/null
	fi
	# A thread that exits with the signal pending takes it along: then
	# the process gets it again, process-directed.
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null && [ ! -s "$rd/stderr" ] || break
		sleep 0.02
	done
	kill -0 "$pid" 2>/dev/null && [ ! -s "$rd/stderr" ] && kill -ABRT "$pid" 2>/dev/null
	( sleep 60; kill -KILL "$pid" 2>/dev/null ) &
	local watchdog=$!
	wait "$pid" 2>/dev/null || st=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	echo "$st" >"$rd/status"
	[ $((SECONDS - t0)) -lt 5 ] || echo "run-$k took $((SECONDS - t0)) s" >&2
	class=$(python3 "$here/sigabrt_class.py" "$rd/stderr" 2>/dev/null | tr ' ' '_')
	if [ ! -f "$rd/core" ]; then
		echo "$k ${class:-?} error:no-core(status=$st)"
		return
	fi
	if ! timeout 120 "$crashwatch" analyze --json "$dir/sigstorm" "$rd/core" >"$rd/analysis.json" 2>"$rd/analyze.err"; then
		echo "$k $class error:analyze"
		return
	fi
	if python3 "$here/compare.py" --allow-silent --exit-status "$st" --buildinfo "$dir/buildinfo" \
		"$rd/stderr" "$rd/analysis.json" >"$rd/diff" 2>&1; then
		echo "$k $class ok"
		[ "${CW_SIGABRT_KEEP:-0}" = 1 ] || rm -rf "$rd"
	else
		if python3 "$here/sigabrt_class.py" --raced "$rd/stderr" "$rd/diff"; then
			echo "$k $class raced"
		else
			echo "$k $class mismatch"
		fi
		# the core alone, compressed, is what a later look needs
		rm -f "$rd/ready"
	fi
}
export -f run
export here crashwatch

i=0
for pair in $pairs; do
	rel=${pair%/*} var=${pair#*/}
	{
		i=$((i + 1))
		dir=$out/$rel/$var
		if [ $core_ok = 0 ]; then
			echo "not ok $i - $rel $var # kernel.core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not core"
			continue
		fi
		if ! build "$rel" "$var"; then
			echo "not ok $i - $rel $var # $(cat "$dir/error")"
			continue
		fi
		rm -rf "$dir"/run-*
		seq "$runs" | xargs -P 2 -I{} bash -c 'run "$1" "$2"' _ "$dir" {} >"$dir/results" 2>"$dir/runs.log"
		bad=$(grep -vc ' ok$\| raced$' "$dir/results")
		raced=$(grep -c ' raced$' "$dir/results")
		classes=$(awk '{ n[$2]++ } END { for (c in n) printf "%s%s=%d", (s++ ? " " : ""), c, n[c] }' "$dir/results")
		if [ "$bad" = 0 ] && [ $((raced * 2)) -le "$runs" ] && [ "$(grep -c . "$dir/results")" = "$runs" ]; then
			echo "ok $i - $rel $var: $((runs - raced)) of $runs runs match, $raced raced ($classes)"
		else
			echo "not ok $i - $rel $var: $bad of $runs runs differ, $raced raced ($classes)"
			grep -v ' ok$' "$dir/results" | sed 's/^/# run-/'
			for d in $(grep ' mismatch$\| raced$' "$dir/results" | head -n 3 | cut -d' ' -f1); do
				head -n 5 "$dir/run-$d/diff" | sed "s/^/# run-$d: /"
			done
		fi
	}
done
exit 0
