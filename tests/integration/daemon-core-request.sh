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
echo "1..25"
python3 "$top_srcdir/tests/integration/upload-server.py" --port-file "$TMP/hook.port" --log "$TMP/hook.log" \
	--lifetime 120 --rule /hook=ok &
HOOK_PID=$!
for i in $(seq 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.1; done
write_config <<CEOF
CoreSocketVerify=no
[Collect]
LoopIntervalSec=5s
LoopBurst=1
[Upload]
URL=http://127.0.0.1:$(cat "$TMP/hook.port")/hook
RetryInitialSec=1
CEOF

dir=$(mktemp -d "$TMP/run.XXXXXX")
bash -c 'cd "$1" && ulimit -c unlimited && "$2" crash; true' _ "$dir" "$CLIENT" 2>/dev/null
CORE=$(ls "$dir"/core* 2>/dev/null | head -n 1)
if [ -z "$CORE" ]; then
	for i in $(seq 25); do skip "core request step $i" "no core from a crash here (kernel.core_pattern is not a file name)"; done
	kill "$HOOK_PID" 2>/dev/null
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

loops=$("$CLI" status --json | jq -c '.crash_loops')
check "status --json: one loop, 3 crashes, 1 core kept, 2 not" \
	test "$(echo "$loops" | jq -r 'length, .[0].count, .[0].cores_stored, .[0].cores_dropped' | tr '\n' ' ')" = "1 3 1 2 "
check "status says: crashed 3 times" bash -c '"$1" status | grep -q "crash loop: .*coredump-client crashed 3 times in [0-9]* s, last at"' _ "$CLI"
check "list and groups end with the loop" \
	bash -c '"$1" list --no-pager | tail -n 1 | grep -q "crashed 3 times" && "$1" groups --no-pager | tail -n 1 | grep -q "crashed 3 times"' _ "$CLI"
# one report for the first crash, one for the loop once quiet for 5 s, none per repeat
for i in $(seq 150); do [ "$(wc -l < "$TMP/hook.log")" -ge 2 ] && break; sleep 0.2; done
sleep 2
check "two webhook deliveries: the first crash and the loop (none per repeat)" test "$(wc -l < "$TMP/hook.log")" = 2
check "the loop's report: type crash.loop, count 3, 1 core kept, 2 not" python3 - "$TMP/hook.log" <<'PYEOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
first, loop = (json.loads(r["body"]) for r in reqs)
assert first["type"] == "crash.created" and "crash_loop" not in first["data"], first
l = loop["data"]["crash_loop"]
assert loop["type"] == "crash.loop", loop["type"]
assert (l["count"], l["cores_stored"], l["cores_dropped"]) == (3, 1, 2), l
assert l["duration_sec"] >= 0 and l["first"] <= l["last"], l
PYEOF
check "status: the loop is reported" test "$("$CLI" status --json | jq -r '.crash_loops[0].reported')" = true

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

# The pipe handler in a loop: the first core is stored, the first repeat's
# core is removed after its analysis, and the collector then stores no
# core of the later repeats (collect-state/loop-HASH, "crash-loop").
STORE="$TMP/store-pipe"
SPOOL="$STORE/spool"
write_config <<'CEOF'
[Collect]
LoopIntervalSec=1h
LoopBurst=1
CEOF
check "daemon starts (pipe handler loop)" start_daemon
"$CLIENT" hold & HOLD=$!
for k in 1 2 3 4; do
	"$top_builddir/crashwatch-collect" -c "$CRASHWATCH_CONFIG" "$HOLD" "$HOLD" 0 0 11 "$(date +%s)" \
		18446744073709551615 "$(hostname)" 1 "" coredump-client < "$CORE" 2>>"$TMP/collect.log"
	wait_for_crashes $k 60 || break
done
kill "$HOLD" 2>/dev/null
states=$("$CLI" list --json | jq -r '[.[] | .core_state + "/" + .analysis_status] | join(" ")')
check "4 crashes: stored, then removed after analysis, then not stored" \
	test "$states" = "stored/ok metadata-only/ok metadata-only/failed metadata-only/failed"
check "the collector recorded the last two without their cores (crash-loop)" \
	test "$(grep -c 'recorded (no core).*crash-loop' "$TMP/collect.log")" = 2
check "one core on disk, the loop counts 4" \
	test "$(ls "$STORE/cores" | wc -l) $("$CLI" status --json | jq -r '.crash_loops[0].count')" = "1 4"
stop_daemon
kill "$HOOK_PID" 2>/dev/null
exit $failed
