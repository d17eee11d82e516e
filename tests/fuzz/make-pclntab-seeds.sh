#!/bin/sh
# make-pclntab-seeds.sh BINARY... OUTDIR: writes a fuzz-pclntab seed per Go
# binary: u32 LE length of .gopclntab, its bytes, then go:func.* to the
# end of its section (the inline trees), as the harness expects.
set -eu
out=$(eval echo "\${$#}")
mkdir -p "$out"
while [ $# -gt 1 ]; do
	bin=$1; shift
	tmp=$(mktemp -d)
	objcopy -O binary --only-section=.gopclntab "$bin" "$tmp/pcln"
	# go:func.* lives in .rodata from the symbol to the section end
	python3 - "$bin" "$tmp/pcln" "$out/$(basename "$bin").seed" <<'PY'
import struct, subprocess, sys
binp, pcln, outp = sys.argv[1:4]
syms = subprocess.run(["nm", binp], capture_output=True, text=True).stdout.split("\n")
gofunc = next((int(l.split()[0], 16) for l in syms if l.endswith(" go:func.*") or l.endswith(" go.func.*")), None)
secs = subprocess.run(["readelf", "-SW", binp], capture_output=True, text=True).stdout
tail = b""
data = open(binp, "rb").read()
for l in secs.split("\n"):
    f = l.replace("[ ", "[").split()
    if gofunc and len(f) > 6 and f[1].startswith(".") and f[2] == "PROGBITS":
        addr, off, size = int(f[3], 16), int(f[4], 16), int(f[5], 16)
        if addr <= gofunc < addr + size:
            tail = data[off + gofunc - addr: off + size]
p = open(pcln, "rb").read()
open(outp, "wb").write(struct.pack("<I", len(p)) + p + tail)
PY
	rm -rf "$tmp"
done
