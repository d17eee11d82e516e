#!/bin/sh
# Sentry envelopes, Slack and Discord messages against a real HTTP server
# on 127.0.0.1: endpoint, auth headers, envelope framing, the event's shape
# (exception, frames with in_app, one thread per goroutine, fingerprint,
# release, server_name, contexts), chat bodies, bearer token, 429 on Slack.
. "$(dirname "$0")/upload-lib.sh"
echo "1..17"

start_server srv 60 --rule /api/42/envelope/=ok --rule /slack=429:1,ok --rule /discord=ok
base="http://127.0.0.1:$srv_port"
TOKEN="tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$TOKEN" > "$T/token"
printf '%s/discord\n' "$base" > "$T/discord.url"
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store

[Upload sentry]
Format=sentry
DSN=http://pubkey123@127.0.0.1:$srv_port/42
RetryInitialSec=1

[Upload slack]
Format=slack
URL=$base/slack
RetryInitialSec=1

[Upload discord]
Format=discord
URLFile=$T/discord.url
TokenFile=$T/token
IncludeCmdline=yes
CONF

id=$("$HARNESS" store spool-1 "$FIXTURE")
if [ "$id" = 1 ] && CW_HARNESS_WIPE_CHECK=1 timeout 30 "$HARNESS" run 20 --until-idle > "$T/run.out" 2> "$T/run.err"; then
	ok "a crash delivered to sentry, slack and discord endpoints"
else
	not_ok "a crash delivered to sentry, slack and discord endpoints" "id=$id $(cat "$T/run.err")"
fi
# libcurl's copies of the Authorization (bearer token) and X-Sentry-Auth
# headers are wiped before they are freed
wipe=$(grep '^wipe-check:' "$T/run.err")
check "the secret headers' copies in curl's header list are wiped (${wipe:-no wipe-check line})" \
	sh -c "echo '$wipe' | grep -Eq '^wipe-check: checked=([2-9]|[1-9][0-9]+) unwiped=0\$'"

PY="python3 - $T/srv.log $FIXTURE $TOKEN"
check "sentry: POST to the DSN's envelope endpoint with X-Sentry-Auth" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if "/envelope/" in json.loads(l)["path"]]
assert len(reqs) == 1, reqs
h = reqs[0]["headers"]
assert reqs[0]["path"] == "/api/42/envelope/"
assert h["content-type"] == "application/x-sentry-envelope"
auth = h["x-sentry-auth"]
assert auth.startswith("Sentry ") and "sentry_key=pubkey123" in auth and "sentry_version=7" in auth, auth
assert "authorization" not in h
PYEOF

cat > "$T/envelope.py" <<'PYEOF'
import sys, json
def event(log):
    r = [json.loads(l) for l in open(log) if "/envelope/" in json.loads(l)["path"]][0]
    body = r["body"].encode()
    head, rest = body.split(b"\n", 1)
    item, rest = rest.split(b"\n", 1)
    head, item = json.loads(head), json.loads(item)
    n = item["length"]
    payload, tail = rest[:n], rest[n:]
    assert tail in (b"", b"\n"), tail
    return head, item, json.loads(payload)
PYEOF

check "sentry: envelope framing (header, item header with exact length, event)" python3 - "$T/srv.log" "$T" <<'PYEOF'
import sys, re
sys.path.insert(0, sys.argv[2]); from envelope import event
head, item, ev = event(sys.argv[1])
assert re.fullmatch(r"[0-9a-f]{32}", head["event_id"]), head
assert "sent_at" in head
assert item["type"] == "event" and item["content_type"] == "application/json"
assert ev["event_id"] == head["event_id"]
PYEOF

