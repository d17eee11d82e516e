#!/usr/bin/env python3
"""check_crash.py STDERR ANALYSIS_JSON BINARY MODE: the crash itself in
`crashwatch analyze --json` (panics, fatal error, fault) against the Go
runtime's traceback (compare.py's rules), plus what the runtime does not
print: the panic value's type for the crasher's modes, and the faulting
instruction against objdump's disassembly of the same bytes. Prints one
line per difference; exit status 0 when there is none, 1 otherwise."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import traceback as tb  # noqa: E402  (ours)

# type of the last printed panic per crasher mode (None: not checked)
TYPES = {
    'panic-string': 'string', 'panic-named-int': 'main.statusCode',
    'panic-struct': 'main.incident', 'panic-pointer': '*main.incident',
    'index': 'runtime.boundsError', 'nil-deref': 'runtime.errorString',
    'goroutine-segv': 'runtime.errorString', 'divide': 'runtime.errorString',
    'nil-map': 'runtime.plainError', 'close-closed': 'runtime.plainError',
    'type-assert': '*runtime.TypeAssertionError',
    'type-assert-iface': '*runtime.TypeAssertionError',
    'panic-bad-utf8': 'string', 'panic-during-panic': 'main.label',
}


def norm_insn(text):
    """'mov rax,QWORD PTR [rcx+0x8]' and 'mov rax, qword ptr [rcx + 8]' alike."""
    t = re.sub(r'\s+', '', text.lower())
    return re.sub(r'0x([0-9a-f]+)', lambda m: str(int(m.group(1), 16)), t)


def is_pie(binary):
    with open(binary, 'rb') as f:
        hdr = f.read(18)
    return len(hdr) == 18 and int.from_bytes(hdr[16:18], 'little') == 3  # ET_DYN


def objdump_insn(binary, pc):
    out = subprocess.run(['objdump', '-d', '-M', 'intel', '--no-show-raw-insn',
                          '--start-address=%#x' % pc, '--stop-address=%#x' % (pc + 16), binary],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r'\s*([0-9a-f]+):\s+(.*)$', line)
        if m and int(m.group(1), 16) == pc:
            return re.sub(r'\s*(#|<).*$', '', m.group(2)).strip()
    return None


def main(argv):
    stderr, analysis, binary, mode = argv[1:5]
    with open(stderr, encoding='utf-8', errors=tb.DECODE_ERRORS) as f:
        rt = tb.parse(f.read())
    with open(analysis, encoding='utf-8') as f:
        an = json.load(f)
    d = compare.Diff()
    compare.compare_panics(d, rt, an)
    if an.get('fatal_error') != rt['fatal_error']:
        d.add('fatal error', 'text', rt['fatal_error'], an.get('fatal_error'))
    compare.compare_fault(d, rt, an)
    panics = [p for p in an.get('panics') or [] if not p.get('goexit')]
    want = TYPES.get(mode)
    # panic(nil) with panicnil=0 is a *runtime.PanicNilError from Go 1.21
    # (its text gains "runtime error: " in 1.27); before, plain nil
    if mode == 'panic-nil-error' and panics and 'panic called with nil argument' in (panics[-1].get('message') or ''):
        want = '*runtime.PanicNilError'
    if want and panics and panics[-1].get('type') != want:
        d.add('panic type', mode, want, panics[-1].get('type'))
    fault = an.get('fault')
    if fault:
        pc = compare.as_int(fault.get('pc'))
        ref = objdump_insn(binary, pc) if isinstance(pc, int) and not is_pie(binary) else ''
        if ref == '':
            pass  # PIE: the runtime pc is not a link-time address objdump knows
        elif ref is None:
            d.note('fault', 'objdump has no instruction at %s' % fault.get('pc'))
        elif norm_insn(ref) != norm_insn(fault.get('instruction') or ''):
            d.add('fault', 'instruction', ref, fault.get('instruction'))
        ctx = fault.get('context') or []
        idx = fault.get('context_index')
        if not ctx or idx is None or not ctx[idx].endswith(fault.get('instruction') or '?'):
            d.note('fault', 'context does not show the faulting instruction at its index')
    for it in d.items:
        print(it)
    return 1 if d.items else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
