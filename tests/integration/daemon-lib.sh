# Shared helpers for tests/integration/daemon-*.sh, cli-*.sh and e2e-*.sh
# (sourced, not a test). A temp storage directory and sockets, the real
# collector fed as the kernel would (argv from `crashwatch install
# --dry-run`), crashwatchd in the background.

: "${top_builddir:?}" "${top_srcdir:?}"
COLLECT="$top_builddir/crashwatch-collect"
CLI="$top_builddir/crashwatch"
DAEMON="$top_builddir/crashwatchd"
TMP=$(mktemp -d /tmp/cw-daemon-test.XXXXXX)
chmod 0755 "$TMP"
STORE="$TMP/store"
SPOOL="$STORE/spool"
export CRASHWATCH_CONFIG="$TMP/crashwatch.conf"
DAEMON_PID=""
n=0
failed=0
# sanitizer builds: reports of every program go to files checked at the end
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TMP/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TMP/sanitizer"

write_config() { # extra lines on stdin are appended
	{
		printf '[Storage]\nDirectory=%s\n' "$STORE"
		printf '[Daemon]\nSocket=%s/query.sock\nCoreSocket=%s/core.sock\n' "$TMP" "$TMP"
		cat
	} > "$CRASHWATCH_CONFIG"
}

cleanup() {
	[ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
	wait 2>/dev/null
	if [ "$failed" != 0 ] && [ -f "$TMP/daemon.log" ]; then
		echo "# daemon log (last lines):"
		tail -n 15 "$TMP/daemon.log" | sed 's/^/#   /'
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
check() { # check "what" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

start_daemon() {
	"$DAEMON" --config "$CRASHWATCH_CONFIG" >>"$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -S "$TMP/query.sock" ] && "$CLI" status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

stop_daemon() { # SIGTERM, returns the daemon's exit status
	kill -TERM "$DAEMON_PID"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=""
	return $rc
}

kill9_daemon() {
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}

# crash_count: crashes in the history (root: read directly)
crash_count() { "$CLI" list --json 2>/dev/null | jq length; }

# wait_for_crashes N [SECONDS]: until the history holds N crashes and the spool is empty
wait_for_crashes() {
	local want=$1 secs=${2:-90} i
	for i in $(seq 1 $((secs * 5))); do
		if [ "$(crash_count)" = "$want" ] && ! ls "$SPOOL"/*.meta >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# The pattern `crashwatch install` would register. It is asked without the
# test's configuration: with "-c /tmp/...conf" embedded, a deep build
# directory (make distcheck) passes the kernel's 128-byte limit and install
# refuses. run_collector adds "-c CONFIG" itself.
PATTERN=$(env -u CRASHWATCH_CONFIG "$CLI" install --dry-run --collector "$COLLECT" 2>/dev/null)

# run_collector PID TID UID GID SIG TIME RLIMIT HOST DUMPMODE PIDFD COMM < core
# Expands the pattern like the kernel: split at spaces, then substitute.
run_collector() {
	local -A val=([P]=$1 [i]=$2 [u]=$3 [g]=$4 [s]=$5 [t]=$6 [c]=$7 [h]=$8 [d]=$9 [F]=${10} [e]=${11})
	local -a argv=()
	local tok out k
	[ -n "$PATTERN" ] || { echo "# no core_pattern from crashwatch install --dry-run" >&2; return 1; }
	read -r -a toks <<< "${PATTERN#|}"
	for tok in "${toks[@]}"; do
		out=$tok
		for k in "${!val[@]}"; do out=${out//%$k/${val[$k]}}; done
		argv+=("$out")
		[ ${#argv[@]} = 1 ] && argv+=(-c "$CRASHWATCH_CONFIG")
	done
	"${argv[@]}" >>"$TMP/collector.log" 2>&1
}

# go_build DIR OUT: builds the Go program in DIR
GO=""
find_go() {
	GO=$(GOTOOLCHAIN=local "$top_srcdir/scripts/go-toolchain.sh" 1.26 2>/dev/null) || GO=""
	[ -n "$GO" ]
}
go_build() {
	(cd "$1" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-$HOME/.cache/go-build}" \
		"$GO" build -o "$2" . ) >"$TMP/go-build.log" 2>&1
}

# crash_go BIN ARG AS_UID: runs BIN (GOTRACEBACK=crash) in its own dir as
# AS_UID, then hands its core to the collector like the kernel would.
# Sets CRASH_PID, CRASH_CORE (kept copy), CRASH_STDERR.
crash_go() {
	local bin=$1 arg=$2 uid=${3:-0} dir
	dir=$(mktemp -d "$TMP/run.XXXXXX")
	chmod 0777 "$dir"
	cp "$bin" "$dir/$(basename "$bin")"
	local prog="$dir/$(basename "$bin")"
	chmod 0755 "$prog"
	local pidfile="$dir/pid"
	if [ "$uid" = 0 ]; then
		(cd "$dir" && ulimit -c unlimited && GOTRACEBACK=crash exec "$prog" "$arg") 2>"$dir/stderr" &
	else
		(cd "$dir" && ulimit -c unlimited && GOTRACEBACK=crash exec setpriv --reuid="$uid" --regid="$uid" \
			--clear-groups "$prog" "$arg") 2>"$dir/stderr" &
	fi
	CRASH_PID=$!
	wait "$CRASH_PID" 2>/dev/null
	CRASH_STDERR="$dir/stderr"
	CRASH_CORE=$(ls "$dir"/core "$dir"/core.* 2>/dev/null | head -n 1)
	[ -n "$CRASH_CORE" ] || return 1
	mv "$CRASH_CORE" "$dir/the.core"
	CRASH_CORE="$dir/the.core"
	run_collector "$CRASH_PID" "$CRASH_PID" "$uid" "$uid" "${CRASH_SIG:-6}" "$(date +%s)" 18446744073709551615 "$(hostname)" "${CRASH_DUMPMODE:-1}" "" \
		"$(basename "$prog" | cut -c1-15)" < "$CRASH_CORE"
}

build_c_crasher() { # a small C program that segfaults
	printf "int main(void) { volatile int *p = 0; *p = 1; return 0; }\n" > "$TMP/segv.c"
	cc -g -o "$TMP/segv" "$TMP/segv.c"
}

# The runtime's own panic line(s): text after the last "panic: " without " [recovered]".
runtime_panic_message() {
	grep '^panic: ' "$1" | tail -n 1 | sed -e 's/^panic: //' -e 's/ \[recovered\]$//'
}

# check_sanitizer_reports: no AddressSanitizer/LeakSanitizer/UBSan report
# from the daemon, the collector or the CLI during the test.
check_sanitizer_reports() {
	local reports
	reports=$(ls "$TMP"/sanitizer.* 2>/dev/null)
	if [ -z "$reports" ]; then
		ok "no sanitizer reports"
	else
		not_ok "no sanitizer reports" "$(head -n 3 $reports | tr '\n' ' ' | cut -c1-300)"
	fi
}

# a python3 other users can run (a pyenv shim under /root is not one)
PY_ANY_USER=python3
[ -x /usr/bin/python3 ] && PY_ANY_USER=/usr/bin/python3
# rawq UID REQUEST: the query socket's answer to one request line, sent as UID
rawq() {
	setpriv --reuid="$1" --regid="$1" --clear-groups "$PY_ANY_USER" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n"); s.shutdown(socket.SHUT_WR)
b = b""
while True:
    c = s.recv(65536)
    if not c: break
    b += c
print(b.decode())' "$TMP/query.sock" "$2"
}

# start_proxy old|relay: tests/integration/old-daemon-proxy.py as uid 1000
# on $TMP/proxy/q.sock (verbs logged to $TMP/proxy/verbs); $PROXY_CONFIG
# points the CLI at it
start_proxy() {
	mkdir -p "$TMP/proxy" && chown 1000:1000 "$TMP/proxy" && rm -f "$TMP/proxy/verbs"
	sed "s|^Socket=.*|Socket=$TMP/proxy/q.sock|" "$CRASHWATCH_CONFIG" > "$TMP/proxy.conf"
	PROXY_CONFIG="$TMP/proxy.conf"
	setpriv --reuid=1000 --regid=1000 --clear-groups "$PY_ANY_USER" "$top_srcdir/tests/integration/old-daemon-proxy.py" \
		"$TMP/proxy/q.sock" "$TMP/query.sock" "$TMP/proxy/verbs" "$1" > "$TMP/proxy/out" 2>&1 &
	PROXY_PID=$!
	local i
	for i in $(seq 1 50); do grep -q ready "$TMP/proxy/out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
stop_proxy() { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=""; }
proxy_verbs() { tr '\n' ' ' < "$TMP/proxy/verbs" 2>/dev/null; }
