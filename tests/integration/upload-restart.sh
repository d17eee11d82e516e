#!/bin/sh
# Durability: the uploader is killed (SIGKILL) mid-delivery, the endpoint
# is down for a while, a crash arrives meanwhile, then both come back.
# Nothing may be lost, nothing delivered twice, and every delivery keeps
# its webhook-id across the restart.
. "$(dirname "$0")/upload-lib.sh"
echo "1..9"

start_server one 40 --rule /hook=stall:60
port=$one_port
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64)" > "$T/secret"
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store
[Upload]
URL=http://127.0.0.1:$port/hook
SecretFile=$T/secret
TimeoutSec=30
RetryInitialSec=1
RetryMaxSec=1
MaxAttempts=100
CONF

for i in 1 2 3; do "$HARNESS" store "spool-$i" "$FIXTURE" > /dev/null; done
"$HARNESS" run 60 > "$T/run1.out" 2>&1 &
HARNESS_PID=$!
i=0
while [ "$(wc -l < "$T/one.log")" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $HARNESS_PID
wait $HARNESS_PID 2>/dev/null
HARNESS_PID=""
if [ "$(wc -l < "$T/one.log")" -eq 3 ]; then ok "three deliveries under way when the uploader was killed"; else not_ok "three deliveries under way" "$(wc -l < "$T/one.log") requests"; fi

"$HARNESS" uploads --json > "$T/killed.json" 2>&1
check "the killed run left its rows claimed, not lost" python3 - "$T/killed.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert [r["state"] for r in j["uploads"]] == ["sending"] * 3, j
assert j["counts"]["pending"] == 3
PYEOF

# the endpoint goes down: connections are refused
kill $one_pid
wait $one_pid 2>/dev/null
"$HARNESS" store spool-4 "$FIXTURE" > /dev/null
timeout 20 "$HARNESS" run 3 > "$T/run2.out" 2>&1
"$HARNESS" uploads --json > "$T/down.json" 2>&1
check "while the endpoint is down every delivery stays queued and is retried" python3 - "$T/down.json" "$T/run2.out" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 4, "delivered": 0, "dead": 0}, j["counts"]
rows = {r["crash_id"]: r for r in j["uploads"]}
assert all(rows[c]["attempts"] >= 2 for c in "123"), rows
assert rows["4"]["attempts"] >= 1
assert all(r["last_status"] is None and r["last_error"] for r in j["uploads"])
out = open(sys.argv[2]).read()
assert "status=0" in out and "state=dead" not in out
PYEOF

start_server two 30 --port "$port" --rule /hook=ok
if timeout 30 "$HARNESS" run 20 --until-idle > "$T/run3.out" 2>&1; then ok "the outbox drained once the endpoint was back"; else not_ok "the outbox drained" "$(cat "$T/run3.out")"; fi

check "every crash delivered exactly once after the restart" python3 - "$T/two.log" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1])]
crashes = sorted(json.loads(r["body"])["data"]["crash_id"] for r in reqs)
assert crashes == ["1", "2", "3", "4"], crashes
PYEOF

check "each delivery kept its webhook-id across the kill and the outage" python3 - "$T/one.log" "$T/two.log" "$T/killed.json" <<'PYEOF'
import sys, json
before = {json.loads(json.loads(l)["body"])["data"]["crash_id"]: json.loads(l)["headers"]["webhook-id"] for l in open(sys.argv[1])}
after = {json.loads(json.loads(l)["body"])["data"]["crash_id"]: json.loads(l)["headers"]["webhook-id"] for l in open(sys.argv[2])}
assert len(before) == 3
for c, mid in before.items():
    assert after[c] == mid, (c, mid, after[c])
stored = {r["crash_id"]: "msg_" + r["delivery_id"] for r in json.load(open(sys.argv[3]))["uploads"]}
assert stored == before, (stored, before)
assert len(set(after.values())) == 4
PYEOF

check "signatures still verify after the restart" python3 - "$T/two.log" "$(cat "$T/secret")" <<'PYEOF'
import sys, json, hmac, hashlib, base64
key = base64.b64decode(sys.argv[2][6:])
for l in open(sys.argv[1]):
    r = json.loads(l)
    h = r["headers"]
    mac = base64.b64encode(hmac.new(key, f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{r["body"]}'.encode(), hashlib.sha256).digest()).decode()
    assert h["webhook-signature"] == "v1," + mac
PYEOF

"$HARNESS" uploads --json > "$T/final.json" 2>&1
check "the outbox records 4 deliveries, none pending or dead" python3 - "$T/final.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 0, "delivered": 4, "dead": 0}, j["counts"]
PYEOF

timeout 10 "$HARNESS" run 2 --until-idle > "$T/run4.out" 2>&1
if [ ! -s "$T/run4.out" ] && [ "$(wc -l < "$T/two.log")" -eq 4 ]; then ok "a further run sends nothing again"; else not_ok "a further run sends nothing again" "$(cat "$T/run4.out")"; fi
exit $failed
