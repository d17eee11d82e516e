#!/bin/bash
# A native frame inside a shared library that exists only in a container's
# mount namespace: a C program linked against a tiny libcwlibtest.so whose
# function crashes, both only inside the container's root (/opt/lib is not
# on the host), libc and the loader hard links of the host's (the same
# files: nothing to keep). The real core (kernel.core_pattern=core,
# unchanged) goes to the real collector as the kernel feeds it, while the
# same program waits in the container as the held process; crashwatchd
# analyses it in its sandbox with the library the collector kept. Controls:
# the same crash without the kept library (its record edited) and
# `crashwatch analyze` without --library do not name the function.
# After ingest, `crashwatch info` (text, --json, the query socket) names
# the kept library, and `crashwatch debug -D gdb` opens the core with it
# through a private sysroot (gdb without it: the library is not found).
. "$top_srcdir/tests/integration/daemon-lib.sh"
echo "1..32"
. "$top_srcdir/tests/integration/container-lib.sh"
skip_all() { for i in $(seq 32); do skip "container library step $i" "$1"; done; exit 0; }
find_go || skip_all "no Go toolchain (container-lib.sh builds its Go program)"
ctr_setup || skip_all "$CTR_SKIP"
trap 'ctr_cleanup; cleanup' EXIT
command -v cc >/dev/null || skip_all "no C compiler"

# The library and the program (the program replaces container-lib.sh's
# Go app: ctr-init runs "/app crash" once, then "/app wait").
mkdir -p "$TMP/lib"
cat > "$TMP/lib/lib.c" <<'CEOF'
__attribute__((noinline)) int cw_lib_crash_here(int v)
{
	volatile int *p = (volatile int *)0;
	*p = v;
	return v + 1;
}
CEOF
cat > "$TMP/lib/app.c" <<'CEOF'
#include <string.h>
#include <unistd.h>
int cw_lib_crash_here(int v);
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "wait") == 0)
		for (;;)
			pause();
	return cw_lib_crash_here(argc);
}
CEOF
cc -g -O0 -fPIC -shared -Wl,--build-id -o "$TMP/lib/libcwlibtest.so" "$TMP/lib/lib.c" &&
	cc -g -O0 -Wl,--build-id -o "$TMP/ref/app" "$TMP/lib/app.c" -L"$TMP/lib" -lcwlibtest -Wl,-rpath,/opt/lib ||
	skip_all "cannot build the library and the program"
LIB_ID=$(readelf -n "$TMP/lib/libcwlibtest.so" | awk '/Build ID:/ { print $3 }')

# The container's root: the library only there; the loader and libc the
# host's files (hard links: the same device and inode), at the paths the
# program's loader uses inside.
root="$TMP/c1/root"
mkdir -p "$root/opt/lib" "$root/lib64" "$root/lib/x86_64-linux-gnu"
cp "$TMP/lib/libcwlibtest.so" "$root/opt/lib/"
host_ld=$(readlink -f /lib64/ld-linux-x86-64.so.2)
host_libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
linked=yes
for f in "$host_ld:$root/lib64/ld-linux-x86-64.so.2" "$host_libc:$root/lib/x86_64-linux-gnu/libc.so.6"; do
	ln "${f%%:*}" "${f#*:}" 2>/dev/null || { linked=no; cp "${f%%:*}" "${f#*:}"; }
done
[ -e /opt/lib/libcwlibtest.so ] && skip_all "/opt/lib/libcwlibtest.so exists on this host"

write_config <<CONF
[Analyze]
MemoryMax=infinity
CONF

