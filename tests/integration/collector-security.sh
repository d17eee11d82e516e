#!/bin/bash
# crashwatch-collect against a hostile spool and hostile input: symlinks and
# bad ownership/modes are refused (while the core is still drained, so the
# crashing process is released), links inside the store are not followed,
# its own crash / a recursion is drained and dropped, hostile strings still
# make valid JSON.
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..17"

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

# Its own crash: comm of crashwatch-collect, a live collector as %P.
clear_spool
mkfifo "$TMP/fifo"
printf '[Storage]\nDirectory=%s\n' "$TMP/victim" > "$TMP/victim.conf"
CRASHWATCH_CONFIG="$TMP/victim.conf" "$COLLECT" 1 1 0 0 11 0 0 h 1 "" x < "$TMP/fifo" 2>/dev/null & victim=$!
BG_PIDS="$BG_PIDS $victim"
exec 9>"$TMP/fifo"
rcs=$(cat "$CORE" | run_collector "$victim" "$victim" 0 0 11 "$NOW" 0 h 1 "" crashwatch-coll 2>/dev/null; echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}")
exec 9>&-
check "own crash: drained, exit 0" test "$rcs" = "0 0"
check "own crash: nothing stored" test -z "$(ls -A "$SPOOL" 2>/dev/null)"
rcs=$(cat "$CORE" | run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 1 h 1 "" crash 2>/dev/null; echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}")
check "recursion (RLIMIT_CORE=1 marks the kernel's helper): drained, nothing stored" test "$rcs" = "0 0" -a -z "$(ls -A "$SPOOL" 2>/dev/null)"

# Hostile input: garbage instead of an ELF core, hostile strings.
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
