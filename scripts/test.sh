#!/bin/sh
# The test command (README, .ci/run): installs what the tests need, builds
# with warnings as errors and runs the whole suite (with every libFuzzer
# harness built and run for a few seconds on its seeds: --enable-fuzz-tests),
# then builds again under AddressSanitizer + UndefinedBehaviorSanitizer and
# runs the suite there.
# The last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
# Go toolchains for the test matrix, fetched once (cached in ~/.cache).
for v in $(scripts/go-toolchain.sh --list); do
	scripts/go-toolchain.sh "$v" >/dev/null || echo "test: could not get Go $v" >&2
done
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed" >&2; echo "0 passed, 1 failed"; exit 1; }
# Cores generated from the Go corpus are shared by both passes.
CW_TEST_WORK="$top/build-ci/tests/work"
export CW_TEST_WORK
status=0
run_pass() { # dir, configure args...
	dir=$1; shift
	mkdir -p "$dir" && cd "$dir" || return 1
	if ! { ../configure -q "$@" && make -j"$jobs" >make.log 2>&1; }; then
		tail -50 make.log >&2
		cd "$top"; return 1
	fi
	make -j"$jobs" check >check.log 2>&1 || status=1
	grep -E '^(FAIL|ERROR|XPASS)' check.log >&2 || true
	cd "$top"
}
run_pass build-ci --enable-werror --enable-fuzz-tests || status=1
CW_SANITIZER_PASS=1 run_pass build-ci-asan --enable-werror --enable-sanitizers || status=1
exec sh scripts/test-summary.sh build-ci build-ci-asan "$status"
