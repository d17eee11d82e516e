#!/bin/sh
# The main job (README): installs the dependencies, builds crashwatch,
# crashes a small Go program (examples/crashy) with GOTRACEBACK=crash so
# the kernel writes its core, and analyses that core.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup-deps.sh
[ -x configure ] || autoreconf -fi
mkdir -p build && cd build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" >/dev/null
cd "$top"
go=$(scripts/go-toolchain.sh 1.26)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd examples/crashy && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -o "$work/crashy" .)
echo "== running examples/crashy (it crashes on purpose)"
(cd "$work" && ulimit -c unlimited && GOTRACEBACK=crash ./crashy 2>runtime.txt) || true
if [ ! -s "$work/core" ]; then
	echo "demo: no core was written in $work; check 'ulimit -c' and kernel.core_pattern (it must be 'core' for this demo)" >&2
	exit 1
fi
echo "== the runtime printed (first lines):"
head -5 "$work/runtime.txt"
echo "== crashwatch analyze $work/crashy $work/core"
build/crashwatch analyze "$work/crashy" "$work/core"
