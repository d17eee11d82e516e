#!/bin/bash
# crashwatch install / uninstall against a stand-in core_pattern file and
# sysctl.d directory (the real ones are only touched by make check-kernel).
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..18"

if ! "$CLI" install --help >/dev/null 2>&1; then
	for i in $(seq 18); do skip "install/uninstall $i" "crashwatch has no install verb in this build"; done
	exit 0
fi
PF="$TMP/core_pattern"; SD="$TMP/sysctl.d"; mkdir -p "$SD"
# The kernel keeps 128 bytes of core_pattern: a deep build directory (make
# distcheck's) would not fit, so the pattern names the collector through a
# short link, as an installed one in $libexecdir would.
mkdir -p "$TMP/x" && ln -s "$COLLECT" "$TMP/x/crashwatch-collect" && COLLECT="$TMP/x/crashwatch-collect"
echo "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h %d %F" > "$PF"
prev=$(cat "$PF")
inst() { "$CLI" install --collector "$COLLECT" --core-pattern-file "$PF" --sysctl-dir "$SD" "$@"; }
uninst() { "$CLI" uninstall --core-pattern-file "$PF" --sysctl-dir "$SD" "$@"; }

out=$(inst --dry-run)
check "--dry-run prints the pipe pattern" test "$out" = "|$COLLECT -c $CRASHWATCH_CONFIG %P %i %u %g %s %t %c %h %d %F %e"
check "--dry-run changes nothing" test "$(cat "$PF")" = "$prev" -a -z "$(ls -A "$SD")"
check "the pattern fits the kernel's 128 bytes" test "${#out}" -lt 128

inst >/dev/null
check "install writes the pattern" test "$(cat "$PF")" = "$out"
check "install writes the sysctl.d drop-in" grep -qxF "kernel.core_pattern=$out" "$SD/50-crashwatch.conf"
check "install saves the previous pattern" test "$(cat "$STORE/core_pattern.previous")" = "$prev"
inst >/dev/null
check "installing twice keeps the first previous pattern" test "$(cat "$STORE/core_pattern.previous")" = "$prev"

uninst >/dev/null
check "uninstall restores the previous pattern" test "$(cat "$PF")" = "$prev"
check "uninstall removes the drop-in and the saved pattern" test ! -e "$SD/50-crashwatch.conf" -a ! -e "$STORE/core_pattern.previous"
echo "core.%p" > "$PF"
uninst >/dev/null
check "uninstall leaves a foreign pattern alone" test "$(cat "$PF")" = "core.%p"

echo "$prev" > "$PF"
inst --forward >/dev/null
check "--forward records ForwardTo= in a config drop-in" grep -qxF "ForwardTo=${prev#|}" "$CRASHWATCH_CONFIG.d/50-forward.conf"
uninst >/dev/null
check "uninstall removes the forward drop-in" test ! -e "$CRASHWATCH_CONFIG.d/50-forward.conf"

# --socket: the daemon's core socket, @@ (>= 6.17) or @ (>= 6.16), else the pipe.
printf '[Storage]\nDirectory=%s\n[Daemon]\nCoreSocket=%s\n' "$STORE" "$TMP/core.sock" > "$CRASHWATCH_CONFIG"
out=$(inst --dry-run --socket)
check "--socket without a listening socket falls back to the pipe" test "${out:0:1}" = "|"
touch "$TMP/core.sock"
out=$(inst --dry-run --socket)
check "--socket: a plain file is not a socket" test "${out:0:1}" = "|"
rm "$TMP/core.sock"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TMP/core.sock"
out=$(inst --dry-run --socket)
if [ "$(uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 17)) }')" = 1 ]; then
	check "--socket on Linux >= 6.17 uses the @@socket request protocol" test "$out" = "@@$TMP/core.sock"
elif [ "$(uname -r | awk -F. '{ print ($1 > 6 || ($1 == 6 && $2 >= 16)) }')" = 1 ]; then
	check "--socket on Linux 6.16 uses @socket" test "$out" = "@$TMP/core.sock"
else
	check "--socket on Linux < 6.16 keeps the pipe" test "${out:0:1}" = "|"
fi
printf '[Storage]\nDirectory=%s\n' "$STORE" > "$CRASHWATCH_CONFIG"

cp "$PF" "$TMP/pf.before"
"$CLI" install --collector "$TMP/no-such-collector" --core-pattern-file "$PF" --sysctl-dir "$SD" >/dev/null 2>&1
check "a missing collector is refused, nothing changed" test $? -eq 4 -a "$(cat "$PF")" = "$(cat "$TMP/pf.before")" -a ! -e "$SD/50-crashwatch.conf"

"$CLI" install --dry-run --collector "relative/crashwatch-collect" >/dev/null 2>&1
check "a relative collector path is refused" test $? -eq 2
"$CLI" install --dry-run --collector "/$(printf 'x%.0s' $(seq 120))/crashwatch-collect" >/dev/null 2>&1
check "a pattern longer than the kernel allows is refused" test $? -eq 2
exit $failed
