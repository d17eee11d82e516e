#!/bin/bash
# End to end: a real Go crash goes through the collector and crashwatchd
# to a signed webhook and a Sentry envelope on a 127.0.0.1 test server,
# carrying what the Go runtime itself printed.
. "$top_srcdir/tests/integration/daemon-lib.sh"
echo "1..19"
if ! find_go; then
	for i in $(seq 1 17); do skip "upload e2e step $i" "no Go toolchain"; done
	exit 0
fi

SERVER="$top_srcdir/tests/integration/upload-server.py"
python3 "$SERVER" --port-file "$TMP/port" --log "$TMP/srv.log" --lifetime 120 \
	--rule /hook=503:1,ok --rule /api/7/envelope/=ok --rule /slow=stall:30,ok &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; cleanup' EXIT
for i in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")
touch "$TMP/srv.log"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$TMP/secret"
# (no address-space limit on the analysis: sanitizer builds need a large one)
write_config <<CONF
[Analyze]
MemoryMax=infinity
[Upload]
URL=http://127.0.0.1:$port/hook
SecretFile=$TMP/secret
RetryInitialSec=1
[Upload sentry]
Format=sentry
DSN=http://e2ekey@127.0.0.1:$port/7
[Upload slow]
URL=http://127.0.0.1:$port/slow
TimeoutSec=60
CONF

mkdir -p "$TMP/src"
printf 'module example.com/e2e\n\ngo 1.21\n' > "$TMP/src/go.mod"
cat > "$TMP/src/main.go" <<'GOEOF'
package main

import (
	"fmt"
	"os"
	"time"
)

func worker(c chan int) { <-c }

func charge(account string, cents int) {
	panic(fmt.Sprintf("payment for %s failed: %d cents", account, cents))
}

func main() {
	c := make(chan int)
	for i := 0; i < 3; i++ {
		go worker(c)
	}
	time.Sleep(10 * time.Millisecond)
	charge(os.Args[1], len(os.Args)*1000)
}
GOEOF
go_build "$TMP/src" "$TMP/payer"
check "a crashing Go program" test -x "$TMP/payer"
check "daemon starts with three upload endpoints" start_daemon
crash_go "$TMP/payer" alice 0
MSG=$(runtime_panic_message "$CRASH_STDERR")
check "the daemon stored the crash" wait_for_crashes 1

delivered() { [ "$(grep -c '"action": "ok"' "$TMP/srv.log")" -ge 2 ]; }
for i in $(seq 1 100); do delivered && break; sleep 0.2; done
check "webhook (after a 503) and Sentry envelope delivered" delivered

"$CLI" list --json > "$TMP/list.json"
check "webhook payload carries the runtime's panic message, Go version, module and frames" \
	python3 - "$TMP/srv.log" "$TMP/list.json" "$MSG" "$(GOTOOLCHAIN=local "$GO" env GOVERSION)" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
crash = json.load(open(sys.argv[2]))[0]
d = json.loads(reqs[-1]["body"])["data"]
assert d["message"] == sys.argv[3] == "payment for alice failed: 2000 cents", (d["message"], sys.argv[3])
assert d["crash_id"] == str(crash["id"]) and d["fingerprint"] == crash["fingerprint"]
assert d["go"]["version"] == sys.argv[4] and d["go"]["module"] == "example.com/e2e"
assert d["executable"].endswith("/payer") and d["signal"]["name"] == "SIGABRT"
names = [f["function"] for f in d["frames"] if f["in_app"]]
assert names[:2] == ["main.charge", "main.main"], names
assert d["goroutine_count"] >= 4 and d["fingerprint_count"] == 1
PYEOF

check "the 503 and the retry carried the same webhook-id, both correctly signed" \
	python3 - "$TMP/srv.log" "$(cat "$TMP/secret")" <<'PYEOF'
