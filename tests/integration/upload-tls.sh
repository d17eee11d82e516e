#!/bin/sh
# TLS options against HTTPS test servers on 127.0.0.1 with a private CA:
# certificates are verified (unknown CA: refused), CAFile= trusts the CA,
# and ClientCertificate=/ClientKey= answer a server that requires them.
. "$(dirname "$0")/upload-lib.sh"
echo "1..7"

pki="$T/pki"
mkdir -p "$pki"
(
	cd "$pki" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=crashwatch test CA" -keyout ca.key -out ca.pem
	for who in server client; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj "/CN=crashwatch test $who" -keyout $who.key -out $who.csr
	done
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
	printf 'extendedKeyUsage=clientAuth\n' > client.ext
	for who in server client; do
		openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile $who.ext -out $who.pem
	done
) > "$T/pki.log" 2>&1
if [ -s "$pki/server.pem" ] && [ -s "$pki/client.pem" ]; then ok "a private CA, a server and a client certificate"; else not_ok "test certificates" "$(tail -3 "$T/pki.log")"; fi

start_server tls 60 --cert "$pki/server.pem" --key "$pki/server.key" --rule /=ok
start_server mtls 60 --cert "$pki/server.pem" --key "$pki/server.key" --client-ca "$pki/ca.pem" --rule /=ok
cat > "$CRASHWATCH_CONFIG" <<CONF
[Storage]
Directory=$T/store
[Upload unknown-ca]
URL=https://127.0.0.1:$tls_port/unknown-ca
MaxAttempts=1
[Upload ca]
URL=https://127.0.0.1:$tls_port/ca
CAFile=$pki/ca.pem
[Upload no-client-cert]
URL=https://127.0.0.1:$mtls_port/no-client-cert
CAFile=$pki/ca.pem
MaxAttempts=1
[Upload mtls]
URL=https://127.0.0.1:$mtls_port/mtls
CAFile=$pki/ca.pem
ClientCertificate=$pki/client.pem
ClientKey=$pki/client.key
CONF

"$HARNESS" store spool-1 "$FIXTURE" > /dev/null
if timeout 30 "$HARNESS" run 20 --until-idle > "$T/run.out" 2> "$T/run.err"; then ok "uploader finished"; else not_ok "uploader finished" "$(cat "$T/run.err")"; fi
"$HARNESS" uploads --json > "$T/list.json" 2>&1

check "a server certificate from an unknown CA is refused (dead letter, certificate error)" python3 - "$T/list.json" "$T/tls.log" <<'PYEOF'
import sys, json
rows = {r["endpoint"]: r for r in json.load(open(sys.argv[1]))["uploads"]}
r = rows["Upload unknown-ca"]
assert r["state"] == "dead" and r["last_status"] is None, r
assert "certificate" in r["last_error"].lower() or "SSL" in r["last_error"], r["last_error"]
assert not [l for l in open(sys.argv[2]) if json.loads(l)["path"] == "/unknown-ca"]
PYEOF

check "CAFile= makes the private CA trusted: delivered over TLS" python3 - "$T/list.json" "$T/tls.log" <<'PYEOF'
import sys, json
rows = {r["endpoint"]: r for r in json.load(open(sys.argv[1]))["uploads"]}
assert rows["Upload ca"]["state"] == "delivered", rows["Upload ca"]
reqs = [json.loads(l) for l in open(sys.argv[2]) if json.loads(l)["path"] == "/ca"]
assert len(reqs) == 1 and json.loads(reqs[0]["body"])["type"] == "crash.created"
PYEOF

check "a server requiring a client certificate refuses one without" python3 - "$T/list.json" "$T/mtls.log" <<'PYEOF'
import sys, json
rows = {r["endpoint"]: r for r in json.load(open(sys.argv[1]))["uploads"]}
assert rows["Upload no-client-cert"]["state"] == "dead", rows["Upload no-client-cert"]
log = [json.loads(l) for l in open(sys.argv[2])]
assert not [l for l in log if l["path"] == "/no-client-cert"]
assert any(l["action"] == "tls-failed" for l in log)
PYEOF

check "ClientCertificate=/ClientKey= authenticate the client (mutual TLS)" python3 - "$T/list.json" "$T/mtls.log" <<'PYEOF'
import sys, json
rows = {r["endpoint"]: r for r in json.load(open(sys.argv[1]))["uploads"]}
assert rows["Upload mtls"]["state"] == "delivered", rows["Upload mtls"]
reqs = [json.loads(l) for l in open(sys.argv[2]) if json.loads(l)["path"] == "/mtls"]
assert len(reqs) == 1 and reqs[0]["client_cn"] == "crashwatch test client", reqs
PYEOF

if grep -q "BEGIN" "$T/run.out" "$T/run.err" "$T/list.json"; then not_ok "no key material in any output"; else ok "no key material in any output"; fi
exit $failed
