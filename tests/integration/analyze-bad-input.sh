#!/bin/bash
# analyze-bad-input.sh: `crashwatch analyze` on bad input never crashes,
# never hangs (30 s) and fails with a one-line error naming the file:
# missing, empty, garbage and truncated files, a corrupted Go core, files
# of the wrong kind, a directory, a FIFO and a character device (refused
# at once, never waited on, with the kind named); an executable that is not
# ELF (the error says what it is); a core of a C program still gives threads
# and the signal; a mismatched executable gives a warning (and exit code 7
# with --strict, common/exit_codes.h). A crash is an exit status >= 128 or a
# sanitizer report. TAP. Uses the fixtures (tests/fixtures/go*) and gcc.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
crashwatch=$top_builddir/crashwatch
fx=$top_srcdir/tests/fixtures

EXIT_FAILURE=1
EXIT_NOTFOUND=4
EXIT_MISMATCH=7

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
fail() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }

# run_cw ARGS...: runs crashwatch analyze; sets st, and leaves stdout in
# $tmp/out and stderr in $tmp/err.
run_cw() {
	st=0
	timeout 30 "$crashwatch" analyze "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || st=$?
}

# crashed: non-empty (a reason) if the last run crashed or hung.
crashed() {
	if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
		echo "timed out (30 s)"
	elif [ "$st" -ge 128 ]; then
		echo "killed by signal $((st - 128))"
	elif grep -q -e 'Sanitizer' -e 'runtime error:' -e 'LeakSanitizer' "$tmp/err"; then
		echo "sanitizer report: $(grep -m1 -e Sanitizer -e 'runtime error:' "$tmp/err")"
	fi
}

# expect_error NAME FILE [EXIT]: the last run failed cleanly with one line
# on stderr that names FILE (and with exit status EXIT when given).
expect_error() {
	local name=$1 file=$2 want=${3:-} why
	why=$(crashed)
	if [ -n "$why" ]; then
		fail "$name" "$why" "$(head -c 300 "$tmp/err")"
	elif [ "$st" -eq 0 ]; then
		fail "$name" "exit status 0, an error was expected"
	elif [ -n "$want" ] && [ "$st" -ne "$want" ]; then
		fail "$name" "exit status $st, expected $want" "$(head -n 3 "$tmp/err")"
	elif [ "$(grep -c . "$tmp/err")" -ne 1 ]; then
		fail "$name" "expected one line on stderr, got $(grep -c . "$tmp/err"):" \
			"$(head -n 5 "$tmp/err")"
	elif ! grep -qF -- "$file" "$tmp/err"; then
		fail "$name" "the error does not name $file: $(cat "$tmp/err")"
	else
		pass "$name (exit $st: $(cat "$tmp/err"))"
	fi
}

# expect_no_crash NAME FILE: the last run either succeeded with a JSON
# object on stdout or failed cleanly with one line naming FILE.
expect_no_crash() {
	local name=$1 file=$2 why
	why=$(crashed)
	if [ -n "$why" ]; then
		fail "$name" "$why" "$(head -c 300 "$tmp/err")"
	elif [ "$st" -eq 0 ]; then
		if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d, dict) and d.get("schema") == "crashwatch.analysis.v1" else 1)' "$tmp/out" 2>/dev/null; then
			pass "$name (analysed)"
		else
			fail "$name" "exit status 0 without a crashwatch.analysis.v1 JSON object"
		fi
	elif [ "$(grep -c . "$tmp/err")" -ne 1 ] || ! grep -qF -- "$file" "$tmp/err"; then
		fail "$name" "exit $st, expected one line on stderr naming $file:" "$(head -n 5 "$tmp/err")"
	else
		pass "$name (exit $st)"
	fi
}

go_fx=$fx/go1.26-plain-repanic
other_fx=$fx/go1.22.12-pie-stripped-nil-map
echo "1..40"
if [ ! -x "$crashwatch" ]; then
	for i in $(seq 1 35); do echo "not ok $i - $crashwatch not built"; done
	exit 0
fi
if ! zstd -q -d "$go_fx/core.zst" -o "$tmp/go.core" || ! zstd -q -d "$go_fx/crasher.zst" -o "$tmp/go.bin" ||
	! zstd -q -d "$other_fx/crasher.zst" -o "$tmp/other.bin"; then
	for i in $(seq 1 35); do echo "not ok $i - cannot decompress the fixtures"; done
	exit 0
fi
chmod +x "$tmp/go.bin" "$tmp/other.bin"
core=$tmp/go.core
bin=$tmp/go.bin

