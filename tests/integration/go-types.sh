#!/bin/bash
# go-types.sh: Go type names decoded from real cores. For every Go release
# of the test matrix (CW_GO_VERSIONS to choose), builds tests/go/typenames
# (plain, and PIE for the newest release), runs it with GOTRACEBACK=crash
# so that it prints "typeaddr kind iserror reflect-name" for values of many
# kinds and leaves a core, then checks each line with gotypes-check
# (analyzer/go_types.c on the core). Builds and cores are cached under
# $top_builddir/tests/work/typenames. TAP output.
set -uo pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
check=$top_builddir/tests/integration/gotypes-check
toolchain=$top_srcdir/scripts/go-toolchain.sh
src=$top_srcdir/tests/go/typenames
work=${CW_TEST_WORK:-$top_builddir/tests/work}/typenames
releases=${CW_GO_VERSIONS:-$("$toolchain" --minors)}
newest=${releases##* }
hash=$(cat "$src"/* | sha256sum | cut -c1-16)

export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on GOWORK=off
unset GOROOT

runs=()
for rel in $releases; do
	runs+=("$rel plain")
	[ "$rel" = "$newest" ] && runs+=("$rel pie")
done
echo "1..${#runs[@]}"

n=0
for run in "${runs[@]}"; do
	n=$((n + 1))
	set -- $run
	rel=$1 variant=$2
	dir=$work/$rel-$variant
	name="go$rel $variant: type names, kinds and Error methods from the core"
	if ! gobin=$("$toolchain" "$rel" 2>/dev/null); then
		echo "ok $n - $name # SKIP toolchain go$rel unavailable"
		continue
	fi
	if [ "$(cat "$dir/hash" 2>/dev/null)" != "$hash" ] || [ ! -s "$dir/core" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		flags=()
		[ "$variant" = pie ] && flags=(-buildmode=pie)
		if ! (cd "$src" && "$gobin" build "${flags[@]}" -o "$dir/typenames" .) >"$dir/build.log" 2>&1; then
			echo "not ok $n - $name # build failed: $(head -c 300 "$dir/build.log" | tr '\n' ' ')"
			continue
		fi
		(cd "$dir" && ulimit -c unlimited && GOTRACEBACK=crash ./typenames >out.txt 2>err.txt) 2>/dev/null
		if [ ! -s "$dir/core" ] || [ ! -s "$dir/out.txt" ]; then
			echo "not ok $n - $name # no core dump (is kernel.core_pattern \"core\"?)"
			continue
		fi
		echo "$hash" >"$dir/hash"
	fi
	if diag=$("$check" "$dir/typenames" "$dir/core" <"$dir/out.txt" 2>&1); then
		echo "ok $n - $name ($(wc -l <"$dir/out.txt") types)"
	else
		echo "not ok $n - $name"
		echo "$diag" | head -20 | sed 's/^/# /'
	fi
done
