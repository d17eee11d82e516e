#!/bin/bash
# End to end from a real container: a Go program crashing in its own
# namespaces inside a kubelet-named cgroup goes through the real collector
# and crashwatchd to a webhook, Slack, Discord and a Sentry envelope on a
# 127.0.0.1 test server, each carrying the container and the pod.
. "$top_srcdir/tests/integration/daemon-lib.sh"
echo "1..9"
. "$top_srcdir/tests/integration/container-lib.sh"
skip_all() { for i in $(seq 9); do skip "upload container step $i" "$1"; done; exit 0; }
find_go || skip_all "no Go toolchain"
ctr_setup || skip_all "$CTR_SKIP"

SERVER="$top_srcdir/tests/integration/upload-server.py"
python3 "$SERVER" --port-file "$TMP/port" --log "$TMP/srv.log" --lifetime 120 \
	--rule /hook=ok --rule /slack=ok --rule /discord=ok --rule /api/7/envelope/=ok &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; ctr_cleanup; cleanup' EXIT
for i in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")
touch "$TMP/srv.log"
write_config <<CONF
[Analyze]
MemoryMax=infinity
[Upload]
URL=http://127.0.0.1:$port/hook
[Upload slack]
Format=slack
URL=http://127.0.0.1:$port/slack
[Upload discord]
Format=discord
URL=http://127.0.0.1:$port/discord
[Upload sentry]
Format=sentry
DSN=http://k@127.0.0.1:$port/7
CONF
check "daemon starts with four upload endpoints" start_daemon

POD_UID=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
CID=$(printf 'ab%.0s' $(seq 32))
make_cgroup "$V2" "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice/cri-containerd-$CID.scope" ||
	skip_all "cannot create cgroups under $V2"
if run_container u1 "$CG" tmpfs checkout-5f7b-abcde; then
	collect_held checkout-5f7b-abcde
	check "a Go program crashed in a container, its core fed to the collector" test -n "$(ls "$SPOOL"/*.meta "$STORE"/cores 2>/dev/null)"
else
	not_ok "a Go program crashed in a container" "$(head -c 300 "$TMP/u1.log")"
fi
check "the daemon stored and analysed it (the binary only in the container)" wait_for_crashes 1
check "the analysis used the kept executable: a Go analysis" \
	test "$("$CLI" list --json | jq -r '.[0].go_version // empty' | cut -c1-4)" = go1.
delivered() { [ "$(grep -c '"action": "ok"' "$TMP/srv.log")" -ge 4 ]; }
for i in $(seq 1 150); do delivered && break; sleep 0.2; done
check "webhook, Slack, Discord and Sentry deliveries" delivered

check "webhook payload: the container and the pod" python3 - "$TMP/srv.log" "$CID" "$POD_UID" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/hook"]
c = json.loads(reqs[-1]["body"])["data"]["container"]
want = {"runtime": "containerd", "id": sys.argv[2], "pod_uid": sys.argv[3], "pod_name": "checkout-5f7b-abcde",
        "qos_class": "BestEffort", "exe_in_container": "/app", "exe_on_host": None, "pod_namespace": None}
bad = {k: (c.get(k), v) for k, v in want.items() if c.get(k) != v}
assert not bad, bad
PYEOF
check "Slack and Discord text: Container and Pod" python3 - "$TMP/srv.log" "$CID" <<'PYEOF'
import sys, json
reqs = [json.loads(l) for l in open(sys.argv[1])]
slack = next(r["body"] for r in reqs if r["path"] == "/slack")
discord = json.loads(next(r["body"] for r in reqs if r["path"] == "/discord"))
short = sys.argv[2][:12]
assert "*Container*\\n%s (containerd)" % short in json.dumps(json.loads(slack)) or \
       ("*Container*\n%s (containerd)" % short) in slack, slack[:2000]
assert "?/checkout-5f7b-abcde (BestEffort)" in slack, slack[:2000]
fields = {f["name"]: f["value"] for e in discord["embeds"] for f in e.get("fields", [])}
assert fields.get("Container") == "%s (containerd)" % short, fields
assert fields.get("Pod") == "?/checkout-5f7b-abcde (BestEffort)", fields
PYEOF
check "Sentry event: container and kubernetes contexts, k8s tags" python3 - "$TMP/srv.log" "$CID" "$POD_UID" <<'PYEOF'
import sys, json
r = [json.loads(l) for l in open(sys.argv[1]) if "/envelope/" in json.loads(l)["path"]][0]
ev = json.loads(r["body"].split("\n")[2])
t, ctx = ev["tags"], ev["contexts"]
assert t["container.runtime"] == "containerd" and t["container.id"] == sys.argv[2][:12], t
assert t["k8s.pod"] == "checkout-5f7b-abcde" and t["k8s.qos_class"] == "BestEffort" and "k8s.namespace" not in t, t
assert ctx["container"]["id"] == sys.argv[2] and ctx["container"]["exe_in_container"] == "/app", ctx["container"]
assert ctx["kubernetes"]["pod_uid"] == sys.argv[3] and ctx["kubernetes"]["type"] == "kubernetes", ctx["kubernetes"]
PYEOF
kill -9 $HELD 2>/dev/null
check_sanitizer_reports
exit $failed
