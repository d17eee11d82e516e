#!/bin/bash
# Privilege separation of the analysis: crashwatchd holds a webhook secret,
# a bearer token and a Sentry DSN; the crashwatch-analyze process that
# parses a crash must hold none of them. The analyzer is held at its
# exit_group (strace's delay injection: nothing in crashwatch knows about
# the test) after the whole analysis ran, and its memory is read through
# /proc/PID/mem: the analysis is there (its fingerprint), the secrets are
# not. The same scan of the daemon finds them (the scan can fail). The core
# is hostile: its NT_FILE names the 0600 token file as a shared library,
# which the analysis (as nobody, without capabilities) must not read.
# Also: the analyzer's uid, capabilities, NO_NEW_PRIVS, seccomp mode and
# descriptors, as the kernel reports them.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..17"
if [ "$(id -u)" != 0 ] || ! command -v strace >/dev/null || ! id nobody >/dev/null 2>&1; then
	for i in $(seq 1 17); do skip "privsep step $i" "needs root, strace and the user nobody"; done
	exit 0
fi

# the token's path is as long as "/lib/x86_64-linux-gnu/libc.so.6", so the
# core can be rewritten to name it in place of libc
LIBC=/lib/x86_64-linux-gnu/libc.so.6
TOKEN_FILE=$TMP/$(printf '%*s' $(( ${#LIBC} - ${#TMP} - 1 )) '' | tr ' ' t)
TOKEN="cwtoken$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="whsec_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DSNKEY="dsnkey$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$TOKEN" > "$TOKEN_FILE"
printf '%s\n' "$SECRET" > "$TMP/secret"
chmod 0600 "$TOKEN_FILE" "$TMP/secret"
printf '[Analyze]\nUser=nobody\nMemoryMax=infinity\n[Upload]\nURL=http://127.0.0.1:9/hook\nSecretFile=%s\nTokenFile=%s\n[Upload sentry]\nFormat=sentry\nDSN=http://%s@127.0.0.1:9/7\n' \
	"$TMP/secret" "$TOKEN_FILE" "$DSNKEY" | write_config

build_c_crasher
mkdir -p "$TMP/run"
# a crash only when the kernel writes cores to files (a pipe pattern is
# some collector's: a test crash would land in its history)
case $(cat /proc/sys/kernel/core_pattern) in
'|'*) ;;
*) (cd "$TMP/run" && ulimit -c unlimited && exec "$TMP/segv") 2>/dev/null ;;
esac
ORIG_CORE=$(ls "$TMP"/run/core* 2>/dev/null | head -n 1)
ORIG_EXE=$TMP/segv
if [ -z "$ORIG_CORE" ] || ! grep -qa "$LIBC" "$ORIG_CORE"; then
	# kernel.core_pattern sends cores elsewhere: a stored real core (a cgo
	# program: its NT_FILE names libc too)
	fx="$top_srcdir/tests/fixtures/go1.21.13-cgo-cgo-fault"
	zstd -dqf "$fx/core.zst" -o "$TMP/fixture.core" && zstd -dqf "$fx/crasher.zst" -o "$TMP/crasher" &&
		chmod 0755 "$TMP/crasher" && ORIG_CORE=$TMP/fixture.core ORIG_EXE=$TMP/crasher
	echo "# no core from the kernel (core_pattern: $(cat /proc/sys/kernel/core_pattern)): using $fx"
fi
if [ -z "$ORIG_CORE" ] || ! grep -qa "$LIBC" "$ORIG_CORE" || [ ${#TOKEN_FILE} != ${#LIBC} ]; then
	for i in $(seq 1 17); do skip "privsep step $i" "no core naming $LIBC"; done
	exit 0
fi
python3 - "$ORIG_CORE" "$TMP/hostile.core" "$LIBC" "$TOKEN_FILE" <<'PY'
import sys
src, dst, old, new = sys.argv[1:]
data = open(src, 'rb').read()
assert len(old) == len(new)
open(dst, 'wb').write(data.replace(old.encode(), new.encode()))
PY

# the analyzer on its own: its result on a character device (stdio must
# not ask isatty() under the filter) and on a pipe
AN="$top_builddir/crashwatch-analyze"
check "crashwatch-analyze writes its result to /dev/null inside the sandbox" \
	"$AN" --result-fd=3 --core-fd=4 --core="$ORIG_CORE" --exe-fd=5 --exe="$ORIG_EXE" 3>/dev/null 4<"$ORIG_CORE" 5<"$ORIG_EXE"
res=$("$AN" --result-fd=3 --core-fd=4 --core="$ORIG_CORE" 3>&1 4<"$ORIG_CORE" | head -c 40)
check "crashwatch-analyze without an executable: J and the JSON on a pipe" \
	test "$res" = 'J{"schema":"crashwatch.analysis.v1","exe'

# crashwatchd under strace: every exit_group of the tree waits 6 s, and
# the opens are logged. (LeakSanitizer cannot run under ptrace: sanitizer
# builds check leaks in the other daemon tests.)
ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -qq -o "$TMP/strace.log" -e trace=exit_group,openat,open -e inject=exit_group:delay_enter=6000000 \
	"$DAEMON" --config "$CRASHWATCH_CONFIG" >>"$TMP/daemon.log" 2>&1 &
STRACE_PID=$!
DAEMON_PID=$STRACE_PID
for i in $(seq 1 100); do
	[ -S "$TMP/query.sock" ] && "$CLI" status >/dev/null 2>&1 && break
	sleep 0.1
done
CWD_PID=$(cat /proc/$STRACE_PID/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .)
check "crashwatchd runs (pid ${CWD_PID:-none})" test -n "$CWD_PID"

# the crash, fed to the collector as the kernel would
run_collector 4242 4242 0 0 11 "$(date +%s)" 18446744073709551615 "$(hostname)" 1 "" segv < "$TMP/hostile.core"
AN_PID=""
for i in $(seq 1 300); do
	for c in $(cat /proc/"$CWD_PID"/task/*/children 2>/dev/null); do
		[ "$(readlink /proc/"$c"/exe 2>/dev/null)" = "$(readlink -f "$top_builddir/crashwatch-analyze")" ] && AN_PID=$c
	done
	# held at exit_group: its result is written (the pipe is closed)
	[ -n "$AN_PID" ] && ! ls -l /proc/"$AN_PID"/fd 2>/dev/null | grep -q ' 3 -> pipe:' && break
	sleep 0.05
done
check "the daemon execs crashwatch-analyze (pid ${AN_PID:-none})" test -n "$AN_PID"

status_field() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }
check "the analyzer runs as nobody" test "$(status_field "$AN_PID" Uid)" = "$(id -u nobody)"
check "the analyzer has no capabilities" test "$(status_field "$AN_PID" CapEff)$(status_field "$AN_PID" CapPrm)" = \
	"00000000000000000000000000000000"
check "the analyzer has NO_NEW_PRIVS and a seccomp filter" \
	test "$(status_field "$AN_PID" NoNewPrivs) $(status_field "$AN_PID" Seccomp)" = "1 2"
# descriptors: none is a socket (but stdio's), none is the database
bad_fds=$(for f in /proc/"$AN_PID"/fd/*; do
	fd=${f##*/}; t=$(readlink "$f")
	case "$t" in socket:*) [ "$fd" -gt 2 ] && echo "$fd=$t";; *crashwatch.db*|*"$STORE"/*.db*) echo "$fd=$t";; esac
done)
check "the analyzer holds no socket and no database descriptor${bad_fds:+ ($bad_fds)}" test -z "$bad_fds"

scan_memory() { # scan_memory PID OUT: the readable mappings' non-zero MiBs
	python3 - "$1" "$2" <<'PY'
import sys
pid, out = sys.argv[1], sys.argv[2]
MiB = 1 << 20
with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb', 0) as mem, open(out, 'wb') as o:
    for line in maps:
        addr, perms = line.split()[:2]
        if perms[0] != 'r' or line.rstrip().endswith(('[vvar]', '[vsyscall]', '[vvar_vclock]')):
            continue
        lo, hi = (int(x, 16) for x in addr.split('-'))
        if hi - lo > (1 << 30):   # a sanitizer's shadow: no strings in it
            continue
        for at in range(lo, hi, MiB):
            try:
                mem.seek(at)
                chunk = mem.read(min(MiB, hi - at))
            except (OSError, ValueError, OverflowError):
                break
            if chunk.count(0) != len(chunk):
                o.write(chunk)
        o.write(b'\n')
PY
}
# libdw falls back to dlopen(libdebuginfod) (libcurl, GnuTLS) when it
# cannot find a module's file, as here: that dlopen must fail (the file
# may stay mapped read-only, nothing of it executable, none of its
# dependencies loaded)
loaded=$(awk '$2 ~ /x/ && /debuginfod/ || /curl|gnutls/ { print $NF }' /proc/"$AN_PID"/maps 2>/dev/null |
	sed 's|.*/||' | sort -u | tr '\n' ' ')
check "no HTTP client loaded into the analyzer${loaded:+ ($loaded)}" test -z "$loaded" -a -r /proc/"$AN_PID"/maps
scan_memory "$AN_PID" "$TMP/analyzer.mem"
scan_memory "$CWD_PID" "$TMP/daemon.mem"

check "crash analysed and stored" wait_for_crashes 1 60
stored=$(ls "$STORE"/cores/* 2>/dev/null | head -n 1)
check "the stored core is 0400 root:root, out of the analysis user's reach (${stored##*/})" \
	sh -c "test \"\$(stat -c %a:%u:%g '$stored')\" = 400:0:0 && ! setpriv --reuid=nobody --regid=nogroup --clear-groups cat '$stored' >/dev/null 2>&1"
FP=$("$CLI" list --json | jq -r '.[0].fingerprint // empty')
STATUS=$("$CLI" list --json | jq -r '.[0].analysis_status')
check "the memory read is the analyzer's after the analysis (fingerprint ${FP:-none} in it)" \
	grep -qaF "${FP:-no-fingerprint}" "$TMP/analyzer.mem"
found=""
for s in "$TOKEN" "$SECRET" "$DSNKEY"; do grep -qaF "$s" "$TMP/analyzer.mem" && found="$found ${s:0:8}..."; done
check "no upload secret, token or DSN key in the analyzer's memory${found:+ (found:$found)}" test -z "$found"
check "the same scan finds the token and the DSN key in the daemon's memory" \
	sh -c "grep -qaF '$TOKEN' '$TMP/daemon.mem' && grep -qaF '$DSNKEY' '$TMP/daemon.mem'"
# the hostile NT_FILE entry: the analyzer tried the token file, as nobody,
# and was refused every time
tries=$(grep -c "^$AN_PID .*open.*\"$TOKEN_FILE\"" "$TMP/strace.log")
opened=$(grep "^$AN_PID .*open.*\"$TOKEN_FILE\"" "$TMP/strace.log" | grep -vc '= -1 EACCES')
check "the hostile core made the analyzer try the token file ($tries times), always refused ($opened opened)" \
	test "$tries" -gt 0 -a "$opened" = 0
check "the analysis of the hostile core succeeded (${STATUS:-?})" test "$STATUS" = ok

kill "$CWD_PID" 2>/dev/null
sleep 0.5
kill -9 "$CWD_PID" "$STRACE_PID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null
DAEMON_PID=""
check_sanitizer_reports
exit $failed
