#!/bin/bash
# go-signal-wake.sh: the goroutine whose status changes between the
# runtime's traceback and the core (docs/analysis-json.md, status_at_core).
# tests/go/sigwake asks for SIGQUIT (signal.Notify), runs with GOMAXPROCS=1
# and dies of SIGABRT under GOTRACEBACK=crash: the crash relay's SIGQUIT,
# sent after the goroutine dump, wakes os/signal's goroutine, printed
# "syscall" (asleep in notetsleepg under signal_recv). Up to Go 1.25 it
# leaves the system call, finds no P and waits "runnable" in the core, its
# thread parked in stopm under exitsyscall0; the analysis must report the
# printed status, "status_at_core": "runnable" and that thread. From Go 1.26
# exitsyscall wedges itself (lock(&deadlock) twice) while sched.stopwait
# holds freezetheworld's value, as it does here (no P stops after the
# freeze): the core still says "syscall" and the analysis must say nothing
# more. Each release's newest (go-toolchain.sh --minors) builds it, once:
#   ${CW_TEST_WORK:-$top_builddir/tests/work}/sigwake/<release>/
#     sigwake buildinfo core stderr status src.hash
# TAP: per release, the strict comparison with the runtime's traceback
# (compare.py) and the check of the signal goroutine's fields. A run costs
# the 5 s (10 s from Go 1.21) the runtime waits for the broken relay.
# Subsets: CW_GO_VERSIONS as for gen-cores.sh ("1.25 1.26").
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
out=${CW_TEST_WORK:-$top_builddir/tests/work}/sigwake
results=$top_builddir/tests/work/sigwake-results
crashwatch=$top_builddir/crashwatch
toolchain=$top_srcdir/scripts/go-toolchain.sh
src=$top_srcdir/tests/go/sigwake

releases=
for r in $("$toolchain" --minors); do
	cw_release_wanted "$r" || continue
	releases="$releases $r"
done
n=0
for _ in $releases; do n=$((n + 2)); done
echo "1..$n"

core_ok=1
case "$(cat /proc/sys/kernel/core_pattern)" in
core|core.*) ;;
*) core_ok=0 ;;
esac

mkdir -p "$out" "$results"
exec 9>"$out/.lock"
flock 9
cw_go_offline
hash=$(cw_src_hash "$src")

