#!/bin/bash
# make check-kernel (root, opt-in): installs the real kernel.core_pattern
# with `crashwatch install`, crashes real programs (C, and Go when a
# toolchain is around), finds them in the spool with /proc metadata read
# while the kernel held them, and restores the previous pattern whatever
# happens (trap on EXIT/INT/TERM/HUP). On Linux >= 6.17 it then installs
# crashwatchd's @@ core socket (`crashwatch install --socket`), crashes a
# loop and checks that every repeat after the first core is rejected by
# the daemon before the kernel writes it.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
COLLECT="$top_builddir/crashwatch-collect"
CLI="$top_builddir/crashwatch"
PATTERN_FILE=/proc/sys/kernel/core_pattern

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP check-kernel needs root"; exit 0; fi
[ -w "$PATTERN_FILE" ] || { echo "1..0 # SKIP $PATTERN_FILE is not writable here"; exit 0; }

TMP=$(mktemp -d /tmp/cwk.XXXXXX)
PREVIOUS=$(cat "$PATTERN_FILE")
DAEMON_PID=
restore() {
	printf '%s\n' "$PREVIOUS" > "$PATTERN_FILE"
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	if [ "$(cat "$PATTERN_FILE")" != "$PREVIOUS" ]; then
		echo "# WARNING: could not restore kernel.core_pattern to: $PREVIOUS" >&2
	fi
	rm -rf "$TMP"
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

n=0; failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
check() { local w=$1; shift; if "$@"; then ok "$w"; else not_ok "$w" "failed: $*"; fi; }

export CRASHWATCH_CONFIG="$TMP/c.conf"
printf '[Storage]\nDirectory=%s\n' "$TMP/store" > "$CRASHWATCH_CONFIG"
SPOOL="$TMP/store/spool"
GO=$("$top_srcdir/scripts/go-toolchain.sh" 1.26 2>/dev/null || command -v go || true)
echo "1..$([ -n "$GO" ] && echo 22 || echo 18)"

if "$CLI" install --help >/dev/null 2>&1; then
	"$CLI" install --collector "$COLLECT" --sysctl-dir "$TMP" >/dev/null
	check "crashwatch install sets kernel.core_pattern" grep -q "^|$COLLECT " "$PATTERN_FILE"
else
	echo "|$COLLECT -c $CRASHWATCH_CONFIG %P %i %u %g %s %t %c %h %d %F %e" > "$PATTERN_FILE"
	check "core_pattern set directly (crashwatch install not built)" grep -q "^|$COLLECT " "$PATTERN_FILE"
fi
echo "# kernel.core_pattern = $(cat "$PATTERN_FILE")"

# wait_meta PID: the record of that pid (the collector runs asynchronously).
wait_meta() {
	local i m
	for i in $(seq 200); do
		m=$(grep -l "\"pid\":$1," "$SPOOL"/*.meta 2>/dev/null | head -n 1)
		[ -n "$m" ] && { echo "$m"; return 0; }
		sleep 0.05
	done
	return 1
}

cat > "$TMP/crash.c" <<'CEOF'
#include <stdlib.h>
int main(void) { char *p = malloc(1 << 20); for (int i = 0; i < 1 << 20; i++) p[i] = (char)i; volatile int *q = 0; *q = 1; return p[7]; }
CEOF
cc -g -o "$TMP/crash" "$TMP/crash.c"
(cd "$TMP" && ulimit -c unlimited && exec "$TMP/crash") 2>/dev/null & pid=$!
wait $pid
META=$(wait_meta $pid)
check "a real C crash lands in the spool" test -n "$META"
j() { jq -r "$1" "$META"; }
check "record: SIGSEGV, comm crash" test "$(j '.signal_name + " " + .comm')" = "SIGSEGV crash"
check "record: metadata read from /proc while the process was held" test "$(j .metadata_source)" = proc
check "record: /proc said CoreDumping (the pid was the crashing process)" test "$(j .core_dumping)" = true
check "record: exe and build id" test "$(j .exe)" = "$TMP/crash" -a "$(j .build_id)" = "$(readelf -n "$TMP/crash" | sed -n 's/.*Build ID: //p')"
if [ "$(uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 16)) }')" = 1 ]; then
	check "record: the kernel's pidfd (%F) and dump mode (%d) were used" test "$(j .pidfd) $(j .dump_mode)" = "kernel 1"
else
	check "record: dump mode passed, pidfd opened by the collector" test "$(j .pidfd)" = pidfd_open
fi
ZST="$SPOOL/$(j .core.file)"
check "the stored core is an ELF core (zstd -d)" test "$(zstd -dc "$ZST" | head -c 18 | od -An -tx1 | tr -d ' \n')" = "7f454c46020101000000000000000000""0400"
check "the stored core's size is what the kernel wrote" test "$(zstd -dc "$ZST" | wc -c)" = "$(j .core.size)"

# Another user's crash: root's files that this user (only) may read.
chmod 755 "$TMP"
(cd / && ulimit -c unlimited && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/crash") 2>/dev/null & pid=$!
wait $pid
META=$(wait_meta $pid)
check "a user's crash: uid recorded, readable by that user (ACL)" test "$(j .uid) $(j .user_readable)" = "65534 true"
check "a user's crash: that user can read the core, another cannot" \
	test "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat "$SPOOL/$(j .core.file)" >/dev/null 2>&1; echo $?)$(setpriv --reuid=65533 --regid=65533 --clear-groups cat "$SPOOL/$(j .core.file)" >/dev/null 2>&1; echo $?)" = 01

if [ -n "$GO" ]; then
	mkdir -p "$TMP/gocrash"
	cat > "$TMP/gocrash/main.go" <<'GEOF'
package main

import "fmt"

type request struct{ id int }

func handle(r *request) int { return r.id * 2 }

func main() {
	var r *request
	fmt.Println(handle(r))
}
GEOF
	(cd "$TMP/gocrash" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GO111MODULE=off "$GO" build -o "$TMP/gocrash/gocrash" main.go) 2>/dev/null
	(cd "$TMP" && ulimit -c unlimited && GOTRACEBACK=crash GOMAXPROCS=2 exec "$TMP/gocrash/gocrash") >/dev/null 2>&1 & pid=$!
	wait $pid
	META=$(wait_meta $pid)
	check "a real Go crash (GOTRACEBACK=crash) lands in the spool" test -n "$META"
	check "Go record: SIGABRT from the runtime" test "$(j .signal_name)" = SIGABRT
	check "Go record: GOTRACEBACK and GOMAXPROCS captured" test "$(j '.environment.GOTRACEBACK + " " + .environment.GOMAXPROCS')" = "crash 2"
	check "Go core decompresses to an ELF core" test "$(zstd -dc "$SPOOL/$(j .core.file)" | head -c 4 | od -An -c | tr -d ' ')" = '177ELF'
fi

if "$CLI" uninstall --help >/dev/null 2>&1; then
	"$CLI" uninstall --sysctl-dir "$TMP" >/dev/null
	check "crashwatch uninstall restores the previous pattern" test "$(cat "$PATTERN_FILE")" = "$PREVIOUS"
else
	printf '%s\n' "$PREVIOUS" > "$PATTERN_FILE"
	check "previous pattern restored" test "$(cat "$PATTERN_FILE")" = "$PREVIOUS"
fi
# The @@ request protocol (Linux >= 6.17): crashwatchd on its core socket,
# a crash loop of the same program; the first core is stored, every repeat
# is rejected before the kernel writes a byte of it and recorded without.
LOOP_N=6
if [ "$(uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 17)) }')" != 1 ]; then
	for i in 1 2 3 4 5 6; do echo "ok $((n + 1)) - @@ step $i # SKIP kernel $(uname -r) < 6.17"; n=$((n + 1)); done
	exit $failed
fi
export CRASHWATCH_CONFIG="$TMP/d.conf"
printf '[Storage]\nDirectory=%s\n[Daemon]\nSocket=%s\nCoreSocket=%s\n[Collect]\nLoopIntervalSec=10min\nLoopBurst=1\n' \
	"$TMP/dstore" "$TMP/query.sock" "$TMP/core.sock" > "$CRASHWATCH_CONFIG"
"$top_builddir/crashwatchd" --config "$CRASHWATCH_CONFIG" > "$TMP/daemon.log" 2>&1 & DAEMON_PID=$!
for i in $(seq 100); do [ -S "$TMP/core.sock" ] && "$CLI" status >/dev/null 2>&1 && break; sleep 0.1; done
"$CLI" install --socket --collector "$COLLECT" --sysctl-dir "$TMP" >/dev/null
check "crashwatch install --socket chooses @@ on Linux >= 6.17" test "$(cat "$PATTERN_FILE")" = "@@$TMP/core.sock"
echo "# kernel.core_pattern = $(cat "$PATTERN_FILE")"
crashes() { "$CLI" list --json 2>/dev/null | jq length; }
wait_crashes() { for i in $(seq 300); do [ "$(crashes)" = "$1" ] && ! ls "$TMP/dstore/spool/"*.meta >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
for k in $(seq $LOOP_N); do
	(cd "$TMP" && ulimit -c unlimited && exec "$TMP/crash") 2>/dev/null & wait $!
	wait_crashes "$k" || break
done
check "the loop's $LOOP_N crashes are recorded" test "$(crashes)" = $LOOP_N
check "the first crash has its core" test "$("$CLI" list --json | jq -r '.[0].core_state')" = stored
check "every repeat was rejected before its core was written (the daemon's log)" \
	test "$(grep -c 'crash-loop repeat of .*core rejected before it was written' "$TMP/daemon.log")" = $((LOOP_N - 1))
check "the repeats are recorded without a core, one core on disk" \
	test "$("$CLI" list --json | jq -r '[.[1:][] | .core_state] | unique | join(",")')/$(ls "$TMP/dstore/cores" | wc -l)" = "metadata-only/1"
check "status: one loop of $LOOP_N crashes, 1 core kept" \
	test "$("$CLI" status --json | jq -r '.crash_loops[0] | "\(.count) \(.cores_stored)"')" = "$LOOP_N 1"
"$CLI" uninstall --sysctl-dir "$TMP" >/dev/null
exit $failed
