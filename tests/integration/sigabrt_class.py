#!/usr/bin/env python3
"""Which kind of thread took a process-directed SIGABRT, from the runtime's
traceback (GOTRACEBACK=crash) of tests/go/sigstorm.

    sigabrt_class.py STDERR     prints one word-ish class, e.g. "g0:idle"
    sigabrt_class.py --raced STDERR DIFF   exit 0 when every difference
                                (compare.py) is about goroutines that ran
                                on after the print (see raced())

The signal dump starts "SIGABRT: abort" / "PC=... m=N sigcode=C"; the
first goroutine header after it is what the m that took the signal was
running: a goroutine ("running", "syscall"...), its g0 ("goroutine 0",
classified by the g0's frames: idle in stopm, spinning in findRunnable,
starting in mstart/minit, exiting in mexit, sysmon, the template thread,
a non-Go thread borrowing an m in needm/badsignal, C code: an
unknown pc) or, for C code, "cgo"
("signal arrived during cgo execution")."""
import os
import re
import sys

# What a g0 was doing: first these, wherever they are on the stack ...
G0_OUTER = [
    ('runtime.badsignal', 'nongo'), ('runtime.needm', 'nongo'),
    ('runtime.mexit', 'exiting'), ('runtime.sysmon', 'sysmon'),
    ('runtime.templateThread', 'template'),
]
# ... else the innermost of these.
G0_INNER = {
    'runtime.minit': 'starting', 'runtime.mstart1': 'starting', 'runtime.mstart': 'starting',
    'runtime.findRunnable': 'spinning', 'runtime.findrunnable': 'spinning',
    'runtime.stopm': 'idle', 'runtime.mPark': 'idle',
    'runtime.exitsyscall0': 'exitsyscall', 'runtime.exitsyscallfast': 'exitsyscall',
    'runtime.exitsyscallfast_pidle': 'exitsyscall',
    'runtime.entersyscallblock_handoff': 'syscall', 'runtime.handoffp': 'handoff',
    'runtime.newm': 'newm', 'runtime.newosproc': 'newm', 'runtime.startm': 'startm',
    'runtime.schedule': 'schedule', 'runtime.park_m': 'schedule', 'runtime.goschedImpl': 'schedule',
}


def classify(text):
    lines = text.splitlines()
    if not lines:
        # a thread the runtime did not create took it (badsignal)
        return 'silent'
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith('SIGABRT: abort'))
    except StopIteration:
        return 'no-signal-dump'
    code = '?'
    m = re.search(r'sigcode=(-?\d+)', lines[start + 1] if start + 1 < len(lines) else '')
    if m:
        code = str(int(m.group(1)) - (1 << 64) if int(m.group(1)) >= 1 << 63 else int(m.group(1)))
    cgo = False
    for i in range(start + 1, len(lines)):
        l = lines[i]
        if l.startswith('signal arrived during cgo execution'):
            cgo = True
        h = re.match(r'goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\],]+)', l)
        if not h:
            continue
        if h.group(1) != '0':
            return '%s:%s%s' % ('cgo' if cgo else 'g', h.group(2), '' if code == '0' else ' ' + ('tgkill' if code == '-6' else 'code=' + code))
        body = []
        for k in range(i + 1, len(lines)):
            if not lines[k].strip():
                break
            body.append(lines[k])
        kind = 'other'
        if body and 'unknown pc' in body[0]:
            kind = 'C'   # g0 interrupted in C code (pthread_create in newosproc, say)
        fns = [b.split('(')[0] for b in body if not b.startswith('\t')]
        outer = [name for fn, name in G0_OUTER if fn in fns]
        inner = [G0_INNER[f] for f in fns if f in G0_INNER]
        if outer:
            kind = outer[0]
        elif inner:
            kind = inner[0]
        return 'g0:%s%s' % (kind, '' if code == '0' else ' ' + ('tgkill' if code == '-6' else 'code=' + code))
    return 'no-header'


def raced(text, diff):
    """Every difference is about goroutines that ran on after the print:
    the runtime freezes the world (freezetheworld) but does not wait for
    it, so a goroutine it printed "running" or "syscall" (on an m: Go code,
    a system call, C code) goes on until the relay's SIGQUIT reaches that
    m, and an m that had passed its last look at the freeze may still run
    a goroutine printed "runnable". Such a goroutine may be preempted,
    park, leave its call and find no P, ready a waiting goroutine (then
    runnable in the core), or start new goroutines (then "not printed by
    the runtime"). Never the crashed goroutine, the signal, a panic, fatal
    error or fault."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import traceback as tb
    rt = tb.parse(text)
    ran_on = {g['id'] for g in rt['goroutines']
              if g['status'] in ('running', 'syscall', 'runnable') and g['id'] != rt['crashed_goroutine']}
    lines = [l for l in diff.splitlines() if l.strip()]
    evidence = False
    for l in lines:
        if l.startswith('goroutines: ') and ' not printed by the runtime: ' in l:
            continue
        m = re.match(r'goroutine (\d+)[ :]', l)
        if m and int(m.group(1)) in ran_on:
            # one that ran on: left its system call and found no P
            # (then runnable), parked, was preempted...
            evidence = True
            continue
        # a waiting goroutine that one of them readied
        if re.match(r"goroutine \d+: status: runtime '[^']*', analysis 'runnable'$", l):
            continue
        return False
    return evidence


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--raced':
        with open(sys.argv[2], errors='replace') as f, open(sys.argv[3]) as d:
            sys.exit(0 if raced(f.read(), d.read()) else 1)
    with open(sys.argv[1], errors='replace') as f:
        print(classify(f.read()))
