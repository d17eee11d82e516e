#!/bin/sh
# Standard Webhooks delivery against a real HTTP server on 127.0.0.1:
# signatures, stable ids, payload, retries (500, closed connection, 429 with
# Retry-After, timeout), attempt cap and dead letters, Events=new-fingerprint,
# crashwatch uploads and uploads retry.
. "$(dirname "$0")/upload-lib.sh"
echo "1..22"

start_server hook 90 --rule /hook=500,close,429:2,ok --rule /dead=500 --rule /gone=404 \
	--rule /slow=stall:4,stall:4,ok --rule /new=ok
SECRET="whsec_$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
printf '%s\n' "$SECRET" > "$T/secret"
chmod 600 "$T/secret"
base="http://127.0.0.1:$hook_port"
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store

[Upload]
URL=$base/hook
SecretFile=$T/secret
RetryInitialSec=1
RetryMaxSec=2
MaxAttempts=8

[Upload dead]
URL=$base/dead
RetryInitialSec=1
RetryMaxSec=1
MaxAttempts=2

[Upload gone]
URL=$base/gone

[Upload slow]
URL=$base/slow
TimeoutSec=1
RetryInitialSec=1
RetryMaxSec=1

[Upload new]
URL=$base/new
Events=new-fingerprint
CONF

now=$(date +%s)
id1=$("$HARNESS" store spool-1 "$FIXTURE" $((now - 60)))
id2=$("$HARNESS" store spool-2 "$FIXTURE" "$now")
if [ "$id1" = 1 ] && [ "$id2" = 2 ]; then ok "two crashes stored, each queued in its insert transaction"; else not_ok "two crashes stored" "ids '$id1' '$id2'"; fi

start=$(date +%s)
if timeout 60 "$HARNESS" run 50 --until-idle > "$T/run1.out" 2> "$T/run1.err"; then
	ok "uploader drained the outbox ($(($(date +%s) - start)) s)"
else
	not_ok "uploader drained the outbox" "$(cat "$T/run1.err")"
fi