check "sentry: exception with type, value, mechanism and an oldest-first stacktrace with in_app" python3 - "$T/srv.log" "$T" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2]); from envelope import event
_, _, ev = event(sys.argv[1])
exc = ev["exception"]["values"]
assert len(exc) == 1
e = exc[0]
assert e["type"] == "runtime.boundsError"
assert e["value"] == "runtime error: index out of range [5] with length 3"
assert e["mechanism"]["handled"] is False and e["mechanism"]["type"] == "panic"
assert e["thread_id"] == 18
fr = e["stacktrace"]["frames"]
names = [(f.get("module"), f["function"]) for f in fr]
assert names == [("net/http", "HandlerFunc.ServeHTTP"), ("main", "handleGet"),
                 ("example.com/api/store", "(*Cache).Get"), ("runtime", "goPanicIndex"),
                 ("runtime", "gopanic")], names
assert [f["in_app"] for f in fr] == [False, True, True, False, False]
assert fr[1]["filename"] == "main.go" and fr[1]["abs_path"] == "/src/api/main.go" and fr[1]["lineno"] == 88
assert fr[1]["instruction_addr"] == "0x700f13"
PYEOF

check "sentry: one thread per goroutine, the crashed one marked" python3 - "$T/srv.log" "$T" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2]); from envelope import event
_, _, ev = event(sys.argv[1])
th = ev["threads"]["values"]
assert sorted(t["id"] for t in th) == [1, 7, 18], th
crashed = [t for t in th if t["crashed"]]
assert len(crashed) == 1 and crashed[0]["id"] == 18 and crashed[0]["current"] is True
one = next(t for t in th if t["id"] == 1)
assert one["name"] == "goroutine 1" and one["state"] == "IO wait"
assert [f["function"] for f in one["stacktrace"]["frames"]] == ["main", "(*Server).Serve", "gopark"]
PYEOF

check "sentry: fingerprint, release, server_name, platform, level, contexts" python3 - "$T/srv.log" "$T" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[2]); from envelope import event
_, _, ev = event(sys.argv[1])
assert ev["fingerprint"] == ["8d3b0f6c2a1e4d5f9b7c0a1e2d3f4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c"]
assert ev["release"] == "example.com/api@v1.4.2"
assert ev["server_name"] == "testhost"
assert ev["platform"] == "go" and ev["level"] == "fatal"
assert ev["timestamp"].endswith("Z")
c = ev["contexts"]
assert c["runtime"] == {"type": "runtime", "name": "go", "version": "go1.24.1"}, c["runtime"]
assert c["os"]["name"] == "Linux" and c["device"]["arch"] == "amd64"
assert c["crashwatch"]["crash_id"] == "1" and c["crashwatch"]["fingerprint_count"] == 1
assert "cmdline" not in c["crashwatch"]
assert ev["sdk"]["name"] == "crashwatch"
PYEOF

check "slack: 429 with Retry-After honoured, then one message with text and blocks" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/slack"]
assert [r["action"] for r in reqs] == ["429:1", "ok"], [r["action"] for r in reqs]
assert reqs[1]["time"] - reqs[0]["time"] >= 0.9
assert reqs[0]["body"] == reqs[1]["body"]
m = json.loads(reqs[1]["body"])
assert "api crashed on testhost" in m["text"] and "index out of range [5]" in m["text"]
kinds = [b["type"] for b in m["blocks"]]
assert kinds[0] == "header" and "context" in kinds, kinds
assert "main.handleGet" in reqs[1]["body"] and "/src/api/main.go:88" in reqs[1]["body"]
PYEOF

check "discord: URL from URLFile=, bearer token from TokenFile=, an embed, no mentions" $PY <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/discord"]
assert len(reqs) == 1
h = reqs[0]["headers"]
assert h["authorization"] == "Bearer " + sys.argv[3]
m = json.loads(reqs[0]["body"])
assert m["allowed_mentions"] == {"parse": []}
e = m["embeds"][0]
assert e["title"] == "api crashed on testhost"
assert any(f["name"] == "Go" and f["value"] == "go1.24.1" for f in e["fields"])
assert len(m["content"]) <= 2000
PYEOF

check "IncludeCmdline=yes is per endpoint: the command line went to discord only" $PY <<'PYEOF'
import sys, json
seen = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "swordfish" in r["body"]:
        seen.add(r["path"])
assert seen == {"/discord"}, seen
PYEOF

