#!/bin/bash
# The systemd protocols without systemd: NOTIFY_SOCKET (READY=1, STATUS=,
# WATCHDOG=1, RELOADING=1, STOPPING=1) on a python3 datagram listener,
# socket activation (LISTEN_FDS/LISTEN_PID with a pre-bound socket),
# SIGHUP reload (bad config kept out, good config applied), SIGTERM.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..11"
write_config </dev/null

cat > "$TMP/launch.py" <<'PYEOF'
import os, socket, sys
tmp, daemon, config = sys.argv[1:4]
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(tmp + "/notify.sock")
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(tmp + "/query.sock")
os.chmod(tmp + "/query.sock", 0o666)
listener.listen(16)
pid = os.fork()
if pid == 0:
    os.dup2(listener.fileno(), 3)
    os.set_inheritable(3, True)
    env = dict(os.environ, NOTIFY_SOCKET=tmp + "/notify.sock", WATCHDOG_USEC="400000",
               LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    log = os.open(tmp + "/daemon.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 2)
    os.execve(daemon, [daemon, "--config", config], env)
listener.close()
with open(tmp + "/daemon.pid", "w") as f:
    f.write(str(pid))
notify.settimeout(0.5)
with open(tmp + "/notify.log", "a", buffering=1) as out:
    while True:
        try:
            msg = notify.recv(4096).decode()
            out.write(msg.replace("\n", "|") + "\n")
        except socket.timeout:
            pass
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            out.write("EXIT %d\n" % os.waitstatus_to_exitcode(_))
            break
PYEOF
python3 "$TMP/launch.py" "$TMP" "$DAEMON" "$CRASHWATCH_CONFIG" &
LAUNCHER=$!
wait_log() { # wait_log PATTERN FILE [SECONDS]
	local i
	for i in $(seq 1 $((${3:-5} * 10))); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "READY=1 on NOTIFY_SOCKET" wait_log "READY=1" "$TMP/notify.log"
DAEMON_PID=$(cat "$TMP/daemon.pid")
check "STATUS= on NOTIFY_SOCKET" grep -q "STATUS=Idle" "$TMP/notify.log"
sleep 1
check "WATCHDOG=1 keep-alives at half WATCHDOG_USEC" test "$(grep -c 'WATCHDOG=1' "$TMP/notify.log")" -ge 2
INODE=$(stat -c %i "$TMP/query.sock")
st=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" status --json 2>/dev/null | jq -r .daemon)
check "socket activation: an unprivileged user reaches the daemon on the passed socket" \
	test "$st" = true -a "$(stat -c %i "$TMP/query.sock")" = "$INODE"

cp "$CRASHWATCH_CONFIG" "$TMP/good.conf"
printf '[Analyze]\nTimeoutSec=soon\n' >> "$CRASHWATCH_CONFIG"
kill -HUP "$DAEMON_PID"
check "SIGHUP with a bad config: reload refused, reason logged" wait_log "reload failed.*TimeoutSec" "$TMP/daemon.log"
check "SIGHUP: RELOADING=1 then READY=1 again" wait_log "RELOADING=1" "$TMP/notify.log"
cp "$TMP/good.conf" "$CRASHWATCH_CONFIG"
kill -HUP "$DAEMON_PID"
check "SIGHUP with a good config: reloaded" wait_log "configuration reloaded" "$TMP/daemon.log"
check "still answering after the reloads" \
	test "$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" status --json 2>/dev/null | jq -r .daemon)" = true
kill -TERM "$DAEMON_PID"
wait "$LAUNCHER"
DAEMON_PID=""
stopped_cleanly() { grep -q "STOPPING=1" "$TMP/notify.log" && grep -q "^EXIT 0$" "$TMP/notify.log"; }
check "SIGTERM: STOPPING=1 and exit status 0" stopped_cleanly
if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null; then
	JOURNAL_STREAM=0:0 "$DAEMON" --config "$CRASHWATCH_CONFIG" 2>>"$TMP/daemon.log" &
	jpid=$!
	sleep 1
	kill -TERM "$jpid"; wait "$jpid"
	journalctl --sync 2>/dev/null
	check "journald: the start-up entry carries its MESSAGE_ID" \
		test -n "$(journalctl -q -o cat MESSAGE_ID=3c4d5e6f708192a3b4c5d6e7f8091a2b _PID=$jpid 2>/dev/null)"
elif unshare -m --propagation private true 2>/dev/null; then
	# no journald here: the native protocol on a stand-in socket, in a
	# private mount namespace with a tmpfs over /run (the host's /run is
	# untouched); a crash goes through the collector meanwhile
	: >"$TMP/journal.jsonl"
	unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
		python3 "$1/tests/integration/journal-receiver.py" /run/systemd/journal/socket "$2/journal.jsonl" &
		rp=$!
		for _ in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
		JOURNAL_STREAM=0:0 "$3" --config "$4" 2>>"$2/daemon.log" &
		dp=$!
		for _ in $(seq 1 600); do [ -e "$2/journal.stop" ] && break; sleep 0.05; done
		kill -TERM "$dp"; wait "$dp"
		sleep 0.2; kill -TERM "$rp"; wait "$rp"
	' sh "$top_srcdir" "$TMP" "$DAEMON" "$CRASHWATCH_CONFIG" &
	ns=$!
	journal_has() { grep -q "$1" "$TMP/journal.jsonl"; }
	for _ in $(seq 1 100); do journal_has 3c4d5e6f708192a3b4c5d6e7f8091a2b && break; sleep 0.05; done
	build_c_crasher
	(cd "$TMP" && ulimit -c unlimited && exec "$TMP/segv") 2>/dev/null
	SEGV_CORE=$(ls "$TMP"/core "$TMP"/core.* 2>/dev/null | head -n 1)
	[ -n "$SEGV_CORE" ] && run_collector 4242 4242 0 0 11 "$(date +%s)" 18446744073709551615 "$(hostname)" 1 "" \
		segv < "$SEGV_CORE"
	for _ in $(seq 1 300); do journal_has 6a1e8f0c3b2d4e5f9a7c1d2e3f4a5b6c && break; sleep 0.05; done
	touch "$TMP/journal.stop"
	wait "$ns"
	journal_ok() {
		python3 - "$TMP/journal.jsonl" <<'PYEOF'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
bad = [e for e in entries if "_RECEIVER_ERROR" in e or not {"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER"} <= e.keys()]
start = [e for e in entries if e.get("MESSAGE_ID") == "3c4d5e6f708192a3b4c5d6e7f8091a2b"]
crash = [e for e in entries if e.get("MESSAGE_ID") == "6a1e8f0c3b2d4e5f9a7c1d2e3f4a5b6c"]
ok = entries and not bad and len(start) == 1 and start[0]["SYSLOG_IDENTIFIER"] == "crashwatchd" \
    and start[0]["PRIORITY"].isdigit() and len(crash) == 1 \
    and crash[0].get("CRASHWATCH_PID") == "4242" and crash[0].get("CRASHWATCH_SIGNAL") == "11" \
    and crash[0].get("CRASHWATCH_EXE", "").endswith("/segv") \
    and len(crash[0].get("CRASHWATCH_FINGERPRINT", "")) == 64 and crash[0].get("CRASHWATCH_ID", "").isdigit()
if not ok:
    print("# journal entries: %d, malformed: %s, start-up: %s, crash: %s" % (len(entries), bad[:2], start, crash))
sys.exit(0 if ok else 1)
PYEOF
	}
	check "journald native protocol (stand-in socket): start-up entry, crash entry with exe, pid, signal, fingerprint" \
		journal_ok
else
	skip "journald native logging" "no journal socket (/run/systemd/journal/socket) and no mount namespace here"
fi
check_sanitizer_reports
exit $failed
