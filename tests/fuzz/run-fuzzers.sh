#!/bin/sh
# Every libFuzzer harness of `make fuzz` (fuzz-bin/NAME, built by make check
# when configured with --enable-fuzz-tests) run on its seeds and then
# fuzzed for CW_FUZZ_SECONDS seconds (default 2): a crash, a leak, a
# sanitizer report or an input slower than 25 s is a failed test. Which
# harnesses, and their seeds, come from make's FUZZERS (NAME or NAME:SEEDS,
# seeds in tests/fuzz/SEEDS/), passed as CW_FUZZERS. An input that failed
# is kept in fuzz-bin/artifacts/ to reproduce it: fuzz-bin/NAME FILE.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
secs=${CW_FUZZ_SECONDS:-2}
# UB is a failure, not a line in the log.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

# shellcheck disable=SC2086
set -- ${CW_FUZZERS:-}
if [ $# -eq 0 ]; then
	echo "Bail out! no harness named: CW_FUZZERS is empty (run by make check)"
	exit 1
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/cw-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT
art="$top_builddir/fuzz-bin/artifacts"
mkdir -p "$art"
echo "1..$#"
n=0
failed=0
for f; do
	n=$((n + 1))
	name=${f%%:*}
	seeds=
	case $f in *:*) seeds="$top_srcdir/tests/fuzz/${f#*:}" ;; esac
	bin="$top_builddir/fuzz-bin/$name"
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $name: $bin was not built (make fuzz)"
		failed=1
		continue
	fi
	if [ -n "$seeds" ] && [ ! -d "$seeds" ]; then
		echo "not ok $n - $name: no seed directory $seeds"
		failed=1
		continue
	fi
	nseeds=0
	[ -z "$seeds" ] || nseeds=$(find "$seeds" -type f | wc -l)
	mkdir "$T/$name"
	# the first directory takes what the fuzzer finds, the seeds stay as they are
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/$name-" "$T/$name" $seeds >"$T/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$name.log")
		echo "ok $n - $name: $nseeds seeds, ${runs:-?} runs in ${secs}s"
	else
		rc=$?
		failed=1
		echo "not ok $n - $name: exit $rc, $(grep -m1 -o 'INFO: Seed: [0-9]*' "$T/$name.log")"
		grep -E 'ERROR|SUMMARY|Test unit written|^    #[0-9]' "$T/$name.log" | head -40 | sed 's/^/# /'
	fi
done
exit $failed
