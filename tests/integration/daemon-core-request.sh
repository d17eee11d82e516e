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
echo "1..49"
python3 "$top_srcdir/tests/integration/upload-server.py" --port-file "$TMP/hook.port" --log "$TMP/hook.log" \
	--lifetime 180 --rule /hook=ok --rule /api/7/envelope/=ok &
HOOK_PID=$!
for i in $(seq 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.1; done
SENTRY=$(printf '[Upload sentry]\nFormat=sentry\nDSN=http://k@127.0.0.1:%s/7\nRetryInitialSec=1' "$(cat "$TMP/hook.port")")
write_config <<CEOF
CoreSocketVerify=no
[Collect]
LoopIntervalSec=5s
LoopBurst=1
[Upload]
URL=http://127.0.0.1:$(cat "$TMP/hook.port")/hook
RetryInitialSec=1
$SENTRY
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
check "the loops verb: root's loop for root, none for uid 1000 (not their crash)" \
	test "$(rawq 0 '{"verb":"loops"}' | jq -c '[.crash_loops[].count]')/$(rawq 1000 '{"verb":"loops"}' | jq -c '[.crash_loops[].count]')" = "[3]/[]"
# one report for the first crash, one for the loop once quiet for 5 s, none per repeat
deliveries() { grep -c "\"path\": \"$1" "$TMP/hook.log"; }
for i in $(seq 150); do [ "$(deliveries /hook)" -ge 2 ] && [ "$(deliveries /api/7/)" -ge 2 ] && break; sleep 0.2; done
sleep 2
check "two webhook deliveries: the first crash and the loop (none per repeat)" test "$(deliveries /hook)" = 2
check "the loop's report: type crash.loop, count 3, 1 core kept, 2 not" python3 - "$TMP/hook.log" <<'PYEOF'
import json, sys
reqs = [r for r in map(json.loads, open(sys.argv[1])) if r["path"] == "/hook"]
first, loop = (json.loads(r["body"]) for r in reqs)
assert first["type"] == "crash.created" and "crash_loop" not in first["data"], first
l = loop["data"]["crash_loop"]
assert loop["type"] == "crash.loop", loop["type"]
assert (l["count"], l["cores_stored"], l["cores_dropped"]) == (3, 1, 2), l
assert l["duration_sec"] >= 0 and l["first"] <= l["last"], l
PYEOF
check "two Sentry events; the loop's: crash_loop tags and context (count, first/last seen)" \
	python3 - "$TMP/hook.log" <<'PYEOF'
import json, sys
evs = [json.loads(r["body"].split("\n")[2]) for r in map(json.loads, open(sys.argv[1])) if "/envelope/" in r["path"]]
assert len(evs) == 2, len(evs)
first, loop = evs
assert "crash_loop" not in first["tags"] and "crash_loop" not in first["contexts"], first["tags"]
t, c = loop["tags"], loop["contexts"]["crash_loop"]
assert t["crash_loop"] == "report" and t["crash_loop.count"] == "3", t
assert (c["report"], c["count"], c["cores_stored"], c["cores_dropped"]) == (True, 3, 1, 2), c
assert c["first_seen"] <= c["last_seen"] and c["first_seen"].endswith("Z") and c["duration_sec"] >= 0, c
assert loop["fingerprint"] == first["fingerprint"], "the loop report groups with its crash"
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

# LoopBurst=2: the second crash of a run keeps its core and is reported
# on its own; its Sentry event says it repeats (crash_loop=repeat).
STORE="$TMP/store-burst2"
SPOOL="$STORE/spool"
: > "$TMP/hook.log"
write_config <<CEOF
CoreSocketVerify=no
[Collect]
LoopIntervalSec=1h
LoopBurst=2
$SENTRY
CEOF
check "daemon starts (LoopBurst=2)" start_daemon
out=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
wait_for_crashes 1 60
out2=$("$CLIENT" kernel "$TMP/core.sock" "$CORE")
check "LoopBurst=2: both cores accepted" test "$out $out2" = "KERNEL KERNEL"
check "and both stored" wait_for_crashes 2 60
for i in $(seq 150); do [ "$(deliveries /api/7/)" -ge 2 ] && break; sleep 0.2; done
check "the second crash's Sentry event: crash_loop=repeat, count 2, first/last seen" \
	python3 - "$TMP/hook.log" <<'PYEOF'
import json, sys
evs = [json.loads(r["body"].split("\n")[2]) for r in map(json.loads, open(sys.argv[1])) if "/envelope/" in r["path"]]
assert len(evs) == 2, len(evs)
first, second = sorted(evs, key=lambda e: int(e["contexts"]["crashwatch"]["crash_id"]))
assert "crash_loop" not in first["tags"], first["tags"]
t, c = second["tags"], second["contexts"]["crash_loop"]
assert t["crash_loop"] == "repeat" and t["crash_loop.count"] == "2", t
assert (c["report"], c["count"], c["cores_stored"]) == (False, 2, 2) and "cores_dropped" not in c, c
assert c["first_seen"] <= c["last_seen"], c
PYEOF
stop_daemon

# CoreSocketTimeoutSec=: a connection that sends nothing, stops inside
# its request or stops inside its core is closed after the timeout and
# logged with its pid; the daemon goes on serving.
STORE="$TMP/store-timeout"
SPOOL="$STORE/spool"
write_config <<'CEOF'
CoreSocketVerify=no
CoreSocketTimeoutSec=2s
CEOF
check "daemon starts (CoreSocketTimeoutSec=2s)" start_daemon
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(now_ms)
read -r what pid < <("$CLIENT" silent "$TMP/core.sock")
t1=$(now_ms)
check "a connection that sends nothing is closed after 2 s" \
	test "$what" = closed -a $((t1 - t0)) -ge 1500 -a $((t1 - t0)) -lt 10000
check "and logged with its pid" grep -q "core socket: pid $pid (uid 0) sent nothing in 2 s, closed" "$TMP/daemon.log"
cpu() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"; }
c0=$(cpu)
read -r what pid < <("$CLIENT" silent "$TMP/core.sock" 6)
c1=$(cpu)
check "one stopping inside its request too, logged" \
	bash -c '[ "$1" = closed ] && grep -q "core socket: pid $2 (uid 0) sent an incomplete request in 2 s, closed" "$3"' \
	_ "$what" "$pid" "$TMP/daemon.log"
check "the daemon does not spin while it waits (< 0.5 s of CPU in 2 s)" test $((c1 - c0)) -lt 50
t0=$(now_ms)
out=$("$CLIENT" stall "$TMP/core.sock" "$CORE" 1024)
t1=$(now_ms)
check "a core that stops after 1 MiB: accepted, then closed after 2 s" \
	test "$out" = "KERNEL closed" -a $((t1 - t0)) -ge 1500 -a $((t1 - t0)) -lt 15000
check "the crash is recorded without its core (logged: timeout)" \
	bash -c 'wait_for() { for i in $(seq 100); do "$@" && return 0; sleep 0.2; done; return 1; }
		 wait_for grep -q "no byte of the core for 2 s after 1048576 bytes, closed; recorded without its core" "$1"' \
	_ "$TMP/daemon.log"
check "it is stored as metadata-only" wait_for_crashes 1 60
check "and the daemon still takes a whole core" \
	bash -c '[ "$("$1" kernel "$2" "$3")" = KERNEL ]' _ "$CLIENT" "$TMP/core.sock" "$CORE"
check "stored with its core" \
	bash -c 'for i in $(seq 300); do [ "$("$1" list --json | jq -r "[.[].core_state] | join(\" \")")" = "metadata-only stored" ] && exit 0; sleep 0.2; done; exit 1' _ "$CLI"
check "status answers" "$CLI" status
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

# Retention of loops: a loop that ended days before the newest crash (its
# report sent) and an expired collector marker are forgotten when the
# daemon starts; the live loop above and its marker stay.
live_marker=$(cd "$STORE/collect-state" && ls loop-* 2>/dev/null)
now=$(date +%s)
old_usec=$(( (now - 3 * 86400) * 1000000 ))
sqlite3 "$STORE/crashwatch.db" "INSERT INTO crash_loops (fingerprint, uid, build_id, exe, first_usec, last_usec,
	count, cores, dropped, reported) VALUES ('0ld0', 0, 'b-old', '/old', $old_usec, $old_usec, 5, 1, 4, 1)"
printf '%s b-old\n' $((now - 3 * 86400)) > "$STORE/collect-state/loop-00000000000000aa-0"
check "fabricated: an old loop, an expired marker, next to the live loop's marker" \
	test "$(sqlite3 "$STORE/crashwatch.db" 'SELECT count(*) FROM crash_loops')" = 2 -a -n "$live_marker"
check "daemon starts again" start_daemon
check "the old loop is forgotten, the live one stays" \
	test "$(sqlite3 "$STORE/crashwatch.db" 'SELECT group_concat(count) FROM crash_loops')" = 4
check "the expired marker is removed, the live one stays" \
	test ! -e "$STORE/collect-state/loop-00000000000000aa-0" -a -f "$STORE/collect-state/$live_marker"
check "logged" grep -q "retention: forgot 1 ended crash loop and 1 expired loop marker" "$TMP/daemon.log"
check "the live loop still shows" test "$("$CLI" status --json | jq -r '.crash_loops | length')" = 1
stop_daemon
check_sanitizer_reports
kill "$HOOK_PID" 2>/dev/null
exit $failed