# 1-2: missing files
run_cw --json "$bin" "$tmp/no-such-core"
expect_error "missing core" "$tmp/no-such-core" $EXIT_NOTFOUND
run_cw --json "$tmp/no-such-binary" "$core"
expect_error "missing binary" "$tmp/no-such-binary" $EXIT_NOTFOUND

# 3-4: empty files
: >"$tmp/empty"
run_cw --json "$bin" "$tmp/empty"
expect_error "empty core" "$tmp/empty"
run_cw --json "$tmp/empty" "$core"
expect_no_crash "empty binary" "$tmp/empty"

# 5-6: garbage (deterministic pseudo-random bytes)
python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(1 << 16)))' >"$tmp/garbage"
run_cw --json "$bin" "$tmp/garbage"
expect_error "garbage core" "$tmp/garbage"
run_cw --json "$tmp/garbage" "$core"
expect_no_crash "garbage binary" "$tmp/garbage"

# 7: an ELF core header followed by garbage
{ head -c 64 "$core"; cat "$tmp/garbage"; } >"$tmp/elfgarbage"
run_cw --json "$bin" "$tmp/elfgarbage"
expect_no_crash "ELF header then garbage as core" "$tmp/elfgarbage"

# 8-9: files of the wrong kind
run_cw --json "$bin" "$bin"
expect_error "an executable as the core" "$bin"
run_cw --json "$bin" "$tmp"
expect_error "a directory as the core" "$tmp"

# 10-14: files that are not regular: refused with what they are, exit 1
# (unreadable input), and a FIFO without a writer is never waited on
mkfifo "$tmp/fifo"
# expect_kind KIND NAME FILE: like expect_error with exit 1, and the error
# says what FILE is ("is a FIFO").
expect_kind() {
	local kind=$1 name=$2 file=$3
	if [ -z "$(crashed)" ] && [ "$st" -ne 0 ] && ! grep -qF -- "$file: is $kind" "$tmp/err"; then
		fail "$name" "the error does not say \"$file: is $kind\": $(cat "$tmp/err")"
	else
		expect_error "$name" "$file" $EXIT_FAILURE
	fi
}
run_cw --json "$bin" "$tmp/fifo"
expect_kind "a FIFO" "a FIFO as the core" "$tmp/fifo"
run_cw --json "$tmp/fifo" "$core"
expect_kind "a FIFO" "a FIFO as the binary" "$tmp/fifo"
run_cw --json "$bin" /dev/null
expect_kind "a character device" "/dev/null as the core" /dev/null
run_cw --json /dev/zero "$core"
expect_kind "a character device" "/dev/zero as the binary" /dev/zero
run_cw --json "$tmp" "$core"
expect_kind "a directory" "a directory as the binary" "$tmp"

# 15-19: an executable that is not an ELF file: the error says what it is
expect_text() { # expect_text NAME FILE TEXT
	if [ -z "$(crashed)" ] && ! grep -qF -- "$2: $3" "$tmp/err"; then
		fail "$1" "expected \"$2: $3\", got: $(head -c 300 "$tmp/err")"
	else
		expect_error "$1" "$2"
	fi
}
printf 'hello\n' >"$tmp/text"
printf '#!/bin/sh\nexit 0\n' >"$tmp/script"
run_cw --json "$tmp/text" "$core"
expect_text "a text file as the executable" "$tmp/text" "is a text file"
run_cw --json /dev/zero "$core"
expect_text "/dev/zero as the executable" /dev/zero "is a character device"
run_cw --json "$tmp" "$core"
expect_text "a directory as the executable" "$tmp" "is a directory"
run_cw --json "$tmp/script" "$core"
expect_text "a script as the executable" "$tmp/script" "is a script (#!/bin/sh)"
run_cw --json "$go_fx/crasher.zst" "$core"
expect_text "a compressed executable" "$go_fx/crasher.zst" "is zstd-compressed data"

# 20-29: truncated Go cores (header, program headers, notes, data)
size=$(stat -c %s "$core")
for cut in 1 16 63 64 120 1000 4096 65536 $((size / 2)) $((size - 4096)); do
	head -c "$cut" "$core" >"$tmp/trunc"
	run_cw --json "$bin" "$tmp/trunc"
	if [ "$cut" -le 64 ]; then
		expect_error "core truncated to $cut bytes" "$tmp/trunc"
	else
		expect_no_crash "core truncated to $cut bytes" "$tmp/trunc"
	fi
done

