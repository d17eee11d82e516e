#!/bin/bash
# crashwatch-collect on real cores, fed as the kernel would: byte-exact
# seekable zstd, record fields from a pidfd-verified /proc, the fallback to
# the core's notes for a gone process, a bogus pidfd and a recycled pid.
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..45"
echo "# pattern from $PATTERN_SOURCE: $PATTERN"

build_c_crasher
CORE=$(make_core "$TMP" "$TMP/crash" 3000000) || { echo "Bail out! no core (ulimit -c / core_pattern)"; exit 1; }
start_sleeper GOTRACEBACK=crash GODEBUG=madvdontneed=1 GOMAXPROCS=3 SECRET=hidden
NOW=$(date +%s)

run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 18446744073709551615 testhost 1 "" crash < "$CORE"
check "collector exits 0 on a real core" test $? -eq 0
META=$(meta_of); ZST=$(core_of)
check "record and core are in the spool" test -f "$META" -a -f "$ZST"
check "the record's core.file names the core" test "$(field .core.file)" = "$(basename "$ZST")"
check "zstd -d gives the core back byte for byte" cmp -s <(zstd -dc "$ZST") "$CORE"
check "seek table at the end (seekable magic)" test "$(tail -c 4 "$ZST" | od -An -tx4 | tr -d ' ')" = "8f92eab1"
frames=$(tail -c 9 "$ZST" | head -c 4 | od -An -tu4 | tr -d ' ')
size=$(stat -c %s "$CORE")
check "one frame per MiB ($frames frames for $size bytes)" test "$frames" -eq $(((size + 1048575) / 1048576))
check "record: schema, pid, signal, comm, hostname" test "$(field '[.schema,.pid,.signal_name,.comm,.hostname]|join(" ")')" = "crashwatch.record.v1 $SLEEPER SIGSEGV crash testhost"
check "record: metadata from /proc, pidfd opened and checked" test "$(field .metadata_source) $(field .pidfd)" = "proc pidfd_open"
check "record: exe via the pidfd" test "$(field .exe)" = "$(readlink -f /proc/$SLEEPER/exe)"
bid=$(readelf -n "$(readlink -f /proc/$SLEEPER/exe)" | sed -n 's/.*Build ID: //p')
check "record: build id of the executable" test "$(field .build_id)" = "$bid"
check "record: cmdline" test "$(field '.cmdline|join(" ")')" = "sleep 300"
check "record: cwd" test "$(field .cwd)" = "$(readlink /proc/$SLEEPER/cwd)"
check "record: only the selected environment" test "$(field '.environment|to_entries|map(.key+"="+.value)|join(",")')" = "GOTRACEBACK=crash,GODEBUG=madvdontneed=1,GOMAXPROCS=3"
check "record: mappings include the executable" test "$(field '[.mappings[]|select(.path=="'"$(readlink -f /proc/$SLEEPER/exe)"'")]|length')" -ge 1
check "record: namespaces and cgroup" test "$(field '.namespaces.pid|startswith("pid:[")')" = true -a "$(field .cgroup)" != null
check "record: sizes" test "$(field .core.size)" = "$size" -a "$(field .core.stored_size)" = "$size" -a "$(field .core.compressed_size)" = "$(stat -c %s "$ZST")"
check "files are mode 0400" test "$(stat -c %a "$META") $(stat -c %a "$ZST")" = "400 400"
check "executable kept by build id" cmp -s "$STORE/executables/$bid" "$(readlink -f /proc/$SLEEPER/exe)"
check "no temporary files left" test -z "$(ls -A "$SPOOL" | grep -v -e '\.meta$' -e '\.core\.zst$')"

# Another user's crash: files owned by that uid.
clear_spool
run_collector "$SLEEPER" "$SLEEPER" 65534 65534 6 "$NOW" 0 testhost 1 "" crash < "$CORE"
chmod 755 "$TMP"
as_user() { setpriv --reuid="$1" --regid="$1" --clear-groups cat "$2" > /dev/null 2>&1; }
check "a user's crash: root's files, readable by that user (ACL)" \
	test "$(stat -c %u "$(core_of)")" = 0 -a "$(field .user_readable)" = true
check "a user's crash: that user can read the core and the record" as_user 65534 "$(core_of)"
check "a user's crash: another user cannot" test "$(as_user 65533 "$(core_of)"; echo $?) $(as_user 65533 "$(meta_of)"; echo $?)" = "1 1"
check "a user's crash: that user cannot change it" test "$(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "chmod 600 '$(core_of)' || echo denied" 2>/dev/null)" = denied

# Dump mode 2 (setuid / not dumpable): root only.
clear_spool
run_collector "$SLEEPER" "$SLEEPER" 65534 65534 6 "$NOW" 0 testhost 2 "" crash < "$CORE"
check "a restricted crash is root's only" test "$(stat -c '%u %a' "$(core_of)")" = "0 400" -a "$(field .restricted) $(field .user_readable)" = "true false"
check "a restricted crash: the user cannot read it" test "$(as_user 65534 "$(core_of)"; echo $?)" = 1

# A non-dumpable process (prctl(PR_SET_DUMPABLE, 0), as after setuid) of
# another user, with %d saying 1: /proc/PID is root's, so the core is too.
cat > "$TMP/nodump.c" <<'CEOF'
#include <sys/prctl.h>
#include <unistd.h>
int main(void) { prctl(PR_SET_DUMPABLE, 0); pause(); return 0; }
CEOF
cc -o "$TMP/nodump" "$TMP/nodump.c" && chmod 755 "$TMP" "$TMP/nodump"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/nodump" & nodump=$!
BG_PIDS="$BG_PIDS $nodump"
for i in $(seq 200); do [ "$(stat -c %u /proc/$nodump/status 2>/dev/null)" = 0 ] && break; sleep 0.05; done
clear_spool
run_collector "$nodump" "$nodump" 65534 65534 6 "$(date +%s)" 0 testhost 1 "" nodump < "$CORE" 2>/dev/null
check "non-dumpable process: restricted, root-owned 0400" test "$(field .restricted) $(stat -c '%u %a' "$(core_of)")" = "true 0 400"
check "non-dumpable process: no executable copy" test "$(field .executable_copy)" = null

# The process is gone: metadata from the core's notes.
clear_spool
(exit 0) & gone=$!; wait $gone
run_collector "$gone" "$gone" 0 0 11 "$NOW" 0 testhost 1 "" crash < "$CORE"
check "gone process: still stored byte for byte" cmp -s <(zstd -dc "$(core_of)") "$CORE"
check "gone process: metadata from the core" test "$(field .metadata_source)" = core -a "$(field .exe)" = "$TMP/crash"
check "gone process: the note says why" grep -q "process gone" <(field .metadata_note)
clear_spool
run_collector "$gone" "$gone" 65534 65534 11 "$NOW" 0 testhost "" "" crash < "$CORE"
check "gone process, dump mode unknown (no %d): root only, to be safe" test "$(field .restricted) $(field .user_readable)" = "true false"

# A bogus pidfd (%F names an fd that is not a pidfd).
clear_spool
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 testhost 1 7 crash < "$CORE" 7</dev/null
check "bogus pidfd: /proc not trusted" test "$(field .metadata_source)" = core
check "bogus pidfd: the note says so" grep -q "pidfd invalid" <(field .metadata_note)

# A real pidfd passed as %F (what Linux >= 6.16 does).
clear_spool
PIDFD_OF=$SLEEPER run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 testhost 1 @PIDFD@ crash < "$CORE" 2>/dev/null
check "kernel pidfd: used and verified" test "$(field .metadata_source) $(field .pidfd)" = "proc kernel"
check "kernel pidfd: byte-exact core" cmp -s <(zstd -dc "$(core_of)") "$CORE"
# A pidfd of another process than %P: not trusted.
clear_spool
PIDFD_OF=$$ run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 testhost 1 @PIDFD@ crash < "$CORE" 2>/dev/null
check "pidfd of another process: /proc not trusted" grep -q "pidfd invalid: names pid $$" <(field .metadata_note)

# A recycled pid: the live process started after the crash.
clear_spool
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 $((NOW - 3600)) 0 testhost 1 "" crash < "$CORE"
check "recycled pid: /proc not trusted" test "$(field .metadata_source) $(field .metadata_note)" != "proc null" -a "$(field .exe)" = "$TMP/crash"
# A Go crash (GOTRACEBACK=crash): a real Go core, byte-exact, SIGABRT.
clear_spool
GO=$("$top_srcdir/scripts/go-toolchain.sh" 1.26 2>/dev/null || command -v go || true)
mkdir -p "$TMP/gocrash"
cat > "$TMP/gocrash/main.go" <<'GEOF'
package main

import "os"

var sink [][]byte

func main() {
	for i := 0; i < 64; i++ {
		sink = append(sink, make([]byte, 64<<10))
	}
	var m map[string]int
	m[os.Args[0]] = 1
}
GEOF
if [ -n "$GO" ] && (cd "$TMP/gocrash" && GOTOOLCHAIN=local GO111MODULE=off "$GO" build -o gocrash main.go) 2>/dev/null &&
	GOCORE=$(GOTRACEBACK=crash make_core "$TMP/gocrash" "$TMP/gocrash/gocrash"); then
	run_collector "$SLEEPER" "$SLEEPER" 0 0 6 "$NOW" 0 testhost 1 "" gocrash < "$GOCORE" 2>/dev/null
	check "Go core: stored byte for byte" cmp -s <(zstd -dc "$(core_of)") "$GOCORE"
	check "Go core: SIGABRT, sizes" test "$(field .signal_name) $(field .core.size)" = "SIGABRT $(stat -c %s "$GOCORE")"
	clear_spool
	(exit 0) & gone=$!; wait $gone
	run_collector "$gone" "$gone" 0 0 6 "$NOW" 0 testhost 1 "" gocrash < "$GOCORE" 2>/dev/null
	check "Go core, process gone: exe from the core's NT_FILE" test "$(field .exe)" = "$TMP/gocrash/gocrash"
else
	for w in "stored byte for byte" "SIGABRT, sizes" "exe from NT_FILE"; do skip "Go core: $w" "no Go toolchain or no core"; done
fi

# ForwardTo=: the previous handler (argv expanded like the kernel's) gets the core too.
clear_spool
cat > "$TMP/fwd.sh" <<FEOF
#!/bin/sh
cat > "$TMP/fwd.\$1.\$2.\$3.part" && mv "$TMP/fwd.\$1.\$2.\$3.part" "$TMP/fwd.\$1.\$2.\$3"
FEOF
chmod +x "$TMP/fwd.sh"
printf '[Storage]\nDirectory=%s\n[Collect]\nForwardTo=%s %%P %%s %%e\n' "$STORE" "$TMP/fwd.sh" > "$CRASHWATCH_CONFIG"
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 testhost 1 "" crash < "$CORE" 2>/dev/null
check "ForwardTo: the core is still stored" cmp -s <(zstd -dc "$(core_of)") "$CORE"
for i in $(seq 100); do [ -e "$TMP/fwd.$SLEEPER.11.crash" ] && break; sleep 0.1; done
check "ForwardTo: the handler got %P %s %e" test -e "$TMP/fwd.$SLEEPER.11.crash"
check "ForwardTo: the handler got the whole core" cmp -s "$TMP/fwd.$SLEEPER.11.crash" "$CORE"
check "ForwardTo: the record says so" test "$(field .forwarded_to)" = "$TMP/fwd.sh %P %s %e"
# A handler that never reads must not hold the crash forever.
clear_spool
# (/bin/sleep 8 reads nothing and ends by itself after the test's check)
printf '[Storage]\nDirectory=%s\n[Collect]\nForwardTo=/bin/sleep 8\n' "$STORE" > "$CRASHWATCH_CONFIG"
t0=$(date +%s)
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 testhost 1 "" crash < "$CORE" 2>/dev/null
t1=$(date +%s)
check "ForwardTo: a stuck handler is dropped after ~5 s, the core still stored" \
	test $((t1 - t0)) -le 12 -a "$(field .core.stored)" = true
printf '[Storage]\nDirectory=%s\n' "$STORE" > "$CRASHWATCH_CONFIG"
exit $failed
