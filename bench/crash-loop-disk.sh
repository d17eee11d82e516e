#!/bin/bash
# Disk written by a crash loop: N (20) crashes of a process with 1 GiB of
# touched memory (pseudo-random, so zstd cannot shrink it), with the store
# on its own ext4 file system on a loop device whose written sectors
# (/sys/block/loopN/stat, after sync) are the measure. kernel.core_pattern
# is never changed (it is the whole machine's): one real core of the 1 GiB
# process is made once (the pattern must be "core"), then delivered N
# times the way the kernel does:
#   - pipe: crashwatch-collect with the core_pattern arguments and the core
#     on stdin, a live process of the same executable standing for the
#     held one; LoopBurst=0 (the per-fingerprint limit off: what main did,
#     RateLimitBurst=10 per 60 s only) and LoopBurst=1;
#   - @@: tests/integration/coredump-client speaking the kernel's side of
#     the request protocol (CoreSocketVerify=no), itself a process of the
#     core's executable.
# Each crash waits until the previous one is stored, as a restart delay
# would. Root (loop device, mount).
#   bench/crash-loop-disk.sh [BUILDDIR] [CRASHES] [MIB]
set -u
B=$(cd "${1:-build}" && pwd)
N=${2:-20}
MIB=${3:-1024}
CLIENT="$B/tests/integration/coredump-client"
[ "$(id -u)" = 0 ] || { echo "crash-loop-disk: needs root" >&2; exit 77; }
[ -x "$CLIENT" ] || make -C "$B" tests/integration/coredump-client >/dev/null || exit 1
T=$(mktemp -d /var/tmp/cwloop.XXXXXX)
LOOPDEV= DAEMON_PID= HOLD=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null
	mountpoint -q "$T/mnt" && umount "$T/mnt"
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$T/core"
(cd "$T/core" && ulimit -c unlimited && exec "$CLIENT" crash "$MIB") 2>/dev/null
CORE=$(ls "$T"/core/core* 2>/dev/null | head -n 1)
[ -n "$CORE" ] || { echo "crash-loop-disk: no core made (kernel.core_pattern is not \"core\")" >&2; exit 77; }
echo "core: $(stat -c %s "$CORE") bytes of a $MIB MiB process; $N crashes each"
"$CLIENT" hold & HOLD=$!

written() { sync; awk '{ printf "%.0f\n", $7 * 512 }' "/sys/block/$(basename "$LOOPDEV")/stat"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
crashes() { "$B/crashwatch" list --json 2>/dev/null | jq length; }

run() { # NAME pipe|socket LOOPBURST
	local name=$1 kind=$2 burst=$3 i k
	truncate -s 48G "$T/img"
	mkfs.ext4 -q -F "$T/img"
	LOOPDEV=$(losetup -f --show "$T/img")
	mkdir -p "$T/mnt" && mount "$LOOPDEV" "$T/mnt"
	export CRASHWATCH_CONFIG="$T/c.conf"
	printf '[Storage]\nDirectory=%s\n[Collect]\nMaxUse=40G\nKeepFree=1G\nLoopBurst=%s\n[Daemon]\nSocket=%s\nCoreSocket=%s\nCoreSocketVerify=no\n' \
		"$T/mnt/store" "$burst" "$T/q.sock" "$T/core.sock" > "$CRASHWATCH_CONFIG"
	"$B/crashwatchd" --config "$CRASHWATCH_CONFIG" > "$T/daemon.log" 2>&1 & DAEMON_PID=$!
	for i in $(seq 100); do [ -S "$T/core.sock" ] && "$B/crashwatch" status >/dev/null 2>&1 && break; sleep 0.1; done
	local before start
	before=$(written)
	start=$(date +%s.%N)
	for k in $(seq "$N"); do
		if [ "$kind" = socket ]; then
			"$CLIENT" kernel "$T/core.sock" "$CORE" >/dev/null
		else
			"$B/crashwatch-collect" -c "$CRASHWATCH_CONFIG" "$HOLD" "$HOLD" 0 0 11 "$(date +%s)" \
				18446744073709551615 "$(hostname)" 1 "" coredump-client < "$CORE" 2>/dev/null
		fi
		for i in $(seq 1200); do
			[ "$(crashes)" = "$k" ] && ! ls "$T/mnt/store/spool/"*.meta >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	local after secs kept cores analysed_dropped
	after=$(written)
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	kept=$(du -sb "$T/mnt/store/cores" | cut -f1)
	cores=$(ls "$T/mnt/store/cores" | wc -l)
	analysed_dropped=$("$B/crashwatch" list --json | jq '[.[] | select(.core_state == "metadata-only" and .analysis_status == "ok")] | length')
	printf '%-26s %s crashes: %s written to the device, %s kept (%s cores), %s cores removed after analysis, %.0f s\n' \
		"$name" "$(crashes)" "$(mib $((after - before)))" "$(mib "$kept")" "$cores" "$analysed_dropped" "$secs"
	"$B/crashwatch" status | grep "crash loop" | sed 's/^ */    /'
	kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	umount "$T/mnt"; losetup -d "$LOOPDEV"; LOOPDEV=; rm -f "$T/img"
}

run "pipe, LoopBurst=0 (main)" pipe 0
run "pipe, LoopBurst=1" pipe 1
run "@@ socket, LoopBurst=1" socket 1
