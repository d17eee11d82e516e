#!/bin/bash
# End to end: a real Go crash goes through the collector and crashwatchd
# to a signed webhook and a Sentry envelope on a 127.0.0.1 test server,
# carrying what the Go runtime itself printed.
. "$top_srcdir/tests/integration/daemon-lib.sh"
echo "1..9"
if ! find_go; then
	for i in $(seq 1 9); do skip "upload e2e step $i" "no Go toolchain"; done
	exit 0
fi

SERVER="$top_srcdir/tests/integration/upload-server.py"
python3 "$SERVER" --port-file "$TMP/port" --log "$TMP/srv.log" --lifetime 120 \
	--rule /hook=503:1,ok --rule /api/7/envelope/=ok &
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
check "daemon starts with two upload endpoints" start_daemon
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

"$CLI" uploads --json > "$TMP/uploads.json" 2>&1
check "crashwatch uploads: both delivered" python3 - "$TMP/uploads.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 0, "delivered": 2, "dead": 0}, j
PYEOF
check "daemon stops cleanly" stop_daemon
exit $failed