PY="python3 - $T/hook.log $SECRET"
check "every webhook request carries a valid v1 HMAC-SHA256 signature of id.timestamp.body" $PY <<'PYEOF'
import sys, json, hmac, hashlib, base64
log, secret = sys.argv[1], sys.argv[2]
key = base64.b64decode(secret[len("whsec_"):])
reqs = [json.loads(l) for l in open(log) if json.loads(l)["path"] == "/hook"]
assert reqs, "no requests"
for r in reqs:
    h = r["headers"]
    mid, ts = h["webhook-id"], h["webhook-timestamp"]
    mac = base64.b64encode(hmac.new(key, f"{mid}.{ts}.".encode() + r["body"].encode(), hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in h["webhook-signature"].split() if s.startswith("v1,")]
    assert mac in sigs, (mac, sigs)
    assert abs(int(ts) - r["time"]) < 30, (ts, r["time"])
    assert h["content-type"] == "application/json"
PYEOF

check "one webhook-id per crash across all its attempts, distinct between crashes" $PY <<'PYEOF'
import sys, json, re
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
ids = {}
for r in reqs:
    cid = json.loads(r["body"])["data"]["crash_id"]
    ids.setdefault(cid, set()).add(r["headers"]["webhook-id"])
assert set(ids) == {"1", "2"}, ids
for cid, s in ids.items():
    assert len(s) == 1, (cid, s)
    assert re.fullmatch(r"msg_[0-9a-f]{32}", next(iter(s))), s
assert ids["1"] != ids["2"]
PYEOF

check "the body is byte-identical on every attempt of a delivery" $PY <<'PYEOF'
import sys, json
bodies = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/hook":
        bodies.setdefault(r["headers"]["webhook-id"], set()).add(r["body"])
assert all(len(b) == 1 for b in bodies.values()), bodies
PYEOF

check "retried after 500 and a closed connection; exactly one success per crash" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
actions = [r["action"] for r in reqs]
assert actions[:3] == ["500", "close", "429:2"], actions
ok = {}
for r in reqs:
    if r["action"] == "ok":
        cid = json.loads(r["body"])["data"]["crash_id"]
        ok[cid] = ok.get(cid, 0) + 1
assert ok == {"1": 1, "2": 1}, ok
PYEOF

check "Retry-After of a 429 holds the whole endpoint for at least that long" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
i = next(i for i, r in enumerate(reqs) if r["action"] == "429:2")
t = reqs[i]["time"]
# requests already under way when the 429 came may still arrive; no new one starts before 2 s
later = [r["time"] - t for r in reqs[i + 1:] if r["time"] - t > 1.0]
assert later, "nothing after the 429"
assert min(later) >= 1.9, later
same = [r["time"] - t for r in reqs[i + 1:] if r["headers"]["webhook-id"] == reqs[i]["headers"]["webhook-id"]]
assert same and min(same) >= 1.9, same
PYEOF

check "payload: Standard Webhooks envelope with the crash's data" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook" and json.loads(l)["action"] == "ok"]
msgs = {json.loads(r["body"])["data"]["crash_id"]: json.loads(r["body"]) for r in reqs}
m = msgs["2"]
assert m["type"] == "crash.created"
d = m["data"]
assert m["timestamp"] == d["time"]
assert d["fingerprint"] == "8d3b0f6c2a1e4d5f9b7c0a1e2d3f4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c"
assert d["hostname"] == "testhost"
assert d["executable"] == "/srv/api"
assert d["go"]["version"] == "go1.24.1" and d["go"]["module"] == "example.com/api"
assert d["go"]["module_version"] == "v1.4.2"
assert d["signal"]["name"] == "SIGABRT" and d["signal"]["number"] == 6
assert d["kind"] == "panic" and d["error_type"] == "runtime.boundsError"
assert d["message"] == "runtime error: index out of range [5] with length 3"
assert d["crashed_goroutine"]["id"] == 18
fr = d["frames"]
assert [f["function"] for f in fr][:4] == ["runtime.gopanic", "runtime.goPanicIndex",
    "example.com/api/store.(*Cache).Get", "main.handleGet"], fr
assert fr[3]["file"] == "/src/api/main.go" and fr[3]["line"] == 88 and fr[3]["in_app"] is True
assert fr[0]["in_app"] is False
assert d["goroutine_count"] == 3
assert d["fingerprint_count"] == 2 and msgs["1"]["data"]["fingerprint_count"] == 1
assert d["first_seen"] == msgs["1"]["data"]["time"] != d["time"]
assert d["new_fingerprint"] is False and msgs["1"]["data"]["new_fingerprint"] is True
PYEOF

check "privacy: no command line, environment or core by default" $PY <<'PYEOF'
import sys, json
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert "swordfish" not in r["body"]
    if r["path"] == "/hook":
        d = json.loads(r["body"])["data"]
        assert "cmdline" not in d and "environment" not in d and "stacks" not in d
PYEOF

check "MaxAttempts=2: two attempts per crash, then dead" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/dead"]
per = {}
for r in reqs:
    cid = json.loads(r["body"])["data"]["crash_id"]
    per[cid] = per.get(cid, 0) + 1
assert per == {"1": 2, "2": 2}, per
PYEOF

check "404 is permanent: one attempt, dead at once" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/gone"]
assert len(reqs) == 2, len(reqs)
PYEOF

check "a stalled endpoint is cut by TimeoutSec= and retried" $PY "$T/run1.out" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/slow"]
assert reqs[0]["action"] == "stall:4", reqs
ok = sorted(json.loads(r["body"])["data"]["crash_id"] for r in reqs if r["action"] == "ok")
assert ok == ["1", "2"], ok
lines = [l for l in open(sys.argv[3]) if 'endpoint="Upload slow"' in l]
for c in ("1", "2"):
    mine = [l for l in lines if f" crash={c} " in l]
    # the first attempt timed out (no status), the last one was delivered
    assert "state=pending attempts=1 status=0" in mine[0], mine
    assert "state=delivered" in mine[-1] and "status=200" in mine[-1], mine
PYEOF

check "Events=new-fingerprint: only the first crash of a fingerprint" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/new"]
assert [json.loads(r["body"])["data"]["crash_id"] for r in reqs] == ["1"], reqs
PYEOF

"$HARNESS" uploads > "$T/list.txt" 2>&1
if grep -q "dead" "$T/list.txt" && grep -q "HTTP 404" "$T/list.txt" && grep -q "4 dead" "$T/list.txt" &&
   grep -q "uploads retry --all" "$T/list.txt"; then
	ok "crashwatch uploads lists deliveries and dead letters"
else
	not_ok "crashwatch uploads lists deliveries and dead letters" "$(tr '\n' '|' < "$T/list.txt")"
fi

"$HARNESS" uploads --json --state dead > "$T/dead.json" 2>&1
check "crashwatch uploads --json --state dead" python3 - "$T/dead.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 0, "delivered": 5, "dead": 4}, j["counts"]
rows = j["uploads"]
assert len(rows) == 4 and all(r["state"] == "dead" for r in rows)
assert sorted(r["endpoint"] for r in rows) == ["Upload dead"] * 2 + ["Upload gone"] * 2
assert {r["last_status"] for r in rows} == {500, 404}
assert all(r["attempts"] in (1, 2) for r in rows)
PYEOF

"$top_builddir/crashwatch" status --json > "$T/status.json" 2> "$T/status.err"
"$top_builddir/crashwatch" status > "$T/status.txt" 2>&1
check "crashwatch status shows the dead letters" python3 - "$T/status.json" "$T/status.txt" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert (j["uploads_delivered"], j["uploads_pending"], j["uploads_dead"]) == (5, 0, 4), j
assert "Uploads: 5 delivered, 0 pending, 4 dead (see crashwatch uploads)" in open(sys.argv[2]).read()
PYEOF

"$HARNESS" uploads retry 99999 > /dev/null 2>&1
rc=$?
if [ $rc = 4 ]; then ok "uploads retry of an unknown id exits 4"; else not_ok "uploads retry of an unknown id exits 4" "rc=$rc"; fi

out=$("$HARNESS" uploads retry --all 2>&1)
if [ "$out" = "4 deliveries queued again" ]; then ok "uploads retry --all requeues the dead letters"; else not_ok "uploads retry --all" "$out"; fi

"$HARNESS" uploads --json --state pending > "$T/pending.json" 2>&1
check "requeued rows are pending with their attempts reset and the same delivery ids" python3 - "$T/pending.json" "$T/dead.json" <<'PYEOF'
import sys, json
p = json.load(open(sys.argv[1]))["uploads"]
d = json.load(open(sys.argv[2]))["uploads"]
assert sorted(r["delivery_id"] for r in p) == sorted(r["delivery_id"] for r in d)
assert all(r["attempts"] == 0 for r in p)
PYEOF

timeout 30 "$HARNESS" run 20 --until-idle > "$T/run2.out" 2>&1
check "the requeued deliveries were attempted again with their own ids" python3 - "$T/hook.log" "$T/dead.json" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1])]
dead = [r for r in reqs if r["path"] == "/dead"]
gone = [r for r in reqs if r["path"] == "/gone"]
assert len(dead) == 8 and len(gone) == 4, (len(dead), len(gone))
ids = {r["headers"]["webhook-id"][4:] for r in dead + gone}
assert ids == {r["delivery_id"] for r in json.load(open(sys.argv[2]))["uploads"]}
PYEOF

# the outbox spans every user's crashes: an unprivileged user is refused
chmod 0711 "$T"
chmod 0600 "$T/store/crashwatch.db"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$HARNESS" uploads 2>&1)
rc=$?
case "$rc:$out" in
"5:"*"uploads are for root"*) ok "crashwatch uploads refuses an unprivileged user (exit 5)" ;;
*) not_ok "crashwatch uploads refuses an unprivileged user" "rc=$rc $out" ;;
esac

if grep -qF "${SECRET#whsec_}" "$T"/run*.out "$T"/run1.err "$T/list.txt" "$T"/*.json; then
	not_ok "the secret appears in no output"
else
	ok "the secret appears in no output"
fi
exit $failed