import sys, json, hmac, hashlib, base64
key = base64.b64decode(sys.argv[2].strip()[6:])
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
assert [r["action"] for r in reqs] == ["503:1", "ok"], [r["action"] for r in reqs]
assert len({r["headers"]["webhook-id"] for r in reqs}) == 1
for r in reqs:
    h = r["headers"]
    mac = base64.b64encode(hmac.new(key, f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{r["body"]}'.encode(), hashlib.sha256).digest()).decode()
    assert h["webhook-signature"] == "v1," + mac
PYEOF

check "Sentry event: the panic as exception, one thread per goroutine, crashed one marked" \
	python3 - "$TMP/srv.log" "$MSG" <<'PYEOF'
import sys, json
r = [json.loads(l) for l in open(sys.argv[1]) if "/envelope/" in json.loads(l)["path"]][0]
assert "sentry_key=e2ekey" in r["headers"]["x-sentry-auth"]
lines = r["body"].split("\n")
ev = json.loads(lines[2])
e = ev["exception"]["values"][0]
assert e["value"] == sys.argv[2]
frames = e["stacktrace"]["frames"]
assert [f["function"] for f in frames if f["in_app"]][-2:] == ["main", "charge"], frames
th = ev["threads"]["values"]
assert len(th) >= 4 and sum(t["crashed"] for t in th) == 1
assert next(t for t in th if t["crashed"])["id"] == e["thread_id"]
assert ev["contexts"]["runtime"]["name"] == "go" and ev["platform"] == "go"
PYEOF

# a delivery stalled on a slow endpoint must not hold up a stop, and must
# go out again (same id) after the restart
stalled() { grep -q '"path": "/slow"' "$TMP/srv.log"; }
for i in $(seq 1 50); do stalled && break; sleep 0.2; done
t0=$(date +%s%N)
check "daemon stops cleanly and promptly with a delivery stalled" stop_daemon
t1=$(date +%s%N)
check "  ... within 5 s ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 5000
"$CLI" uploads --json > "$TMP/stopped.json" 2>&1
check "the interrupted delivery is pending again, its attempt counted" python3 - "$TMP/stopped.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
rows = {r["endpoint"]: r for r in j["uploads"]}
assert j["counts"] == {"pending": 1, "delivered": 2, "dead": 0}, j["counts"]
assert rows["Upload slow"]["state"] == "pending" and rows["Upload slow"]["attempts"] == 1, rows["Upload slow"]
PYEOF
check "daemon restarts" start_daemon
slow_done() { [ "$(grep -c '"path": "/slow"' "$TMP/srv.log")" -ge 2 ]; }
for i in $(seq 1 50); do slow_done && break; sleep 0.2; done
sleep 0.5
"$CLI" uploads --json > "$TMP/uploads.json" 2>&1
check "after the restart it was delivered with the same webhook-id" python3 - "$TMP/uploads.json" "$TMP/srv.log" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 0, "delivered": 3, "dead": 0}, j["counts"]
reqs = [json.loads(l) for l in open(sys.argv[2]) if json.loads(l)["path"] == "/slow"]
assert [r["action"] for r in reqs] == ["stall:30", "ok"], [r["action"] for r in reqs]
assert reqs[0]["headers"]["webhook-id"] == reqs[1]["headers"]["webhook-id"]
PYEOF
"$CLI" status --json > "$TMP/status.json" 2>&1
check "crashwatch status (through the daemon) counts the deliveries" python3 - "$TMP/status.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["daemon"] is True and (j["uploads_delivered"], j["uploads_pending"], j["uploads_dead"]) == (3, 0, 0), j
PYEOF

# reload (SIGHUP) with another endpoint: the next crash goes there too
cat >> "$CRASHWATCH_CONFIG" <<CONF
[Upload later]
URL=http://127.0.0.1:$port/later
Events=new-fingerprint
CONF
kill -HUP "$DAEMON_PID"
sleep 0.5
crash_go "$TMP/payer" bob 0
check "the daemon stored a second crash" wait_for_crashes 2
later_done() { grep -q '"path": "/later"' "$TMP/srv.log" && [ "$(grep -c '"path": "/hook"' "$TMP/srv.log")" -ge 3 ]; }
for i in $(seq 1 50); do later_done && break; sleep 0.2; done
check "after a reload the new endpoint gets the next crash, the old ones still do" python3 - "$TMP/srv.log" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1])]
later = [json.loads(r["body"])["data"] for r in reqs if r["path"] == "/later"]
hook = [json.loads(r["body"])["data"] for r in reqs if r["path"] == "/hook" and r["action"] == "ok"]
assert [d["crash_id"] for d in later] == ["2"], later
assert later[0]["message"] == "payment for bob failed: 2000 cents"
assert sorted(d["crash_id"] for d in hook) == ["1", "2"], hook
PYEOF
# an endpoint that is removed from the configuration: its undelivered rows
# become dead letters at the reload instead of waiting forever
cp "$CRASHWATCH_CONFIG" "$TMP/before-gone.conf"
cat >> "$CRASHWATCH_CONFIG" <<CONF
[Upload gone]
URL=http://127.0.0.1:1/unreachable
RetryInitialSec=600
CONF
kill -HUP "$DAEMON_PID"
sleep 0.5
crash_go "$TMP/payer" carol 0
check "the daemon stored a third crash" wait_for_crashes 3
gone_state() { "$CLI" uploads --json 2>/dev/null | jq -r '[.uploads[] | select(.endpoint == "Upload gone") | .state] | join(",")'; }
for i in $(seq 1 50); do [ "$(gone_state)" = pending ] && break; sleep 0.2; done
cp "$TMP/before-gone.conf" "$CRASHWATCH_CONFIG"
kill -HUP "$DAEMON_PID"
for i in $(seq 1 50); do [ "$(gone_state)" = dead ] && break; sleep 0.1; done
"$CLI" uploads --json > "$TMP/gone.json" 2>&1
check "a removed endpoint's pending delivery became a dead letter, the others untouched" python3 - "$TMP/gone.json" <<'PYEOF'
import sys, json
rows = json.load(open(sys.argv[1]))["uploads"]
gone = [r for r in rows if r["endpoint"] == "Upload gone"]
assert len(gone) == 1 and gone[0]["state"] == "dead" and gone[0]["last_error"] == "endpoint no longer configured", gone
assert all(r["state"] != "dead" for r in rows if r["endpoint"] != "Upload gone"), rows
PYEOF
check "daemon stops cleanly" stop_daemon
if grep -q "delivered to \[Upload\]" "$TMP/daemon.log" && grep -q "attempt 1 failed (HTTP 503" "$TMP/daemon.log" &&
   ! grep -qF "$(sed 's/^whsec_//' "$TMP/secret")" "$TMP/daemon.log"; then
	ok "the daemon logs failures and deliveries, never the secret"
else
	not_ok "the daemon logs failures and deliveries, never the secret"
fi
exit $failed
