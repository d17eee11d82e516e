#!/usr/bin/env python3
"""pclntab-synth-seed.py OUT [1.18|1.20]: writes a small fuzz-pclntab seed
(u32 LE table length, the table, go:func.* bytes) with three functions, a
generic name, two files, pcsp/pcfile/pcln tables and an inlined call, in
the layout of Go 1.18-1.19 (magic 0xfffffff0) or 1.20+ (0xfffffff1).
Small inputs let libFuzzer run thousands of executions a second, where the
real tables from make-pclntab-seeds.sh run tens."""
import struct
import sys

out = sys.argv[1]
old = len(sys.argv) > 2 and sys.argv[2] == "1.18"


def uvarint(v):
    b = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            b.append(c | 0x80)
        else:
            b.append(c)
            return bytes(b)


def pcvalue(steps):
    """steps: [(value, end_pc_offset)] from value -1 at the entry."""
    b, val, pc = bytearray(), -1, 0
    for v, end in steps:
        d = v - val
        b += uvarint((d << 1) ^ (d >> 31) if d >= 0 else ((-d - 1) << 1) | 1)
        b += uvarint(end - pc)
        val, pc = v, end
    return bytes(b + b"\0")


names = [b"main.a", b"main.b", b"main.c[go.shape.int]", b"main.inl"]
funcnametab, nameoff = b"", []
for n in names:
    nameoff.append(len(funcnametab))
    funcnametab += n + b"\0"
filetab = b"a.go\0b.go\0"
cutab = struct.pack("<II", 0, 5)
pctab = bytearray(b"\0")


def add(tab):
    off = len(pctab)
    pctab.extend(tab)
    return off


funcs = []  # (entryoff, size, nameoff, pcsp, pcfile, pcln, pcdata, funcdata)
for i, size in enumerate((0x20, 0x40, 0x30)):
    sp = add(pcvalue([(0, 4), (8, size - 1), (0, size)]))
    fl = add(pcvalue([(i % 2, size)]))
    ln = add(pcvalue([(10 + i, 8), (12 + i, 0x18), (11 + i, size)]))
    pcd, fd = [], []
    if i == 1:  # main.b: pcs 0x10..0x20 are main.inl inlined at parentPc 4
        pcd = [0, 0, add(pcvalue([(-1, 0x10), (0, 0x20), (-1, size)]))]
        fd = [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0]
    funcs.append((sum((0x20, 0x40, 0x30)[:i]), size, nameoff[i], sp, fl, ln, pcd, fd))

nfunc = len(funcs)
hdrsize = 8 + 8 * 8
func_hdr = 40 if old else 44
records, recoffs = b"", []
base = (nfunc + 1) * 8
for (entry, size, no, sp, fl, ln, pcd, fd) in funcs:
    recoffs.append(base + len(records))
    r = struct.pack("<IiiIIIIII", entry, no, 0, 0, sp, fl, ln, len(pcd), 0)
    if not old:
        r += struct.pack("<i", 10)
    r += bytes([0, 0, 0, len(fd)])
    r += b"".join(struct.pack("<I", x) for x in pcd + fd)
    records += r
functab = b"".join(struct.pack("<II", f[0], o) for f, o in zip(funcs, recoffs))
functab += struct.pack("<II", funcs[-1][0] + funcs[-1][1], 0)
pclntable = functab + records

offs, pos = [], hdrsize
for part in (funcnametab, cutab, filetab, bytes(pctab)):
    offs.append(pos)
    pos += len(part)
offs.append(pos)
magic = 0xFFFFFFF0 if old else 0xFFFFFFF1
hdr = struct.pack("<IBBBB", magic, 0, 0, 1, 8) + struct.pack("<8Q", nfunc, 2, 0x401000, *offs)
table = hdr + funcnametab + cutab + filetab + bytes(pctab) + pclntable
if old:  # parent, funcID, _, file, line, func_, parentPc
    gofunc = struct.pack("<hBBiiii", -1, 0, 0, 0, 3, nameoff[3], 4)
else:    # funcID, _[3], nameOff, parentPc, startLine
    gofunc = struct.pack("<B3xiii", 0, nameoff[3], 4, 3)
with open(out, "wb") as f:
    f.write(struct.pack("<I", len(table)) + table + gofunc)
