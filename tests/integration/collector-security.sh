#!/bin/bash
# crashwatch-collect against a hostile spool and hostile input: symlinks and
# bad ownership/modes are refused (while the core is still drained, so the
# crashing process is released), links inside the store are not followed,
# its own crash / a recursion is drained and dropped (recognised by the
# executable, not by a name anyone can take), hostile strings still
# make valid JSON.
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..24"

build_c_crasher
CORE=$(make_core "$TMP" "$TMP/crash" 2000000) || { echo "Bail out! no core"; exit 1; }
start_sleeper
NOW=$(date +%s)
# feed: the kernel's side of the pipe; prints "rc_of_writer rc_of_collector".
feed() {
	cat "$CORE" | run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" "${1:-crash}" 2>/dev/null
	echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}"
}
mkdir -p "$TMP/elsewhere"

mkdir -p "$STORE"; ln -s "$TMP/elsewhere" "$SPOOL"
rcs=$(feed)
check "spool is a symlink: refused (exit 1), core fully drained" test "$rcs" = "0 1"
check "spool is a symlink: nothing written through it" test -z "$(ls -A "$TMP/elsewhere")"
rm "$SPOOL"

rm -rf "$STORE"; ln -s "$TMP/elsewhere" "$STORE"
rcs=$(feed)
check "storage directory is a symlink: refused, drained" test "$rcs" = "0 1" -a -z "$(ls -A "$TMP/elsewhere")"
rm "$STORE"

mkdir -p "$SPOOL"; chmod 0777 "$SPOOL"
rcs=$(feed)
check "world-writable spool: refused" test "$rcs" = "0 1" -a -z "$(ls -A "$SPOOL")"
chmod 0711 "$SPOOL"; chown 65534 "$SPOOL"
rcs=$(feed)
check "spool owned by another user: refused" test "$rcs" = "0 1" -a -z "$(ls -A "$SPOOL")"
chown 0 "$SPOOL"
chmod 0777 "$STORE"
rcs=$(feed)
check "world-writable storage directory: refused" test "$rcs" = "0 1" -a -z "$(ls -A "$SPOOL")"
chmod 0755 "$STORE"

# A link planted where the executable copy would go is not followed.
bid=$(readelf -n /proc/$SLEEPER/exe | sed -n 's/.*Build ID: //p')
mkdir -p "$STORE/executables"; echo precious > "$TMP/elsewhere/target"
ln -s "$TMP/elsewhere/target" "$STORE/executables/$bid"
rcs=$(feed)
check "planted link in executables/: core still stored" test "$rcs" = "0 0" -a -f "$(core_of)"
check "planted link in executables/: target untouched" test "$(cat "$TMP/elsewhere/target")" = precious
rm -rf "$STORE/executables"; ln -s "$TMP/elsewhere" "$STORE/executables"; clear_spool
rcs=$(feed)
check "executables/ is a symlink: no copy through it, core stored" test "$rcs" = "0 0" -a "$(field .executable_copy)" = null -a "$(ls "$TMP/elsewhere")" = target
rm -f "$STORE/executables"

rm -rf "$STORE/collect-state"; ln -s "$TMP/elsewhere" "$STORE/collect-state"; clear_spool
rm -rf "$STORE/collect-state"; ln -s "$TMP/elsewhere" "$STORE/collect-state"
feed >/dev/null
check "collect-state is a symlink: not written through" test "$(ls "$TMP/elsewhere")" = target
rm -f "$STORE/collect-state"

# Its own crash, proven by the executable (device and inode of
# /proc/PID/exe against the collector's) and root's ids, never by the name.
# A live collector (waiting on a fifo) stands in for the crashed one.
clear_spool
mkfifo "$TMP/fifo"
printf '[Storage]\nDirectory=%s\n' "$TMP/victim" > "$TMP/victim.conf"
# start_collector [setpriv args...]: a collector blocked on the fifo; sets VICTIM.
start_collector() {
	CRASHWATCH_CONFIG="$TMP/victim.conf" "$@" "$COLLECT" 1 1 0 0 11 0 0 h 1 "" x < "$TMP/fifo" 2>/dev/null &
	VICTIM=$!
	BG_PIDS="$BG_PIDS $VICTIM"
	exec 9>"$TMP/fifo"
	local i
	for i in $(seq 100); do # until the shell has exec'd the collector and it made itself non-dumpable
		[ "$(stat -L -c %i "/proc/$VICTIM/exe" 2>/dev/null)" = "$(stat -L -c %i "$COLLECT")" ] &&
			[ "$(stat -c %u "/proc/$VICTIM/status" 2>/dev/null)" = 0 ] && return 0
		sleep 0.05
	done
}
# feed_as PID COMM [CORE]: prints "rc_of_writer rc_of_collector".
feed_as() {
	# %t is now: the process must have started before "the crash"
	cat "${3:-$CORE}" | run_collector "$1" "$1" 0 0 11 "$(date +%s)" 0 h 1 "" "$2" 2>/dev/null
	echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}"
}
start_collector
rcs=$(feed_as "$VICTIM" crashwatch-coll)
check "own crash: drained, exit 0" test "$rcs" = "0 0"
check "own crash: nothing stored" test -z "$(ls -A "$SPOOL" 2>/dev/null)"
rcs=$(feed_as "$VICTIM" innocent)
check "own crash under another %e: still recognised by its executable, nothing stored" \
	test "$rcs" = "0 0" -a -z "$(ls -A "$SPOOL" 2>/dev/null)"
