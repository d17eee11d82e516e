#!/bin/bash
# crashwatch's verbs on a history of synthetic crashes (records without
# cores, as the collector writes them for rate-limited crashes): matching
# like coredumpctl, --json, exit codes, config check, and a pager and
# colours on a terminal only.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..36"
write_config </dev/null
check "daemon starts" start_daemon

# record ID TIME_SEC PID UID COMM EXE
record() {
	local id="$(printf '%016d' "$(( $2 * 1000000 ))")-$3-$1"
	cat > "$SPOOL/.#$id" <<JEOF
{"schema":"crashwatch.record.v1","id":"$id","time_usec":$(( $2 * 1000000 )),"pid":$3,"tid":$3,
 "uid":$4,"gid":$4,"signal":11,"comm":"$5","exe":"$6","cmdline":["$6","--flag"],
 "core":{"stored":false,"size":1234,"truncated":false,"dropped_reason":"rate-limited"}}
JEOF
	mv "$SPOOL/.#$id" "$SPOOL/$id.meta"
}
T0=1700000000   # 2023-11-14 22:13:20 UTC
record 0000000a $((T0 + 0))    101 0    api     /srv/bin/api
record 0000000b $((T0 + 3600)) 102 1000 worker  /opt/w/worker
record 0000000c $((T0 + 7200)) 103 0    api     /srv/bin/api
record 0000000d $((T0 + 9000)) 104 0    cron    /usr/sbin/cron
check "four records stored" wait_for_crashes 4

L() { "$CLI" "$@" 2>/dev/null; }
check "list: one line per crash plus the legend" test "$(L list | wc -l)" = 5
check "list: newest last" test "$(L list --json | jq -c '[.[].pid]')" = "[101,102,103,104]"
check "list -1: the newest only" test "$(L list -1 --json | jq -c '[.[].pid]')" = "[104]"
check "list PID" test "$(L list 102 --json | jq -c '[.[].comm]')" = '["worker"]'
check "list COMM" test "$(L list api --json | jq -c '[.[].pid]')" = "[101,103]"
check "list /path/to/exe" test "$(L list /usr/sbin/cron --json | jq -c '[.[].pid]')" = "[104]"
check "list --since/--until" \
	test "$(L list --since $((T0 + 3600)) --until $((T0 + 7200)) --json | jq -c '[.[].pid]')" = "[102,103]"
U() { setpriv --reuid=1000 --regid=1000 --clear-groups "$CLI" "$@" 2>/dev/null; }
check "list as uid 1000 (through the daemon): only their crash, the line root sees" \
	test "$(U list --no-legend)" = "$(L list --no-legend 102)" -a "$(U list --no-legend | wc -l)" = 1
check "list --json as uid 1000: only their crash" test "$(U list --json | jq -c '[.[].pid]')" = "[102]"
L list nosuchprogram >/dev/null; rc=$?
check "list with no match: exit 4" test "$rc" = 4
check "list --json carries the contract's fields" \
	test "$(L list --json | jq '[.[] | has("id","time","pid","uid","exe","signal","message","fingerprint","go_version","core_state")] | all')" = true
check "a record without core: core_state metadata-only, analysis failed with the reason" \
	test "$(L list -1 --json | jq -r '"\(.[0].core_state) \(.[0].analysis_status) \(.[0].analysis_error)"')" = "metadata-only failed no core stored (rate-limited)"
ID=$(L list 102 --json | jq -r '.[0].id')
check "info ID: the record as text" bash -c "'$CLI' info $ID 2>/dev/null | grep -q 'Command line: /opt/w/worker --flag'"
check "info ID --json: one object with analysis null" test "$(L info "$ID" --json | jq -r '"\(.pid) \(.analysis)"')" = "102 null"
L info 999999 >/dev/null; rc=$?
check "info of an unknown ID: exit 4" test "$rc" = 4
L dump "$ID" -o "$TMP/x.core"; rc=$?
check "dump of a crash without core: exit 4, no file" test "$rc" = 4 -a ! -e "$TMP/x.core"
check "status --json: daemon running, 4 crashes" test "$(L status --json | jq -r '"\(.daemon) \(.crashes)"')" = "true 4"
# crash loops (fabricated: a run of uid 1000's worker, one of root's api),
# through the query protocol's "loops" verb: a user sees only theirs
id101=$(L list 101 --json | jq -r '.[0].id')
id103=$(L list 103 --json | jq -r '.[0].id')
sqlite3 "$STORE/crashwatch.db" "INSERT INTO crash_loops (fingerprint, uid, build_id, exe, first_usec, last_usec,
  count, cores, dropped, example_id, last_id, reported) VALUES
  ('f1000', 1000, 'b1', '/opt/w/worker', $(( (T0 + 3000) * 1000000 )), $(( (T0 + 3600) * 1000000 )), 9, 1, 8, $ID, $ID, 0),
  ('f0', 0, 'b0', '/srv/bin/api', $(( (T0 + 6000) * 1000000 )), $(( (T0 + 7200) * 1000000 )), 5, 1, 4, $id101, $id103, 0)"
