#!/bin/bash
# The kernel's @socket core_pattern entry (Linux >= 6.16), without touching
# kernel.core_pattern: a python3 client plays the kernel, connects to
# [Daemon] CoreSocket= and writes a real core; the daemon collects it with
# the collector's code and stores it like a piped one.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..5"
write_config </dev/null
build_c_crasher
major=$(uname -r | cut -d. -f1); minor=$(uname -r | cut -d. -f2)
if [ "$major" -lt 6 ] || { [ "$major" = 6 ] && [ "$minor" -lt 16 ]; }; then
	for i in 1 2 3 4 5; do skip "core socket step $i" "kernel $(uname -r) < 6.16 has no @socket core_pattern"; done
	exit 0
fi
check "daemon starts" start_daemon
check "the core socket is listening, root only" test -S "$TMP/core.sock" -a "$(stat -c %a "$TMP/core.sock")" = 600

# a real core, as the kernel would write it
dir=$(mktemp -d "$TMP/run.XXXXXX")
bash -c 'cd "$1" && ulimit -c unlimited && "$2"; true' _ "$dir" "$TMP/segv" 2>/dev/null
CORE=$(ls "$dir"/core* | head -n 1)
python3 - "$TMP/core.sock" "$CORE" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    while True:
        b = f.read(1 << 16)
        if not b:
            break
        s.sendall(b)
s.close()
PYEOF
check "a core written to the socket is collected and stored" wait_for_crashes 1 60
ID=$("$CLI" list --json | jq -r '.[0].id')
"$CLI" dump "$ID" -o "$TMP/back.core" 2>/dev/null
check "its dump is byte-exact" cmp -s "$TMP/back.core" "$CORE"
check_sanitizer_reports
stop_daemon
exit $failed