# 30-34: corrupted Go cores: random bytes flipped in the headers and notes
# (first 64 KiB) and anywhere
for seed in 1 2 3 4 5; do
	cp --sparse=always "$core" "$tmp/flipped"
	python3 - "$tmp/flipped" "$seed" <<'EOF'
import os, random, sys
path, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
size = os.path.getsize(path)
with open(path, 'r+b') as f:
    for i in range(400):
        pos = r.randrange(64, min(size, 1 << 16)) if i % 2 == 0 else r.randrange(64, size)
        f.seek(pos)
        f.write(bytes([r.getrandbits(8)]))
EOF
	run_cw --json "$bin" "$tmp/flipped"
	expect_no_crash "Go core with 400 corrupted bytes (seed $seed)" "$tmp/flipped"
done

# 35-36: a mismatched executable: a warning, exit 0; with --strict exit 7
run_cw --json "$tmp/other.bin" "$core"
why=$(crashed)
if [ -n "$why" ]; then
	fail "mismatched binary" "$why"
elif [ "$st" -ne 0 ] || ! grep -q 'does not match' "$tmp/err"; then
	fail "mismatched binary: exit 0 and a warning" "exit $st" "$(head -n 3 "$tmp/err")"
else
	pass "mismatched binary: exit 0 and a warning ($(grep -m1 'does not match' "$tmp/err"))"
fi
run_cw --json --strict "$tmp/other.bin" "$core"
if [ -n "$(crashed)" ] || [ "$st" -ne $EXIT_MISMATCH ]; then
	fail "mismatched binary with --strict: exit $EXIT_MISMATCH" "exit $st $(crashed)"
else
	pass "mismatched binary with --strict: exit $EXIT_MISMATCH"
fi

# 37-40: a core of a C program: threads and the signal, no Go
cat >"$tmp/cprog.c" <<'EOF'
#include <pthread.h>
#include <unistd.h>
static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }
__attribute__((noinline)) static int deref(volatile int *p) { return *p; }
int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, idle, NULL);
	usleep(20000);
	return deref((volatile int *)0);
}
EOF
if ! gcc -g -O0 -pthread -o "$tmp/cprog" "$tmp/cprog.c" 2>"$tmp/gcc.err"; then
	for i in 32 33 34 35; do fail "C program core # gcc failed: $(head -n1 "$tmp/gcc.err")"; done
	exit 0
fi
(cd "$tmp" && ulimit -c unlimited && rm -f core && sh -c './cprog' 2>/dev/null) || true
if [ ! -f "$tmp/core" ]; then
	for i in 32 33 34 35; do fail "C program core # no core was written"; done
	exit 0
fi
check_c() {
	python3 - "$tmp/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
if d.get('go') is not None:
    bad.append('go is not null: %r' % (d.get('go'),))
sig = d.get('signal') or {}
if sig.get('number') != 11 or sig.get('name') != 'SIGSEGV':
    bad.append('signal %r, expected 11 SIGSEGV' % (sig,))
th = d.get('threads') or []
if len(th) != 2:
    bad.append('%d threads, expected 2' % len(th))
if sum(1 for t in th if t.get('crashed')) != 1:
    bad.append('%d crashed threads, expected 1' % sum(1 for t in th if t.get('crashed')))
if d.get('goroutines'):
    bad.append('goroutines in a C core')
print('; '.join(bad))
sys.exit(1 if bad else 0)
EOF
}
run_cw --json "$tmp/cprog" "$tmp/core"
why=$(crashed)
if [ -n "$why" ] || [ "$st" -ne 0 ]; then
	fail "C program core with its binary: exit 0" "exit $st $why" "$(head -n 3 "$tmp/err")"
	fail "C program core with its binary: threads and signal" "not analysed"
else
	pass "C program core with its binary: exit 0"
	if r=$(check_c); then pass "C program core with its binary: 2 threads, SIGSEGV, no Go"
	else fail "C program core with its binary: threads and signal" "$r"; fi
fi
run_cw --json "$tmp/core"
why=$(crashed)
if [ -n "$why" ] || [ "$st" -ne 0 ]; then
	fail "C program core without a binary: exit 0" "exit $st $why" "$(head -n 3 "$tmp/err")"
	fail "C program core without a binary: threads and signal" "not analysed"
else
	pass "C program core without a binary: exit 0"
	if r=$(check_c); then pass "C program core without a binary: 2 threads, SIGSEGV, no Go"
	else fail "C program core without a binary: threads and signal" "$r"; fi
fi