"$HARNESS" uploads --json > "$T/list.json"
check "all three deliveries recorded as delivered" python3 - "$T/list.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert j["counts"] == {"pending": 0, "delivered": 3, "dead": 0}, j["counts"]
by = {r["endpoint"]: r for r in j["uploads"]}
assert by["Upload slack"]["attempts"] == 2 and by["Upload sentry"]["attempts"] == 1
assert {r["format"] for r in j["uploads"]} == {"sentry", "slack", "discord"}
PYEOF

if grep -qF "$TOKEN" "$T/run.out" "$T/run.err" "$T/list.json"; then
	not_ok "the bearer token appears in no output"
else
	ok "the bearer token appears in no output"
fi

# a crash whose analysis failed is reported from its record alone
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store
[Upload plain]
URL=$base/plain
IncludeEnvironment=yes
CONF
"$HARNESS" store spool-unanalysed - > /dev/null
timeout 20 "$HARNESS" run 10 --until-idle > "$T/run2.out" 2>&1
check "a crash without an analysis is still reported from its record; IncludeEnvironment=yes adds the recorded variables" python3 - "$T/srv.log" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/plain"]
assert len(reqs) == 1, reqs
d = json.loads(reqs[0]["body"])["data"]
assert d["crash_id"] == "2" and d["executable"] == "/usr/bin/unanalysed", d
assert d["signal"]["name"] == "SIGABRT" and d["kind"] == "signal" and d["message"] == "killed by SIGABRT"
assert d["go"] is None and d["runtime"] == "native" and d["frames"] == [] and d["fingerprint"] is None
# IncludeEnvironment=yes: the variables the collector recorded, and only here
assert d["environment"] == {"GOTRACEBACK": "crash", "GODEBUG": "madvdontneed=1"}, d.get("environment")
assert "cmdline" not in d
others = [json.loads(l)["body"] for l in open(sys.argv[1]) if json.loads(l)["path"] != "/plain"]
assert others and all("GODEBUG" not in b for b in others)
PYEOF
# a crash stored twice (same spool id) is queued once
"$HARNESS" store spool-unanalysed - > "$T/again.out" 2>&1
"$HARNESS" uploads --json --crash 2 > "$T/c2.json"
check "re-storing a crash (same spool id) queues nothing new" python3 - "$T/c2.json" <<'PYEOF'
import sys, json
j = json.load(open(sys.argv[1]))
assert len(j["uploads"]) == 1 and j["uploads"][0]["state"] == "delivered", j
PYEOF

# a bad DSN or an unreadable secret is a clear start-up error naming the section
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store
[Upload broken]
Format=sentry
DSN=https://o1.ingest.sentry.io/42
CONF
err=$("$HARNESS" run 1 2>&1)
case "$err" in
*"[Upload broken] DSN="*) ok "a DSN without a key is refused at start-up, naming the section" ;;
*) not_ok "a DSN without a key is refused at start-up" "$err" ;;
esac
out=$("$top_builddir/crashwatch" config check 2>&1)
rc=$?
case "$rc:$out" in
"3:"*"[Upload broken] DSN="*) ok "crashwatch config check finds the bad DSN" ;;
*) not_ok "crashwatch config check finds the bad DSN" "rc=$rc $out" ;;
esac
printf 'not-a-secret\n' > "$T/bad.secret"
printf '[Storage]\nDirectory=%s\n[Upload]\nURL=http://127.0.0.1:9/\nSecretFile=%s\n' "$T/store" "$T/bad.secret" > "$CRASHWATCH_CONFIG"
out=$("$top_builddir/crashwatch" config check 2>&1)
rc=$?
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64)" > "$T/bad.secret"
out2=$("$top_builddir/crashwatch" config check 2>&1)
rc2=$?
case "$rc:$out:$rc2" in
"3:"*"[Upload] SecretFile=$T/bad.secret: expected whsec_"*":0") ok "config check rejects a malformed webhook secret, accepts a good one" ;;
*) not_ok "config check rejects a malformed webhook secret" "rc=$rc $out / rc=$rc2 $out2" ;;
esac
exit $failed