check "loops verb as uid 1000: only the loop of their crash" \
	test "$(rawq 1000 '{"verb":"loops"}' | jq -c '[.crash_loops[].fingerprint]')" = '["f1000"]'
check "loops verb as root: every loop, oldest first" \
	test "$(rawq 0 '{"verb":"loops"}' | jq -c '[.crash_loops[].fingerprint]')" = '["f1000","f0"]'
check "loops verb: status's crash_loops (uid 1000 and root), nothing else" \
	test "$(rawq 1000 '{"verb":"loops"}' | jq -c .crash_loops)" = "$(rawq 1000 '{"verb":"status"}' | jq -c .status.crash_loops)" \
	  -a "$(rawq 0 '{"verb":"loops"}' | jq -c .crash_loops)" = "$(rawq 0 '{"verb":"status"}' | jq -c .status.crash_loops)" \
	  -a "$(rawq 0 '{"verb":"loops"}' | jq -c 'keys')" = '["crash_loops","ok"]'
check "list as uid 1000 ends with their loop, not root's" \
	sh -c 'out=$("$@" list 2>/dev/null); echo "$out" | grep -q "^crash loop: /opt/w/worker crashed 9 times" &&
	       ! echo "$out" | grep -q "crash loop: /srv/bin/api"' _ setpriv --reuid=1000 --regid=1000 --clear-groups "$CLI"
check "list as root ends with both loops" test "$(L list | grep -c '^crash loop: ')" = 2
check "a verb the daemon does not know: EOPNOTSUPP, unknown verb" \
	test "$(rawq 1000 '{"verb":"frobnicate"}' | jq -r '"\(.ok) \(.errno) \(.error)"')" = "false 95 unknown verb"
if start_proxy relay; then
	CRASHWATCH_CONFIG="$PROXY_CONFIG" U list >/dev/null
	check "list as uid 1000: two requests, summaries and loops" test "$(proxy_verbs)" = "summaries loops "
	stop_proxy
else
	not_ok "list as uid 1000: two requests, summaries and loops" "the relay did not start"
fi
if start_proxy old; then
	out=$(CRASHWATCH_CONFIG="$PROXY_CONFIG" U list)
	check "a daemon without the loops verb: list as uid 1000 still ends with their loop (from status)" \
		sh -c 'echo "$1" | grep -q "^crash loop: /opt/w/worker crashed 9 times" && test "$2" = "summaries loops status "' \
		_ "$out" "$(proxy_verbs)"
	check "... and the same rows" test "$(CRASHWATCH_CONFIG="$PROXY_CONFIG" U list --no-legend | head -n 1)" = "$(U list --no-legend | head -n 1)"
	stop_proxy
else
	not_ok "a daemon without the loops verb" "the proxy did not start"
	not_ok "... and the same rows" "the proxy did not start"
fi
printf '[Analyze]\nTimeoutSec=soon\n' > "$TMP/bad.conf"
out=$("$CLI" config check "$TMP/bad.conf" 2>&1); rc=$?
check "config check: a bad value names file, line and key (exit 3)" \
	test "$rc" = 3 -a "$out" = "$TMP/bad.conf:2: [Analyze] TimeoutSec=: expected a time span such as 30s, 5min or 7d, got \"soon\""
quiet() { "$@" >/dev/null 2>&1; }
check "config check: the test configuration is valid" quiet "$CLI" config check "$CRASHWATCH_CONFIG"
"$CLI" frobnicate >/dev/null 2>&1; rc=$?
check "unknown verb: exit 2" test "$rc" = 2
check "no colours in a pipe" bash -c "! '$CLI' list | grep -q $'\e'"
if command -v script >/dev/null; then
	CRASHWATCH_PAGER='sed s/^/PAGED:/' TERM=xterm script -qec "'$CLI' list" /dev/null > "$TMP/tty.out" 2>&1
	check "on a terminal: through the pager, with colours" \
		bash -c "grep -q '^PAGED:ID' '$TMP/tty.out' && grep -q $'\e\\[1m' '$TMP/tty.out'"
else
	skip "on a terminal: through the pager, with colours" "no script(1) for a pseudo-terminal"
fi
# hostile peers on the query socket
python3 - "$TMP/query.sock" > "$TMP/hostile.out" 2>&1 <<'PYEOF' &
import socket, sys, time
idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
idle.connect(sys.argv[1])          # says nothing, holds the connection
bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
bad.connect(sys.argv[1])
bad.sendall(b'{"verb":"list","filter":{"restrict_uid":false}} {"verb":"dump"}\n')
bad.shutdown(socket.SHUT_WR)
print(bad.recv(65536).decode())
time.sleep(3)
PYEOF
HOSTILE=$!
sleep 0.5
t0=$(date +%s%N)
st=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" status --json 2>/dev/null | jq -r .daemon)
t1=$(date +%s%N)
check "an idle peer does not hold up other clients" test "$st" = true -a $(( (t1 - t0) / 1000000 )) -lt 2000
wait "$HOSTILE"
check "a malformed request is answered with an error" grep -q '"ok":false' "$TMP/hostile.out"
check_sanitizer_reports
stop_daemon
exit $failed