exec 9>&-
wait "$VICTIM" 2>/dev/null
rcs=$(cat "$CORE" | run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 1 h 1 "" crash 2>/dev/null; echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}")
check "recursion (RLIMIT_CORE=1 marks the kernel's helper): drained, nothing stored" test "$rcs" = "0 0" -a -z "$(ls -A "$SPOOL" 2>/dev/null)"

# Hostile names (issue 13): a process that calls itself crashwatch-coll is
# recorded like any other, and its record says the name matched.
cat > "$TMP/hostile.c" <<'CEOF'
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	prctl(PR_SET_NAME, "crashwatch-coll");
	if (argc > 1 && !strcmp(argv[1], "wait"))
		for (;;)
			pause();
	*(volatile int *)0 = 1;
	return 0;
}
CEOF
cc -o "$TMP/hostile" "$TMP/hostile.c"
mkdir -p "$TMP/h"; HCORE=$(make_core "$TMP/h" "$TMP/hostile")
"$TMP/hostile" wait & hostile=$!
BG_PIDS="$BG_PIDS $hostile"
for i in $(seq 100); do [ "$(cat /proc/$hostile/comm 2>/dev/null)" = crashwatch-coll ] && break; sleep 0.05; done
clear_spool
rcs=$(feed_as "$hostile" crashwatch-coll "$HCORE")
check "PR_SET_NAME crashwatch-coll: recorded with its core" test "$rcs" = "0 0" -a -n "$(core_of)" -a -n "$(meta_of)"
check "PR_SET_NAME crashwatch-coll: the record says the name matched" \
	test "$(field .collector_name_matched)/$(field .comm)/$(field .exe)" = "true/crashwatch-coll/$TMP/hostile"
kill "$hostile"
ln -s "$(command -v sleep)" "$TMP/crashwatch-collect"
"$TMP/crashwatch-collect" 300 & linked=$!
BG_PIDS="$BG_PIDS $linked"
for i in $(seq 100); do [ "$(cat /proc/$linked/comm 2>/dev/null)" = crashwatch-coll ] && break; sleep 0.05; done
clear_spool
rcs=$(feed_as "$linked" "$(cat /proc/$linked/comm)")
check "a symlink named crashwatch-collect to sleep: recorded" test "$rcs" = "0 0" -a -n "$(core_of)"
check "symlink: the record says the name matched, exe is the real file" \
	test "$(field .collector_name_matched)/$(field .exe)" = "true/$(readlink -f "$(command -v sleep)")"
kill "$linked"
# The collector's own binary started by an unprivileged user is not the
# kernel's helper: its crash is recorded (restricted: it is not dumpable).
clear_spool
start_collector setpriv --reuid=65534 --regid=65534 --clear-groups
rcs=$(feed_as "$VICTIM" crashwatch-coll)
exec 9>&-
check "the collector binary run by a user: recorded, restricted, name matched" \
	test "$rcs/$(field .restricted)/$(field .collector_name_matched)" = "0 0/true/true"
wait "$VICTIM" 2>/dev/null
clear_spool
feed >/dev/null
check "an ordinary crash: collector_name_matched false" test "$(field .collector_name_matched)" = false

# Hostile input: garbage instead of an ELF core, hostile strings.
clear_spool
(exit 0) & gone=$!; wait $gone
head -c 300000 /dev/urandom > "$TMP/garbage"
run_collector "$gone" "$gone" 0 0 11 "$NOW" 0 $'h\xff"\\' 1 "" $'c\xc3(\n"' < "$TMP/garbage" 2>/dev/null
check "garbage core: stored byte for byte" cmp -s <(zstd -dc "$(core_of)") "$TMP/garbage"
valid_json() { jq -e .schema "$1" >/dev/null; }
check "hostile strings: the record is valid JSON" valid_json "$(meta_of)"
check "hostile strings: invalid UTF-8 replaced" test "$(field .hostname)" = $'h\xef\xbf\xbd"\\'

run_collector 0 0 0 0 11 "$NOW" 0 h 1 "" crash < /dev/null 2>/dev/null
check "bad arguments (pid 0): usage error 2" test $? -eq 2
exit $failed
