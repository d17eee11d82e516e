# Shared by the upload-*.sh tests (sourced): a temp dir, the test HTTP
# server (tests/integration/upload-server.py) and TAP helpers.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
HARNESS="$top_builddir/tests/integration/upload-harness"
SERVER="$top_srcdir/tests/integration/upload-server.py"
FIXTURE="$top_srcdir/tests/fixtures/upload-analysis.json"

T=$(mktemp -d /tmp/cw-upload-test.XXXXXX)
SERVER_PIDS=""
HARNESS_PID=""
n=0
failed=0
cleanup() {
	for p in $SERVER_PIDS $HARNESS_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
# check "what" command...: ok when the command succeeds
check() { what=$1; shift; if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$(echo "$out" | tr '\n' ' ' | cut -c1-300)"; fi; }

# start_server NAME LIFETIME [--port P] RULES...: starts a server whose port is in $T/NAME.port
start_server() {
	name=$1 lifetime=$2; shift 2
	rm -f "$T/$name.port"
	python3 "$SERVER" --port-file "$T/$name.port" --log "$T/$name.log" --lifetime "$lifetime" "$@" &
	SERVER_PIDS="$SERVER_PIDS $!"
	eval "${name}_pid=$!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { echo "Bail out! test server did not start"; exit 1; }
	eval "${name}_port=$(cat "$T/$name.port")"
	touch "$T/$name.log"
}

export CRASHWATCH_CONFIG="$T/crashwatch.conf"
mkdir -p "$T/store"
