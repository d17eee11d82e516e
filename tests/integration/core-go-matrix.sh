#!/bin/sh
# core-go-matrix.sh: the core, executable and memory readers against every
# Go release of the matrix (scripts/go-toolchain.sh --minors), on
# tests/go/coreprobe built plain, PIE and stripped (-s -w), each crashed
# with GOTRACEBACK=crash into a core. For each: the core's threads and
# signal (SIGABRT), the Go build id (= go tool buildid), the build info
# (= go env GOVERSION, go version -m), runtime.buildVersion read through
# process memory (header from the core, bytes from the executable), the
# load bias (AT_ENTRY and the NT_FILE mapping agree), symtab and DWARF
# (libdw opens Go's compressed sections), the build id in the
# core's copy of the first page, g through the TLS slot, native unwinding.
# CW_GO_VERSIONS restricts the matrix (e.g. "1.22.12 1.26").
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
inspect=$top_builddir/tests/integration/core-inspect
src=$top_srcdir/tests/go/coreprobe
versions=${CW_GO_VERSIONS:-$("$top_srcdir/scripts/go-toolchain.sh" --minors)}
variants="plain pie stripped"
work=$(mktemp -d "${TMPDIR:-/tmp}/cw-core-matrix.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
n=0
fail=0
plan=0
for v in $versions; do for var in $variants; do plan=$((plan + 1)); done; done
echo "1..$plan"

# value of key in file $out
get() { sed -n "s/^$1=//p" "$out" | head -1; }

check() { # gobin variant exe core -> prints the failures, empty when all good
	gobin=$1; var=$2; exe=$3; core=$4; out=$work/inspect.txt
	"$inspect" "$exe" "$core" >"$out" 2>&1 || { echo "core-inspect failed: $(head -3 "$out" | tr '\n' ' ')"; return; }
	gover=$(GOTOOLCHAIN=local "$gobin" env GOVERSION)
	[ "$(get threads)" -ge 2 ] 2>/dev/null || echo "threads=$(get threads)"
	[ "$(get cursig)" = 6 ] || echo "cursig=$(get cursig)"
	[ "$(get signo)" = 6 ] || echo "signo=$(get signo)"
	[ "$(get fname)" = coreprobe ] || echo "fname=$(get fname)"
	[ "$(get truncated)" = 0 ] || echo "truncated"
	want=$(GOTOOLCHAIN=local "$gobin" tool buildid "$exe")
	[ "$(get go_build_id)" = "$want" ] || echo "go_build_id=$(get go_build_id) want $want"
	[ "$(get go_version)" = "$gover" ] || echo "go_version=$(get go_version) want $gover"
	[ "$(get path)" = example.com/coreprobe ] || echo "path=$(get path)"
	[ "$(get mod)" = example.com/coreprobe ] || echo "mod=$(get mod)"
	GOTOOLCHAIN=local "$gobin" version -m "$exe" | sed -n 's/^[[:space:]]*build[[:space:]]*//p' | grep -v '"' |
	while IFS= read -r kv; do
		grep -qxF "setting.$kv" "$out" || echo "missing setting $kv"
	done
	if [ "$var" != stripped ]; then
		[ "$(get mem_build_version)" = "$gover" ] || echo "mem_build_version=$(get mem_build_version)"
		[ "$(get symtab)" = 1 ] || echo "no symtab"
		[ "$(get dwarf)" = 1 ] || echo "no DWARF"
	else
		[ "$(get symtab)" = 0 ] || echo "symtab in a stripped binary"
		[ "$(get dwarf)" = 0 ] || echo "DWARF in a stripped binary"
	fi
	case "$(get bias)" in error*) echo "bias $(get bias)";; esac
	if [ "$var" = pie ]; then
		[ "$(get pie)" = 1 ] || echo "not PIE"
		[ "$(get bias)" != 0x0 ] || echo "PIE with bias 0"
	else
		[ "$(get bias)" = 0x0 ] || echo "bias=$(get bias) for ET_EXEC"
	fi
	[ "$(get mapping_bias)" = "$(get bias)" ] || echo "mapping_bias=$(get mapping_bias) bias=$(get bias)"
	gnu=$(get gnu_build_id)
	[ -z "$gnu" ] || [ "$(get core_build_id)" = "$gnu" ] || echo "core_build_id=$(get core_build_id) want $gnu"
	[ "$(get threads_with_tls_g)" -ge 1 ] 2>/dev/null || echo "no thread with g in TLS"
	[ "$(get native_threads)" = "$(get threads)" ] || echo "native_threads=$(get native_threads)"
}

for v in $versions; do
	gobin=$("$top_srcdir/scripts/go-toolchain.sh" "$v" 2>/dev/null) || gobin=
	for var in $variants; do
		n=$((n + 1))
		name="go$v/$var"
		if [ -z "$gobin" ]; then echo "ok $n - $name # SKIP toolchain $v unavailable"; continue; fi
		case $var in
		plain) set -- ;;
		pie) set -- -buildmode=pie ;;
		stripped) set -- "-ldflags=-s -w" ;;
		esac
		dir=$work/$v-$var
		mkdir -p "$dir"
		if ! (cd "$src" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0 "$gobin" build "$@" -o "$dir/coreprobe" .) >"$dir/build.log" 2>&1; then
			fail=1; echo "not ok $n - $name # build failed: $(tail -1 "$dir/build.log")"; continue
		fi
		{ (cd "$dir" && ulimit -c unlimited && GOTRACEBACK=crash exec ./coreprobe) >/dev/null 2>&1; } 2>/dev/null
		core=$dir/core
		[ -f "$core" ] || core=$(ls "$dir"/core.* 2>/dev/null | head -1)
		if [ -z "$core" ] || [ ! -f "$core" ]; then
			echo "ok $n - $name # SKIP no core written (ulimit or core_pattern)"; continue
		fi
		problems=$(check "$gobin" "$var" "$dir/coreprobe" "$core" | tr '\n' ';')
		if [ -z "$problems" ]; then echo "ok $n - $name"; else fail=1; echo "not ok $n - $name # $problems"; fi
		rm -f "$core"
	done
done
exit $fail
