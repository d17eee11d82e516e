#!/bin/bash
# crashwatch-collect's limits: ExternalSizeMax (truncate), ProcessSizeMax
# (drop), MaxUse, KeepFree, the per-executable rate limit, and a disk that
# fills up mid-write (a small tmpfs): record kept, no partial core, no garbage.
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..21"

build_c_crasher
CORE=$(make_core "$TMP" "$TMP/crash" 6000000) || { echo "Bail out! no core"; exit 1; }
SIZE=$(stat -c %s "$CORE")
start_sleeper
NOW=$(date +%s)
collect() { run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" crash < "$CORE" 2>/dev/null; }
config() { { printf '[Storage]\nDirectory=%s\n[Collect]\n' "$STORE"; printf '%s\n' "$@"; } > "$CRASHWATCH_CONFIG"; }

config "ExternalSizeMax=1M"
collect
check "ExternalSizeMax: the first 1 MiB is stored" cmp -s <(zstd -dc "$(core_of)") <(head -c 1048576 "$CORE")
check "ExternalSizeMax: marked truncated" test "$(field '[.core.stored,.core.truncated,.core.dropped_reason]|join(" ")')" = "true true external-size-max"
check "ExternalSizeMax: the whole core was drained" test "$(field .core.size)" = "$SIZE"

clear_spool; config "ProcessSizeMax=2M"
collect
check "ProcessSizeMax: exit 0, record written" test $? -eq 0 -a -f "$(meta_of)"
check "ProcessSizeMax: the first 2 MiB stored, marked truncated" test "$(field '[.core.stored,.core.truncated,.core.dropped_reason]|join(" ")')" = "true true process-size-max" -a "$(zstd -dc "$(core_of)" | cmp - <(head -c 2097152 "$CORE") && echo same)" = same
check "ProcessSizeMax: drained" test "$(field .core.size)" = "$SIZE"

clear_spool; config "MaxUse=1K"
mkdir -p "$SPOOL"; head -c 8192 /dev/urandom > "$SPOOL/old.core.zst"
collect
check "MaxUse: metadata only" test "$(field '.core.dropped_reason')" = max-use -a -z "$(core_of | grep -v old)"
clear_spool

# MaxUse crossed while writing: the partial core is dropped, the record says so.
clear_spool; config "MaxUse=3M"
head -c 6000000 /dev/urandom > "$TMP/random.core"
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" crash < "$TMP/random.core" 2>/dev/null
check "MaxUse crossed mid-write: metadata only, drained" test "$(field '[.core.stored,.core.dropped_reason,.core.size]|join(" ")')" = "false max-use 6000000"
check "MaxUse crossed mid-write: no partial core left" test "$(ls -A "$SPOOL" | grep -vc '\.meta$')" = 0
clear_spool

config "KeepFree=1000T"
collect
check "KeepFree: metadata only" test "$(field '.core.dropped_reason')" = keep-free -a -z "$(core_of)"

clear_spool; config "RateLimitBurst=2" "RateLimitIntervalSec=1h"
for i in 1 2 3; do collect; done
stored=$(jq -r .core.stored "$SPOOL"/*.meta | sort | uniq -c | tr -s ' ' | tr '\n' ';')
check "rate limit: 2 stored, the 3rd metadata only ($stored)" test "$stored" = " 1 false; 2 true;"
check "rate limit: the 3rd says rate-limited" test "$(jq -r 'select(.core.stored==false)|.core.dropped_reason' "$SPOOL"/*.meta)" = rate-limited
rm -f "$SPOOL"/*
(exit 0) & gone=$!; wait $gone
run_collector "$gone" "$gone" 0 0 11 "$NOW" 0 h 1 "" crash < "$CORE" 2>/dev/null
check "rate limit: counted per executable (another one is stored)" test "$(field .core.stored)" = true
echo "1 1" > "$STORE/collect-state/rl-00000000deadbeef"; touch -d "2 hours ago" "$STORE/collect-state/rl-00000000deadbeef"
rm -f "$SPOOL"/*
run_collector "$gone" "$gone" 0 0 11 "$NOW" 0 h 1 "" other < /dev/null 2>/dev/null
check "rate limit: state of executables idle for an interval is forgotten" \
	test ! -e "$STORE/collect-state/rl-00000000deadbeef" -a "$(ls "$STORE/collect-state" | wc -l)" -ge 2

# Disk full: a 2 MiB tmpfs, a core of random data that cannot fit.
mkdir -p "$TMP/small"
if mount -t tmpfs -o size=2m tmpfs "$TMP/small" 2>/dev/null; then
	printf '[Storage]\nDirectory=%s\n[Collect]\nKeepFree=0\nMaxUse=1G\n' "$TMP/small/store" > "$CRASHWATCH_CONFIG"
	head -c 6000000 /dev/urandom > "$TMP/random.core"
	run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" crash < "$TMP/random.core" 2>/dev/null
	rc=$?
	sp="$TMP/small/store/spool"
	check "disk full: exit 0" test $rc -eq 0
	check "disk full: the record is kept" test -f "$(ls "$sp"/*.meta)"
	check "disk full: reason disk-full, no core" test "$(jq -r '[.core.stored,.core.dropped_reason]|join(" ")' "$sp"/*.meta)" = "false disk-full"
	check "disk full: no partial core or temporary file" test "$(ls -A "$sp" | grep -vc '\.meta$')" = 0
	check "disk full: drained everything" test "$(jq -r .core.size "$sp"/*.meta)" = 6000000
	# KeepFree crossed while writing: 16 MiB, keep 12 MiB free, 10 MB that do not compress.
	umount "$TMP/small"
	mount -t tmpfs -o size=16m tmpfs "$TMP/small"
	printf '[Storage]\nDirectory=%s\n[Collect]\nKeepFree=12M\nMaxUse=1G\n' "$TMP/small/store" > "$CRASHWATCH_CONFIG"
	head -c 10000000 /dev/urandom > "$TMP/random.core"
	run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" crash < "$TMP/random.core" 2>/dev/null
	check "KeepFree crossed mid-write: metadata only" test "$(jq -r '[.core.stored,.core.dropped_reason]|join(" ")' "$sp"/*.meta)" = "false keep-free"
	umount "$TMP/small"
else
	skip "KeepFree mid-write" "mounting a tmpfs is not permitted here"
	for w in "exit 0" "record kept" "reason disk-full" "no partial core" "drained"; do
		skip "disk full: $w" "mounting a tmpfs is not permitted here"
	done
fi

# Empty input: a record, no core.
clear_spool; printf '[Storage]\nDirectory=%s\n' "$STORE" > "$CRASHWATCH_CONFIG"
run_collector "$SLEEPER" "$SLEEPER" 0 0 11 "$NOW" 0 h 1 "" crash < /dev/null 2>/dev/null
check "empty core: record says empty" test "$(field .core.dropped_reason)" = empty
exit $failed
