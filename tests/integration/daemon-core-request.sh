#!/bin/bash
# The kernel's @@ core socket request protocol (Linux >= 6.17) without
# touching kernel.core_pattern: tests/integration/coredump-client plays the
# kernel (request, ack, mark, core) on [Daemon] CoreSocket=. The client is
# also the crashing program, so the daemon's pidfd names a process of the
# core's executable. A crash loop: the first core is accepted and stored,
# the repeats are rejected before a byte is written and recorded without
# a core, counted in one loop. CoreSocketVerify=no lets the client, which
# is not dumping core, stand in for the kernel; the default closes it.
. "$top_srcdir/tests/integration/daemon-lib.sh"

CLIENT="$top_builddir/tests/integration/coredump-client"
echo "1..15"
write_config <<'CEOF'
CoreSocketVerify=no
[Collect]
LoopIntervalSec=1h
LoopBurst=1
CEOF

dir=$(mktemp -d "$TMP/run.XXXXXX")
bash -c 'cd "$1" && ulimit -c unlimited && "$2" crash; true' _ "$dir" "$CLIENT" 2>/dev/null
CORE=$(ls "$dir"/core* 2>/dev/null | head -n 1)
if [ -z "$CORE" ]; then
	for i in $(seq 15); do skip "core request step $i" "no core from a crash here (kernel.core_pattern is not a file name)"; done
	exit 0
fi
check "daemon starts" start_daemon

out=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
check "the first crash: the daemon acks COREDUMP_KERNEL" test "$out" = KERNEL
check "its core is collected and stored" wait_for_crashes 1 60
ID1=$("$CLI" list --json | jq -r '.[0].id')
check "stored, byte-exact, with a fingerprint" \
	bash -c '"$1" dump "$2" -o "$3" 2>/dev/null && cmp -s "$3" "$4" && [ "$("$1" info "$2" --json | jq -r ".fingerprint // empty")" != "" ]' \
	_ "$CLI" "$ID1" "$TMP/back.core" "$CORE"

out2=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
out3=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
check "the repeats of the loop are rejected (COREDUMP_REJECT) before the core" test "$out2 $out3" = "REJECT REJECT"
check "the rejected crashes are recorded, without a core" wait_for_crashes 3 60
check "their records say crash-loop, metadata only" \
	test "$("$CLI" list --json | jq -r '[.[1:][] | .core_state] | join(" ")')" = "metadata-only metadata-only"
check "only the first core is on disk" test "$(ls "$STORE/cores" | wc -l)" = 1
check "the daemon logged the rejection" grep -q "crash-loop repeat of .*core rejected before it was written" "$TMP/daemon.log"

out=$("$CLIENT" badreq "$TMP/core.sock")
check "a malformed request (size 1 MiB) is closed without an answer" test "$out" = closed
check "and logged" grep -q "malformed core request" "$TMP/daemon.log"
check_sanitizer_reports
stop_daemon

# The default: a request from a process that is not dumping core (this
# client) is not the kernel's and is closed without an ack.
write_config </dev/null
check "daemon starts (CoreSocketVerify=yes)" start_daemon
out=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
check "a request from a process that is not dumping core is closed unanswered" test "$out" = closed
check "and logged" grep -q "which is not dumping core, closed" "$TMP/daemon.log"
stop_daemon
exit $failed
