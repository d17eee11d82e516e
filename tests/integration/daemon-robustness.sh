#!/bin/bash
# Hostile and failing input never takes the daemon down: a malformed
# record, a garbage core, an analysis over its memory limit; retention
# removes cores oldest first and keeps the records; an unprivileged user
# sees only their own crashes through the query socket.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..18"
printf '[Analyze]\nMemoryMax=16M\nTimeoutSec=30\n' | write_config
build_c_crasher
check "daemon starts" start_daemon

# 1. a malformed record
NOW_US=$(date +%s%6N)
BAD_ID="$NOW_US-4242-0badc0de"
printf '{"schema":"crashwatch.record.v1","id":' > "$SPOOL/.#bad"
mv "$SPOOL/.#bad" "$SPOOL/$BAD_ID.meta"
wait_bad() { local i; for i in $(seq 1 50); do [ -f "$SPOOL/$BAD_ID.bad" ] && return 0; sleep 0.1; done; return 1; }
check "a malformed record is set aside as .bad" wait_bad
check "the daemon survives it" kill -0 "$DAEMON_PID"

# 2. a well-formed record whose core is garbage
GID="$((NOW_US + 1))-4243-0000abcd"
head -c 200000 /dev/urandom | zstd -q -c > "$SPOOL/.#core"
mv "$SPOOL/.#core" "$SPOOL/$GID.core.zst"
cat > "$SPOOL/.#meta" <<JEOF
{"schema":"crashwatch.record.v1","id":"$GID","time_usec":$((NOW_US + 1)),"pid":4243,"tid":4243,
 "uid":0,"gid":0,"signal":11,"comm":"garbage","exe":"/nonexistent/garbage",
 "core":{"stored":true,"size":200000,"stored_size":200000,"truncated":false}}
JEOF
mv "$SPOOL/.#meta" "$SPOOL/$GID.meta"
check "a garbage core is stored" wait_for_crashes 1
"$CLI" list --json > "$TMP/l.json"
check "its analysis is recorded as failed, with the reason" \
	test "$(jq -r '.[0].analysis_status' "$TMP/l.json")" = failed -a -n "$(jq -r '.[0].analysis_error // empty' "$TMP/l.json")"
check "the daemon survives it" kill -0 "$DAEMON_PID"

# 3. a real core over MemoryMax=16M: that analysis fails, the daemon does not
CRASH_SIG=11 crash_go "$TMP/segv" x 0
check "a real core analysed under a 16M address-space limit is stored" wait_for_crashes 2
if grep -q "MemoryMax= is not enforced" "$TMP/daemon.log"; then
	skip "... as a failed analysis with a reason" "sanitizer build: no address-space limit"
else
	check "... as a failed analysis with a reason" \
		test "$("$CLI" list --json -1 | jq -r '.[0].analysis_status')" = failed
fi
check "the daemon survives it" kill -0 "$DAEMON_PID"

# debug: gdb on the stored core with the executable
SEGV_ID=$("$CLI" list --json -1 | jq -r '.[0].id')
if command -v gdb >/dev/null; then
	"$CLI" debug "$SEGV_ID" -D gdb -A "-nx -batch -ex bt" > "$TMP/gdb.out" 2>&1
	check "debug: gdb runs on the core with the executable (bt shows main)" grep -q "in main ()" "$TMP/gdb.out"
else
	skip "debug: gdb runs on the core with the executable" "no gdb"
fi

# 4. per-uid visibility through the query socket
stop_daemon
printf '[Collect]\nMaxUse=1G\n' | write_config
start_daemon
CRASH_SIG=11 crash_go "$TMP/segv" x 65534; NOBODY_CORE=$CRASH_CORE
CRASH_SIG=11 CRASH_DUMPMODE=2 crash_go "$TMP/segv" x 65534
wait_for_crashes 4
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
check "root sees all four crashes" test "$(crash_count)" = 4
check "nobody sees only its own, unrestricted crash" \
	test "$(as_nobody "$CLI" list --json | jq -c '[.[].uid]')" = "[65534]"
NOBODY_ID=$(as_nobody "$CLI" list --json | jq -r '.[0].id')
as_nobody "$CLI" dump "$NOBODY_ID" > "$TMP/nobody.core" 2>/dev/null
check "nobody dumps its own core through the daemon, byte-exact" cmp -s "$TMP/nobody.core" "$NOBODY_CORE"
as_nobody "$CLI" dump 2 > /dev/null 2>&1; rc=$?
check "nobody cannot dump root's crash (exit 4, not found)" test "$rc" = 4

# 5. retention: MaxUse=1 removes every stored core, keeps the records
stop_daemon
printf '[Collect]\nMaxUse=1\n' | write_config
start_daemon
wait_removed() { local i; for i in $(seq 1 50); do
	[ "$("$CLI" list --json | jq '[.[] | select(.core_state == "stored")] | length')" = 0 ] && return 0; sleep 0.1; done; return 1; }
check "retention (MaxUse=1): every core removed, records kept as removed" wait_removed
"$CLI" dump "$NOBODY_ID" > /dev/null 2>&1; rc=$?
check "dump of a removed core: exit 4 with a reason" test "$rc" = 4 -a "$(crash_count)" = 4
stop_daemon

# 6. retention by age: a crash from 2023 with a core, MaxAge=7d
{ printf '[Storage]\nDirectory=%s\nMaxAge=7d\n' "$STORE"; printf '[Daemon]\nSocket=%s/query.sock\nCoreSocket=\n' "$TMP"; } > "$CRASHWATCH_CONFIG"
OLD_ID="1700000000000000-4244-00c0ffee"
zstd -q -c "$NOBODY_CORE" > "$SPOOL/.#old"
mv "$SPOOL/.#old" "$SPOOL/$OLD_ID.core.zst"
cat > "$SPOOL/.#oldmeta" <<JEOF
{"schema":"crashwatch.record.v1","id":"$OLD_ID","time_usec":1700000000000000,"pid":4244,"tid":4244,
 "uid":0,"gid":0,"signal":11,"comm":"old","exe":"$TMP/segv",
 "core":{"stored":true,"size":1,"stored_size":1,"truncated":false}}
JEOF
mv "$SPOOL/.#oldmeta" "$SPOOL/$OLD_ID.meta"
start_daemon
wait_for_crashes 5
check "retention (MaxAge=7d): a 2023 crash is stored with its core removed" \
	test "$("$CLI" list 4244 --json | jq -r '.[0].core_state')" = removed
stop_daemon
check_sanitizer_reports
exit $failed
