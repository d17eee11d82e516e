#!/bin/bash
# End to end: real Go crashes (GOTRACEBACK=crash cores) fed to the real
# collector as the kernel would, crashwatchd analysing and storing them,
# the CLI showing them (messages compared with the runtime's own "panic:"
# line, fingerprints: same bug in two builds equal, another bug different),
# dump byte-exact, per-uid visibility, and kill -9 / restart with every
# crash stored exactly once.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..24"
# analyses run unprivileged: as nobody (the daemon runs as root here)
printf '[Analyze]\nUser=nobody\n' | write_config

if ! find_go; then
	for i in $(seq 1 24); do skip "e2e step $i" "no Go toolchain"; done
	exit 0
fi

# One program, two bugs; build 2 is build 1 with the code moved down.
mkdir -p "$TMP/src1" "$TMP/src2"
cat > "$TMP/src1/go.mod" <<'GOEOF'
module example.com/crashy

go 1.21
GOEOF
cat > "$TMP/src1/main.go" <<'GOEOF'
package main

import (
	"fmt"
	"os"
)

type order struct{ items []int }

func (o *order) total(n int) int {
	return o.items[n]
}

func validate(id int) {
	panic(fmt.Sprintf("invalid order %d", id))
}

func main() {
	switch os.Args[1] {
	case "validate":
		validate(len(os.Args) + 41)
	case "index":
		o := &order{items: []int{1, 2, 3}}
		fmt.Println(o.total(len(os.Args) + 3))
	}
}
GOEOF
cp "$TMP/src1/go.mod" "$TMP/src2/go.mod"
{ printf '// build 2: the same program, lines moved\n\n\n\n\n'; cat "$TMP/src1/main.go"; } > "$TMP/src2/main.go"
go_build "$TMP/src1" "$TMP/crashy1" && go_build "$TMP/src2" "$TMP/crashy2"
check "two builds of a crashing Go program" test -x "$TMP/crashy1" -a -x "$TMP/crashy2"

check "daemon starts from a temp config" start_daemon
if [ "$(id -u)" = 0 ]; then
	check "analyses drop privileges to [Analyze] User=nobody" \
		grep -q "analyses run as nobody (uid $(id -u nobody)" "$TMP/daemon.log"
else
	skip "analyses drop privileges to [Analyze] User=nobody" "not root"
fi

crash_go "$TMP/crashy1" validate 0; MSG1=$(runtime_panic_message "$CRASH_STDERR"); CORE1=$CRASH_CORE; PID1=$CRASH_PID
crash_go "$TMP/crashy2" validate 0; MSG2=$(runtime_panic_message "$CRASH_STDERR"); PID2=$CRASH_PID
crash_go "$TMP/crashy1" index 0; MSG3=$(runtime_panic_message "$CRASH_STDERR"); PID3=$CRASH_PID
check "the collector spooled three crashes" test -n "$MSG1" -a -n "$MSG3"
check "the daemon stored all three" wait_for_crashes 3

"$CLI" list --json > "$TMP/list.json"
jget() { jq -r "$1" "$TMP/list.json"; }
check "list --json: pid, uid, signal, exe of each" \
	test "$(jget '[.[] | "\(.pid) \(.uid) \(.signal)"] | join(",")')" = "$PID1 0 6,$PID2 0 6,$PID3 0 6"
check "list --json has the contract's fields" \
	test "$(jget '[.[0] | has("id","time","pid","uid","exe","signal","message","fingerprint","go_version","core_state")] | all')" = true
check "analysis ok for every crash" test "$(jget '[.[].analysis_status] | join(",")')" = "ok,ok,ok"
check "message 1 is the runtime's panic line ($MSG1)" test "$(jget '.[0].message')" = "$MSG1"
check "message 2 is the runtime's panic line" test "$(jget '.[1].message')" = "$MSG2"
check "message 3 is the runtime's panic line ($MSG3)" test "$(jget '.[2].message')" = "$MSG3"
check "Go version recorded" test "$(jget '.[0].go_version')" = "$(GOTOOLCHAIN=local "$GO" env GOVERSION)"
FP1=$(jget '.[0].fingerprint'); FP2=$(jget '.[1].fingerprint'); FP3=$(jget '.[2].fingerprint')
check "same bug in two builds: same fingerprint" test -n "$FP1" -a "$FP1" != null -a "$FP1" = "$FP2"
check "another bug: another fingerprint" test "$FP3" != null -a "$FP1" != "$FP3"

ID1=$(jget '.[0].id')
"$CLI" info "$ID1" > "$TMP/info.txt" 2>&1
check "info shows the panic message" grep -qF "$MSG1" "$TMP/info.txt"
check "info shows the crashing function" grep -q "main.validate" "$TMP/info.txt"
check "info --json carries the analysis" \
	test "$("$CLI" info "$ID1" --json | jq -r '.analysis.schema')" = crashwatch.analysis.v1

"$CLI" dump "$ID1" -o "$TMP/dumped.core" 2>/dev/null
check "dump -o is byte-exact" cmp -s "$TMP/dumped.core" "$CORE1"
"$CLI" dump "$ID1" 2>/dev/null | cmp -s - "$CORE1"
status=("${PIPESTATUS[@]}")
check "dump to a pipe is byte-exact" test "${status[0]}" = 0 -a "${status[1]}" = 0

check "groups: two fingerprints, counts 2 and 1" \
	test "$("$CLI" groups --json | jq -c '[.[].count] | sort')" = "[1,2]"

# kill -9, a crash while down, restart: everything there exactly once
kill9_daemon
crash_go "$TMP/crashy2" index 0
start_daemon
check "after kill -9 and restart, the crash collected while down is stored" wait_for_crashes 4
# kill -9 in the middle of an analysis, then restart
crash_go "$TMP/crashy1" index 0
start_daemon_quiet() { "$DAEMON" --config "$CRASHWATCH_CONFIG" >>"$TMP/daemon.log" 2>&1 & DAEMON_PID=$!; }
kill9_daemon; start_daemon_quiet; sleep 0.3; kill9_daemon
start_daemon
wait_for_crashes 5
check "killed mid-analysis: every crash stored exactly once" \
	test "$("$CLI" list --json | jq '[.[].spool_id] | unique | length')" = 5 -a "$(crash_count)" = 5

check "SIGTERM: the daemon exits cleanly" stop_daemon
check_sanitizer_reports
exit $failed