# make RELEASE: the build and the crash of one release, cached.
make_core() {
	local rel=$1 dir=$out/$1 go st=0
	[ "$(cat "$dir/src.hash" 2>/dev/null)" = "$hash" ] && [ -f "$dir/status" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	go=$("$toolchain" "$rel") || { echo "no Go $rel" >"$dir/error"; return 1; }
	if ! (cd "$src" && "$go" build -o "$dir/sigwake" .) >"$dir/build.log" 2>&1; then
		echo "build failed: $(head -c 300 "$dir/build.log")" >"$dir/error"
		return 1
	fi
	"$go" version -m "$dir/sigwake" >"$dir/buildinfo"
	# The inner shells keep "Aborted (core dumped)" and timeout's own
	# notes off the terminal.
	sh -c 'cd "$1" && ulimit -c unlimited && shift &&
		GOTRACEBACK=crash timeout -s KILL 60 sh -c '\''exec "$@" >/dev/null 2>stderr'\'' sh "$@"; exit $?' \
		sh "$dir" "$dir/sigwake" 2>/dev/null || st=$?
	echo "$hash" >"$dir/src.hash"
	echo "$st" >"$dir/status"
}
export -f make_core
export out hash toolchain src

if [ $core_ok = 1 ] && [ -n "$releases" ]; then
	# two at a time: each waits out the broken relay
	printf '%s\n' $releases | xargs -P 2 -I{} bash -c 'make_core "$1"' _ {}
fi

# check_json ANALYSIS RELEASE: the os/signal goroutine and the Notify
# channel's receiver; prints what is wrong, one a line.
check_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
an = json.load(open(sys.argv[1]))
minor = int(sys.argv[2].split('.')[1])
gs = an.get('goroutines') or []
def fn(g, i):
    fr = g.get('frames') or []
    return fr[i].get('function') if len(fr) > i else None
sig = [g for g in gs if fn(g, 1) == 'os/signal.signal_recv']
if len(sig) != 1:
    print('%d goroutines under os/signal.signal_recv, not 1' % len(sig))
    sys.exit(0)
g = sig[0]
if g.get('status') != 'syscall':
    print('goroutine %s: status %r, the runtime printed "syscall"' % (g.get('id'), g.get('status')))
if minor <= 25:
    if g.get('status_at_core') != 'runnable':
        print('goroutine %s: status_at_core %r, the core holds "runnable"' % (g.get('id'), g.get('status_at_core')))
    parked = {t.get('tid') for t in an.get('threads') or [] if not t.get('crashed') and
              any(f.get('function') in ('runtime.exitsyscall0', 'runtime.exitsyscallNoP')
                  for f in t.get('frames') or [])}
    if len(parked) != 1 or g.get('thread') not in parked:
        print('goroutine %s: thread %r, not the thread parked under exitsyscall0 (%s)' %
              (g.get('id'), g.get('thread'), sorted(parked)))
elif 'status_at_core' in g:
    print('goroutine %s: status_at_core %r, the core holds what was printed' % (g.get('id'), g['status_at_core']))
recv = [g for g in gs if fn(g, 0) == 'runtime.gopark' and any(
    (f.get('function') or '').startswith('main.main.func') for f in g.get('frames') or [])]
if len(recv) != 1:
    print('%d goroutines of main.main.func* parked, not 1' % len(recv))
elif recv[0].get('status') != 'chan receive' or 'status_at_core' in recv[0]:
    print('the Notify receiver: status %r, status_at_core %r' % (recv[0].get('status'), recv[0].get('status_at_core')))
EOF
}

i=0
for rel in $releases; do
	dir=$out/$rel
	i=$((i + 1))
	if [ $core_ok = 0 ]; then
		echo "not ok $i - $rel # kernel.core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not core"
		echo "not ok $((i + 1)) - $rel: signal goroutine # no core"
		i=$((i + 1))
		continue
	fi
	if [ ! -f "$dir/core" ]; then
		echo "not ok $i - $rel # no core: $(cat "$dir/error" 2>/dev/null || echo "exit status $(cat "$dir/status" 2>/dev/null)")"
		echo "not ok $((i + 1)) - $rel: signal goroutine # no core"
		i=$((i + 1))
		continue
	fi
	st=0
	timeout 120 "$crashwatch" analyze --json "$dir/sigwake" "$dir/core" >"$results/$rel.json" \
		2>"$results/$rel.err" || st=$?
	if [ "$st" != 0 ]; then
		echo "not ok $i - $rel # crashwatch analyze exited with $st"
		head -n 5 "$results/$rel.err" | sed 's/^/# /'
		echo "not ok $((i + 1)) - $rel: signal goroutine # no analysis"
		i=$((i + 1))
		continue
	fi
	if python3 "$here/compare.py" --exit-status "$(cat "$dir/status")" --buildinfo "$dir/buildinfo" \
		"$dir/stderr" "$results/$rel.json" >"$results/$rel.diff" 2>&1; then
		echo "ok $i - $rel: the runtime's traceback"
	else
		echo "not ok $i - $rel: the runtime's traceback: $(grep -c . "$results/$rel.diff") differences"
		head -n 20 "$results/$rel.diff" | sed 's/^/# /'
	fi
	i=$((i + 1))
	check_json "$results/$rel.json" "$rel" >"$results/$rel.check" 2>&1
	if [ ! -s "$results/$rel.check" ]; then
		echo "ok $i - $rel: signal goroutine printed syscall$([ "${rel#1.}" \< 26 ] && echo ", runnable in the core")"
	else
		echo "not ok $i - $rel: signal goroutine"
		sed 's/^/# /' "$results/$rel.check"
	fi
done
exit 0
