#!/bin/bash
# sigabrt-class.sh: the judge of go-sigabrt.sh checked on its own.
# sigabrt_class.py names the thread that took the signal and, with
# --raced, forgives a run whose only differences are goroutines that ran
# on after the runtime printed them. Fixture: the traceback of a real
# sigstorm run (Go 1.20.14, SIGABRT by tgkill to an m running goroutine
# 33) in which goroutine 22, printed in a system call, left it, found no
# P and was queued runnable before the core was written.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
stderr=$top_srcdir/tests/fixtures/sigabrt-raced/stderr
class=$here/sigabrt_class.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME WANT(raced|not) DIFF-LINES...
n=0
expect() {
	local name=$1 want=$2 got=not
	shift 2
	n=$((n + 1))
	printf '%s\n' "$@" >"$tmp/diff"
	python3 "$class" --raced "$stderr" "$tmp/diff" && got=raced
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name: $want"
	else
		echo "not ok $n - $name: $got, want $want"
	fi
}

echo "1..9"
got=$(python3 "$class" "$stderr")
n=1
if [ "$got" = "g:running tgkill" ]; then
	echo "ok 1 - the signal's thread: $got"
else
	echo "not ok 1 - the signal's thread: '$got', want 'g:running tgkill'"
fi
expect "printed in a syscall, runnable in the core" raced \
	"goroutine 22: status: runtime 'syscall', analysis 'runnable'"
expect "printed runnable, then ran and parked" raced \
	"goroutine 23: status: runtime 'runnable', analysis 'chan receive'"
expect "one that ran on readied a waiting one" raced \
	"goroutine 22: status: runtime 'syscall', analysis 'runnable'" \
	"goroutine 25: status: runtime 'chan receive', analysis 'runnable'"
expect "a waiting one runnable, nothing ran on" not \
	"goroutine 25: status: runtime 'chan receive', analysis 'runnable'"
expect "a waiting one changed otherwise" not \
	"goroutine 25: status: runtime 'chan receive', analysis 'running'"
expect "the crashed goroutine differs" not \
	"goroutine 33: status: runtime 'running', analysis 'runnable'"
expect "the signal differs" not \
	"goroutine 22: status: runtime 'syscall', analysis 'runnable'" \
	"signal: runtime SIGABRT, analysis SIGSEGV"
expect "no difference at all" not ""