make_cgroup "$V2" "crashwatch-test-libs-$$.scope" || skip_all "cannot create cgroups under $V2"
run_container c1 "$CG" dir "" || skip_all "the container did not start or left no core: $(head -c 300 "$TMP/c1.log")"
[ "$(readlink /proc/$HELD/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] || skip_all "the container has our mount namespace"

meta_of() { ls "$SPOOL"/*.meta 2>/dev/null | head -n 1; }
field() { jq -r "$1" "$(meta_of)"; }
functions() { jq -r '.. | objects | select(has("function")) | .function' "$@" 2>/dev/null; }
names_fn() { functions "$@" | grep -qx cw_lib_crash_here; }

# 1-4: the record, the kept copy. The daemon is not running yet.
collect_held ""
check "the collector recorded the container's crash with its core" test "$(field .core.stored)" = true
check "the record lists the container's library, path in the container and build id" \
	test "$(field '[.libraries[] | .path + " " + .build_id] | join(",")')" = "/opt/lib/libcwlibtest.so $LIB_ID"
copy=$(field '.libraries[0].copy')
kept_is_lib() { [ "$copy" = "executables/$LIB_ID" ] && cmp -s "$STORE/$copy" "$TMP/lib/libcwlibtest.so"; }
check "the kept copy, under executables/BUILDID, is the library the process mapped" kept_is_lib
if [ "$linked" = yes ]; then
	check "libc and the loader (the host's very files) are not kept" \
		test "$(field '.libraries | length')" = 1 -a "$(field .libraries_truncated)" = false
else
	skip "libc and the loader (the host's very files) are not kept" "no hard links of the host's libc here"
fi
exe_copy="$STORE/$(field .executable_copy)"
zstd -q -d -c "$(ls "$SPOOL"/*.core.zst | head -n 1)" > "$TMP/c1/core.out"

# 5-7: the control first: the same crash with its record naming no
# library (edited while the daemon is stopped).
m=$(meta_of)
jq 'del(.libraries)' "$m" > "$TMP/meta.edit" && cat "$TMP/meta.edit" > "$m"
check "daemon starts" start_daemon
check "the crash without its kept library: stored" wait_for_crashes 1
"$CLI" info --json > "$TMP/info-nolib.json" 2>/dev/null
echo "# native functions without the library: $(functions "$TMP/info-nolib.json" | head -n 6 | tr '\n' ' ')"
if names_fn "$TMP/info-nolib.json"; then
	not_ok "without the kept library the function is not named (the host has no such file)" "named anyway"
elif [ -z "$(functions "$TMP/info-nolib.json")" ]; then
	not_ok "without the kept library the function is not named (the host has no such file)" "no native frames at all"
else
	ok "without the kept library the function is not named (the host has no such file)"
fi

# 8-10: the crash as the collector recorded it, analysed by crashwatchd
# with its kept library.
collect_held ""
check "the crash with its kept library: stored" wait_for_crashes 2
"$CLI" info --json > "$TMP/info-lib.json" 2>/dev/null
echo "# native functions with it: $(functions "$TMP/info-lib.json" | head -n 6 | tr '\n' ' ')"
check "crashwatchd's analysis names the library's function in the native frames" names_fn "$TMP/info-lib.json"
check "that frame is in the module libcwlibtest.so" test "$(jq -r '[.. | objects |
	select(.function? == "cw_lib_crash_here") | .module] | first' "$TMP/info-lib.json")" = libcwlibtest.so

# 11-19: the kept library after ingest: info (text, --json, the query
# socket: the daemon's own JSON), and gdb through debug's sysroot.
lib_json='[.libraries[] | .path + " " + .build_id + " " + .copy] | join(",")'
check "info --json names the kept library: path in the container, build id, copy" \
	test "$(jq -r "$lib_json" "$TMP/info-lib.json")/$(jq -r .libraries_truncated "$TMP/info-lib.json")" = \
	"/opt/lib/libcwlibtest.so $LIB_ID $STORE/executables/$LIB_ID/false"
check "the crash without its kept library has no \"libraries\"" \
	test "$(jq -r 'has("libraries")' "$TMP/info-nolib.json")" = false
q=$(rawq 0 '{"verb":"info","filter":{"newest":1}}')
check "the query socket's info answer carries the libraries too" \
	test "$(echo "$q" | jq -r ".crashes[0] | $lib_json")" = "/opt/lib/libcwlibtest.so $LIB_ID $STORE/executables/$LIB_ID"
"$CLI" info --no-pager > "$TMP/info-lib.txt" 2>&1
check "info lists the kept library with its short build id and its copy" \
	grep -qF "/opt/lib/libcwlibtest.so (build id ${LIB_ID:0:12}, copy kept)" "$TMP/info-lib.txt"
grep -F -A2 "Libraries:" "$TMP/info-lib.txt" | sed 's/^/# /'
if command -v gdb >/dev/null; then
	printf 'info sharedlibrary\nbt\n' > "$TMP/gdb.cmds"
	mkdir -p "$TMP/dbg"
	TMPDIR="$TMP/dbg" "$CLI" debug -D gdb -A "-nx -batch -x $TMP/gdb.cmds" > "$TMP/gdb-lib.out" 2>&1
	sed -n '/Supplying/p; /^0x/p; /^#[0-9]/p' "$TMP/gdb-lib.out" | head -n 10 | sed 's/^/# /'
	check "debug says how many container libraries it supplied" grep -q "^Supplying 1 of 1 kept container libraries" "$TMP/gdb-lib.out"
	check "gdb loaded the container's library from the sysroot, with symbols" \
		grep -Eq "Yes( \(\*\))? +$TMP/dbg/crashwatch-sysroot-[A-Za-z0-9]+/opt/lib/libcwlibtest.so" "$TMP/gdb-lib.out"
	check "gdb's backtrace names the library's function" grep -Eq "^#0 .*cw_lib_crash_here" "$TMP/gdb-lib.out"
	check "the sysroot is removed when gdb exits" test -z "$(ls -A "$TMP/dbg")"
	# the control: gdb on the same core with the host's files
	gdb -nx -batch -x "$TMP/gdb.cmds" "$exe_copy" "$TMP/c1/core.out" > "$TMP/gdb-host.out" 2>&1
	check "gdb without the sysroot does not find the library (the host has none)" \
		test "$(grep -c 'Yes.*libcwlibtest' "$TMP/gdb-host.out")" = 0
else
	for i in 1 2 3 4 5; do skip "debug -D gdb with the container's library $i" "no gdb"; done
fi

# 20-22: crashwatch analyze, with and without --library.
"$CLI" analyze --json --library "$STORE/$copy" "$exe_copy" "$TMP/c1/core.out" > "$TMP/a-lib.json" 2>"$TMP/a-lib.err"
check "crashwatch analyze --library names the function" names_fn "$TMP/a-lib.json"
"$CLI" analyze --json "$exe_copy" "$TMP/c1/core.out" > "$TMP/a-nolib.json" 2>/dev/null
check "crashwatch analyze without --library does not" test -n "$(functions "$TMP/a-nolib.json")" -a \
	"$(functions "$TMP/a-nolib.json" | grep -cx cw_lib_crash_here)" = 0
# a library whose build id is not in the core is not used
"$CLI" analyze --json --library "$exe_copy" "$exe_copy" "$TMP/c1/core.out" > "$TMP/a-other.json" 2>/dev/null
check "crashwatch analyze --library with another file does not name it" test -n "$(functions "$TMP/a-other.json")" -a \
	"$(functions "$TMP/a-other.json" | grep -cx cw_lib_crash_here)" = 0
kill -9 "$HELD" 2>/dev/null

# 23-27: worse, the host has another file at the library's path (the same
# name, another build): it is kept all the same, and the analysis names
# the container's function, never the host file's.
same="$TMP/samepath"
mkdir -p "$same" "$TMP/c2/root$same"
sed 's/cw_lib_crash_here/cw_lib_impostor/' "$TMP/lib/lib.c" > "$TMP/lib/impostor.c"
cc -g -O0 -fPIC -shared -Wl,--build-id -Wl,-soname,libcwlibtest.so -o "$same/libcwlibtest.so" "$TMP/lib/impostor.c" &&
	cc -g -O0 -Wl,--build-id -o "$TMP/ref/app" "$TMP/lib/app.c" -L"$TMP/lib" -lcwlibtest -Wl,-rpath,"$same" ||
	skip_all "cannot build the second program"
cp "$TMP/lib/libcwlibtest.so" "$TMP/c2/root$same/"
mkdir -p "$TMP/c2/root/lib64" "$TMP/c2/root/lib/x86_64-linux-gnu"
cp "$host_ld" "$TMP/c2/root/lib64/ld-linux-x86-64.so.2"
cp "$host_libc" "$TMP/c2/root/lib/x86_64-linux-gnu/libc.so.6"
if run_container c2 "$CG" dir ""; then
	collect_held ""
	check "another file at the path on the host: the container's library kept all the same" \
		test -f "$STORE/executables/$LIB_ID"
	check "the third crash: stored" wait_for_crashes 3
	"$CLI" info --json > "$TMP/info-same.json" 2>/dev/null
	echo "# native functions: $(functions "$TMP/info-same.json" | head -n 6 | tr '\n' ' ')"
	check "crashwatchd's analysis names the container's function" names_fn "$TMP/info-same.json"
	check "and never the host file's" test "$(functions "$TMP/info-same.json" | grep -c impostor)" = 0
	"$CLI" analyze --json "$TMP/c2/root/app" "$TMP/c2/core" > "$TMP/a-same.json" 2>/dev/null
	echo "# without --library: $(functions "$TMP/a-same.json" | head -n 6 | tr '\n' ' ')"
	check "without the kept library the host's file is not taken for it (build ids differ)" \
		test -n "$(functions "$TMP/a-same.json")" -a "$(functions "$TMP/a-same.json" | grep -c 'impostor\|cw_lib_crash_here')" = 0
else
	for i in 1 2 3 4 5; do not_ok "the second container $i" "it did not start or left no core"; done
fi
kill -9 "$HELD" 2>/dev/null
# 28-31: a cgo program calling into the container's library: the crashed
# thread's native frames (below the runtime's signal frames) name it.
mkdir -p "$TMP/cgo" "$TMP/c3/root/opt/lib" "$TMP/c3/root/lib64" "$TMP/c3/root/lib/x86_64-linux-gnu"
cat > "$TMP/cgo/main.go" <<'GOEOF'
package main

// int cw_lib_crash_here(int v);
import "C"

import (
	"os"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		for {
			time.Sleep(time.Hour)
		}
	}
	C.cw_lib_crash_here(1)
}
GOEOF
printf 'module cgoapp\n\ngo 1.21\n' > "$TMP/cgo/go.mod"
cp "$TMP/lib/libcwlibtest.so" "$TMP/c3/root/opt/lib/"
for f in "$host_ld:$TMP/c3/root/lib64/ld-linux-x86-64.so.2" "$host_libc:$TMP/c3/root/lib/x86_64-linux-gnu/libc.so.6"; do
	ln "${f%%:*}" "${f#*:}" 2>/dev/null || cp "${f%%:*}" "${f#*:}"
done
if (cd "$TMP/cgo" && CGO_ENABLED=1 CGO_LDFLAGS="-L$TMP/lib -lcwlibtest -Wl,-rpath,/opt/lib" GOTOOLCHAIN=local \
	GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-$HOME/.cache/go-build}" "$GO" build -o "$TMP/ref/app" .) >"$TMP/cgo.log" 2>&1 &&
	run_container c3 "$CG" dir ""; then
	collect_held ""
	check "cgo: the third container's crash stored" wait_for_crashes 4
	"$CLI" info --json > "$TMP/info-cgo.json" 2>/dev/null
	echo "# cgo native functions: $(functions "$TMP/info-cgo.json" | grep -v '^runtime\.' | head -n 8 | tr '\n' ' ')"
	check "cgo: analysed as Go" test "$(jq -r '.. | objects | .go? | objects | .version // empty' "$TMP/info-cgo.json" | head -n 1 | cut -c1-4)" = go1.
	check "cgo: crashwatchd's analysis names the library's function" names_fn "$TMP/info-cgo.json"
	"$CLI" analyze --json "$TMP/c3/root/app" "$TMP/c3/core" > "$TMP/a-cgo.json" 2>/dev/null
	check "cgo: without the kept library it is not named" test -n "$(functions "$TMP/a-cgo.json")" -a \
		"$(functions "$TMP/a-cgo.json" | grep -cx cw_lib_crash_here)" = 0
else
	for i in 1 2 3 4; do not_ok "cgo container $i" "$(head -c 200 "$TMP/cgo.log" "$TMP/c3.log" 2>/dev/null | tr '\n' ' ')"; done
fi
kill -9 "$HELD" 2>/dev/null
# 32: the collector, crashwatchd, crashwatch-analyze and the CLI (sanitizer builds)
check_sanitizer_reports
exit 0
