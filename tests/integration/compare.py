#!/usr/bin/env python3
"""Compare `crashwatch analyze --json` with the Go runtime's own traceback.

    compare.py [--exit-status N] [--buildinfo FILE] STDERR ANALYSIS_JSON
    compare.py --batch FILE      many comparisons (see batch())

STDERR is the crashed program's stderr (GOTRACEBACK=crash), ANALYSIS_JSON
the analyzer's output ("-" for stdin). Every difference is printed, one a
line; the exit status is 0 when there is none, 1 when there are, 2 when an
input cannot be read. With --exit-status (the crashed program's shell exit
status, 128 + signal) the killing signal is checked too; with --buildinfo
(the output of `go version -m BINARY`, another oracle) the analysis's go
object: version, path, main module and version, and every build setting.

Checked strictly, wherever the runtime prints the value:
  - the set of goroutine ids (goroutine 0, a thread's g0, is not a goroutine);
  - per goroutine: status, wait minutes, locked to thread, whether it is on
    a thread (newer headers print m=N or m=nil); every frame's
    function, file, line, inlined flag and pc (where printed: physical frames);
    the frame count (with the runtime's elision: "...N frames elided..." needs
    the elided frames or exactly the printed ones, "...additional frames
    elided..." needs the printed ones first and more after them);
    created by: function, file, line and parent goroutine (Go 1.21+);
  - the panics in order (printed: the text as the runtime printed it;
    message: the value it printed, without the tab after each newline from
    Go 1.23; recovered; "repanicked" when the analysis has that key); panics
    with goexit=true are not printed by the runtime and are left out of the
    comparison; whether the runtime printed "panic during panic";
  - the fatal error; the fault (signal, code, address, pc, and function, file
    and line of the frame the fault is in); the crashing goroutine;
  - "runtime stack:": those frames must be the outermost frames of the
    crashing thread (the thread goes on to raise the signal after printing);
  - each goroutine that a thread's SIGQUIT section shows running must be the
    goroutine of one of the analysis's threads.
With --allow-silent (go-sigabrt.sh only), a runtime that printed nothing
(a thread it did not create took the signal, cgo) is compared on the
signal, the absence of panics, fatal error and fault, and "no crashed
goroutine"; without it, an empty traceback fails like any other.
"""
import difflib
import json
import os
import signal as signal_mod
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traceback as tb  # noqa: E402  (our traceback.py, not the stdlib's)

MAX_LISTED = 20


def as_int(v):
    """Contract numbers may be ints or "0x.." strings."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 0)
        except ValueError:
            return v
    return v


def fmt(v):
    return hex(v) if isinstance(v, int) and not isinstance(v, bool) and v > 4096 else repr(v)


class Diff:
    def __init__(self):
        self.items = []

    def add(self, where, what, expected, got):
        self.items.append('%s: %s: runtime %s, analysis %s' % (where, what, fmt(expected), fmt(got)))

    def note(self, where, text):
        self.items.append('%s: %s' % (where, text))


def frame_str(f):
    if f is None:
        return '(none)'
    pc = as_int(f.get('pc'))
    return '%s %s:%s%s%s' % (f.get('function'), f.get('file'), f.get('line'),
                              ' pc=%#x' % pc if isinstance(pc, int) and pc else '',
                              ' (inlined)' if f.get('inlined') else '')


def compare_frame(d, where, exp, got):
    if not isinstance(got, dict):
        d.note(where, 'runtime %s, analysis has no frame' % frame_str(exp))
        return
    bad = []
    if got.get('function') != exp['function']:
        bad.append('function')
    if got.get('file') != exp['file']:
        bad.append('file')
    if as_int(got.get('line')) != exp['line']:
        bad.append('line')
    if bool(got.get('inlined')) != exp['inlined']:
        bad.append('inlined')
    if exp['pc'] is not None and as_int(got.get('pc')) != exp['pc']:
        bad.append('pc')
    if bad:
        d.note(where, '%s differ: runtime %s, analysis %s' %
               ('/'.join(bad), frame_str(exp), frame_str(got)))


def compare_frames(d, where, printed, elided, got):
    if not isinstance(got, list):
        d.note(where, 'frames missing in the analysis')
        return
    head, tail, gap = [], [], None
    for f in printed:
        if 'elided' in f:
            gap = f['elided']
        elif gap is None:
            head.append(f)
        else:
            tail.append(f)
    if gap is not None:
        full = len(head) + gap + len(tail)
        if len(got) not in (full, len(head) + len(tail)):
            d.note(where, 'runtime has %d frames (%d printed, %d elided), analysis %d' %
                   (full, len(head) + len(tail), gap, len(got)))
            return
        for i, f in enumerate(head):
            compare_frame(d, '%s frame %d' % (where, i), f, got[i])
        off = len(got) - len(tail)
        for i, f in enumerate(tail):
            compare_frame(d, '%s frame %d' % (where, off + i), f, got[off + i])
        return
    if elided == 'additional':
        if len(got) < len(head):
            d.note(where, 'runtime printed %d frames (and elided more), analysis has %d' %
                   (len(head), len(got)))
    elif len(got) != len(head):
        d.note(where, 'runtime printed %d frames, analysis has %d' % (len(head), len(got)))
        # Align the two lists so that one missing or extra frame shows as
        # that, not as every later frame differing.
        key = lambda f: (f.get('function'), f.get('file'), as_int(f.get('line')))
        sm = difflib.SequenceMatcher(None, [key(f) for f in head],
                                     [key(f) if isinstance(f, dict) else None for f in got],
                                     autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            n = min(i2 - i1, j2 - j1) if op in ('equal', 'replace') else 0
            for k in range(n):
                compare_frame(d, '%s frame %d' % (where, i1 + k), head[i1 + k], got[j1 + k])
            for k in range(i1 + n, i2):
                d.note('%s frame %d' % (where, k), 'missing in the analysis: %s' % frame_str(head[k]))
            for k in range(j1 + n, j2):
                d.note('%s analysis frame %d' % (where, k), 'extra in the analysis: %s' %
                       frame_str(got[k]))
        return
    for i, f in enumerate(head):
        compare_frame(d, '%s frame %d' % (where, i), f, got[i] if i < len(got) else None)


def compare_created_by(d, where, exp, got):
    if exp is None:
        if got:
            d.note(where, 'runtime prints no "created by", analysis has %s' % frame_str(got))
        return
    if not isinstance(got, dict):
        d.note(where, 'runtime: created by %s in goroutine %s at %s:%d, analysis has none' %
               (exp['function'], exp['goroutine'], exp['file'], exp['line']))
        return
    for key in ('function', 'file', 'line'):
        if as_int(got.get(key)) != exp[key]:
            d.add(where, 'created by ' + key, exp[key], got.get(key))
    if exp['goroutine'] is not None and as_int(got.get('goroutine')) != exp['goroutine']:
        d.add(where, 'created by goroutine', exp['goroutine'], got.get('goroutine'))


def compare_labels(d, where, printed, labels, shown):
    """The runtime prints a goroutine's labels when tracebacklabels is 1
    (analysis: traceback_labels true); then they must be the analysis's,
    in order. The analysis may list labels the runtime did not print only
    when it says the runtime does not print them."""
    have = [[lab.get('key'), lab.get('value')] for lab in labels or []]
    if shown is True:
        if printed != have:
            d.add(where, 'labels', printed, have)
    elif printed:
        d.add(where, 'labels', printed, 'not printed (traceback_labels %r)' % shown)


def compare_goroutines(d, rt, an, sections):
    got = {}
    for g in an.get('goroutines') or []:
        gid = as_int(g.get('id'))
        if gid in got:
            d.note('goroutine %s' % gid, 'listed twice in the analysis')
        got[gid] = g
    got.pop(0, None)
    exp = {g['id']: g for g in rt['goroutines']}
    missing = sorted(set(exp) - set(got))
    extra = sorted(set(got) - set(exp))
    if missing:
        d.note('goroutines', '%d missing in the analysis: %s%s' % (
            len(missing), ' '.join(map(str, missing[:MAX_LISTED])),
            ' ...' if len(missing) > MAX_LISTED else ''))
    if extra:
        d.note('goroutines', '%d not printed by the runtime: %s%s' % (
            len(extra), ' '.join(map(str, extra[:MAX_LISTED])),
            ' ...' if len(extra) > MAX_LISTED else ''))
    for gid, e in exp.items():
        a = got.get(gid)
        if a is None:
            continue
        where = 'goroutine %d' % gid
        if a.get('status') != e['status']:
            d.add(where, 'status', e['status'], a.get('status'))
        compare_labels(d, where, e['labels'], a.get('labels'), an.get('traceback_labels'))
        if as_int(a.get('wait_minutes') or 0) != e['wait_minutes']:
            d.add(where, 'wait minutes', e['wait_minutes'], a.get('wait_minutes'))
        if bool(a.get('locked_to_thread')) != e['locked_to_thread']:
            d.add(where, 'locked to thread', e['locked_to_thread'], a.get('locked_to_thread'))
        if e['m_printed'] and (e['m'] is not None) != bool(as_int(a.get('thread'))):
            d.note(where, 'runtime prints m=%s, analysis thread %r' %
                   ('nil' if e['m'] is None else e['m'], a.get('thread')))
        frames, elided = e['frames'], e['elided']
        if e['stack_unavailable']:
            # Printed again by its thread's SIGQUIT section, if at all.
            frames, elided = sections.get(gid, (None, None))
        if frames is not None:
            compare_frames(d, where, frames, elided, a.get('frames'))
        compare_created_by(d, where, e['created_by'], a.get('created_by'))


def go_minor(an):
    """22 for an analysis of a go1.22.x program, 0 when unknown."""
    v = ((an.get('go') or {}).get('version') or '')
    parts = v[len('go'):].split('.') if v.startswith('go') else []
    try:
        return int(parts[1].split('-')[0].split('rc')[0]) if len(parts) > 1 else 0
    except ValueError:
        return 0


def compare_panics(d, rt, an):
    if bool(an.get('panic_during_panic')) != bool(rt.get('panic_during_panic')):
        d.add('panics', 'panic during panic', bool(rt.get('panic_during_panic')),
              an.get('panic_during_panic'))
    got = [p for p in (an.get('panics') or []) if not p.get('goexit')]
    exp = rt['panics']
    if len(got) != len(exp):
        d.note('panics', 'runtime prints %d (%s), analysis has %d (%s)' % (
            len(exp), ' | '.join(p['message'] for p in exp),
            len(got), ' | '.join(str(p.get('message')) for p in got)))
    minor = go_minor(an)
    for i in range(min(len(got), len(exp))):
        where = 'panic %d' % i
        # The runtime prints the value; from Go 1.23 with a tab after each
        # newline (printindented). printed must be that text exactly and
        # message the value it was printed from.
        printed = exp[i]['message']
        value = printed.replace('\n\t', '\n') if minor >= 23 else printed
        if rt.get('panic_during_panic') and i == len(exp) - 1:
            value = None   # the runtime faulted reading it: no value to show
        if got[i].get('printed') != printed:
            d.add(where, 'printed', printed, got[i].get('printed'))
        if got[i].get('message') != value:
            d.add(where, 'message', value, got[i].get('message'))
        if bool(got[i].get('recovered')) != exp[i]['recovered']:
            d.add(where, 'recovered', exp[i]['recovered'], got[i].get('recovered'))
        if 'repanicked' in got[i] and bool(got[i]['repanicked']) != exp[i]['repanicked']:
            d.add(where, 'repanicked', exp[i]['repanicked'], got[i]['repanicked'])


def fault_frame(rt):
    """The frame the fault is in: the one after runtime.sigpanic."""
    for g in rt['goroutines']:
        if g['id'] != rt['crashed_goroutine']:
            continue
        fr = [f for f in g['frames'] if 'function' in f]
        for i, f in enumerate(fr[:-1]):
            if f['function'] == 'runtime.sigpanic':
                return fr[i + 1]
    return None


def compare_fault(d, rt, an):
    exp, got = rt['fault'], an.get('fault')
    if exp is None:
        if got:
            d.note('fault', 'runtime reports none, analysis has %s' % json.dumps(got))
        return
    if not isinstance(got, dict):
        d.note('fault', 'runtime reports %s code=%s addr=%s pc=%s, analysis has none' % (
            exp['signal'], fmt(exp['code']), fmt(exp['address']), fmt(exp['pc'])))
        return
    if got.get('signal') != exp['signal']:
        d.add('fault', 'signal', exp['signal'], got.get('signal'))
    for key in ('code', 'address', 'pc'):
        if exp[key] is not None and as_int(got.get(key)) != exp[key]:
            d.add('fault', key, exp[key], got.get(key))
    f = fault_frame(rt)
    if f is not None:
        for key in ('function', 'file', 'line'):
            if as_int(got.get(key)) != f[key]:
                d.add('fault', key, f[key], got.get(key))


def compare_threads(d, rt, an):
    threads = an.get('threads') or []
    crashed = [t for t in threads if t.get('crashed')]
    if rt['runtime_stack'] is not None:
        exp = [f for f in rt['runtime_stack'] if 'function' in f]
        if len(crashed) != 1:
            d.note('threads', 'runtime prints the crashing thread\'s stack, analysis marks %d '
                   'threads as crashed' % len(crashed))
        else:
            got = crashed[0].get('frames') or []
            if len(got) < len(exp):
                d.note('crashed thread', 'runtime stack has %d frames, analysis %d' %
                       (len(exp), len(got)))
            else:
                off = len(got) - len(exp)
                for i, f in enumerate(exp):
                    compare_frame(d, 'crashed thread frame %d (runtime stack %d)' % (off + i, i),
                                  f, got[off + i])
    on_threads = {as_int(t.get('goroutine')) for t in threads}
    for th in rt['threads']:
        gid = th.get('goroutine')
        if gid and gid not in on_threads:
            d.note('threads', 'runtime shows goroutine %d running on m%d, no analysis thread runs it'
                   % (gid, th['m']))


def parse_buildinfo(text):
    """`go version -m BINARY` output -> {version, path, main_module,
    main_version, settings}; None when it has no build info."""
    lines = text.split('\n')
    if not lines or ': go' not in lines[0]:
        return None
    bi = {'version': lines[0].rsplit(': ', 1)[1].strip(), 'path': None,
          'main_module': None, 'main_version': None, 'settings': {}}
    for line in lines[1:]:
        parts = line.strip('\n').split('\t')
        if len(parts) < 3 or parts[0] != '':
            continue
        kind = parts[1]
        if kind == 'path':
            bi['path'] = parts[2]
        elif kind == 'mod':
            bi['main_module'] = parts[2]
            bi['main_version'] = parts[3] if len(parts) > 3 else None
        elif kind == 'build':
            key, _, value = '\t'.join(parts[2:]).partition('=')
            if key.startswith('"'):
                # A quoted key: "key=with=equals"=value (Go quotes both).
                key, value = json.loads(key + '=' + value.split('"=')[0] + '"'), \
                    value.split('"=', 1)[1] if '"=' in value else ''
            if value.startswith('"'):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            bi['settings'][key] = value
    return bi


def compare_go(d, bi, an):
    go = an.get('go')
    if not isinstance(go, dict):
        d.note('go', 'the binary was built by %s, analysis has no go object' % bi['version'])
        return
    for key in ('version', 'path', 'main_module', 'main_version'):
        if go.get(key) != bi[key]:
            d.note('go', '%s: go version -m %r, analysis %r' % (key, bi[key], go.get(key)))
    got = go.get('settings')
    if not isinstance(got, dict):
        d.note('go', 'settings missing in the analysis')
        return
    for key in sorted(set(bi['settings']) | set(got)):
        if bi['settings'].get(key) != got.get(key):
            d.note('go settings', '%s: go version -m %r, analysis %r' %
                   (key, bi['settings'].get(key), got.get(key)))


def compare(rt, an, exit_status=None, buildinfo=None, allow_silent=False):
    d = Diff()
    if an.get('schema') != 'crashwatch.analysis.v1':
        d.add('schema', 'schema', 'crashwatch.analysis.v1', an.get('schema'))
    sections = {}
    for th in rt['threads']:
        if th.get('goroutine'):
            sections.setdefault(th['goroutine'], (th['frames'], None))
    # The runtime printed nothing at all: a thread it did not create took
    # the signal and raisebadsignal raised it again with the default
    # action. Then only what does not need a traceback is compared: the
    # signal, no panic, fault or fatal error, and no crashed goroutine.
    silent = allow_silent and not (rt['goroutines'] or rt['threads'] or rt['panics'] or rt['fatal_error']
                  or rt['signal_header'] or rt['runtime_stack'] or rt['runtime_messages'])
    if not silent:
        compare_goroutines(d, rt, an, sections)
    compare_panics(d, rt, an)
    if an.get('fatal_error') != rt['fatal_error']:
        d.add('fatal error', 'text', rt['fatal_error'], an.get('fatal_error'))
    compare_fault(d, rt, an)
    if as_int(an.get('crashed_goroutine') or 0) != rt['crashed_goroutine']:
        d.add('crashed goroutine', 'id', rt['crashed_goroutine'], an.get('crashed_goroutine'))
    if not silent:
        compare_threads(d, rt, an)
    if buildinfo is not None:
        compare_go(d, buildinfo, an)
    if exit_status is not None and exit_status > 128:
        signo = exit_status - 128
        sig = an.get('signal') or {}
        if as_int(sig.get('number')) != signo:
            d.add('signal', 'number', signo, sig.get('number'))
        try:
            name = signal_mod.Signals(signo).name
        except ValueError:
            name = None
        if name and sig.get('name') != name:
            d.add('signal', 'name', name, sig.get('name'))
    return d.items


def batch(path):
    """--batch FILE: one comparison per line of FILE, tab-separated:
    NAME EXIT_STATUS BUILDINFO STDERR ANALYSIS_JSON DIFF_OUT (BUILDINFO may
    be "-"). Writes the differences of each to DIFF_OUT and prints
    "NAME<TAB>N" (N differences, -1 when an input could not be read)."""
    with open(path, encoding='utf-8') as f:
        jobs = [l.rstrip('\n').split('\t') for l in f if l.strip()]
    for job in jobs:
        if len(job) != 6:
            print('compare.py: bad batch line: %r' % '\t'.join(job), file=sys.stderr)
            return 2
        name, status, bi_path, stderr_path, json_path, diff_path = job
        lines, n = [], 0
        try:
            bi = None
            if bi_path != '-':
                with open(bi_path, encoding='utf-8') as f:
                    bi = parse_buildinfo(f.read())
            with open(stderr_path, encoding='utf-8', errors=tb.DECODE_ERRORS) as f:
                rt = tb.parse(f.read())
            with open(json_path, encoding='utf-8') as f:
                an = json.load(f)
            if not isinstance(an, dict):
                raise ValueError('the analysis is not a JSON object')
            lines = ['traceback line %d not understood: %r' % (u['line'] + 1, u['text'])
                     for u in rt['unparsed']]
            lines += compare(rt, an, int(status) if status != '-' else None, bi)
            n = len(lines)
        except (OSError, ValueError) as e:
            lines, n = ['compare.py: %s' % e], -1
        with open(diff_path, 'w', encoding='utf-8') as f:
            f.write(''.join(l + '\n' for l in lines))
        print('%s\t%d' % (name, n), flush=True)
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == '--batch':
        return batch(argv[2])
    exit_status = None
    buildinfo = None
    args = argv[1:]
    allow_silent = '--allow-silent' in args
    args = [a for a in args if a != '--allow-silent']
    try:
        while len(args) >= 2 and args[0] in ('--exit-status', '--buildinfo'):
            if args[0] == '--exit-status':
                exit_status = int(args[1])
            else:
                with open(args[1], encoding='utf-8') as f:
                    buildinfo = parse_buildinfo(f.read())
                if buildinfo is None:
                    print('compare.py: %s: no Go build info' % args[1])
                    return 2
            args = args[2:]
    except (OSError, ValueError) as e:
        print('compare.py: %s' % e)
        return 2
    if len(args) != 2:
        print('usage: compare.py [--allow-silent] [--exit-status N] [--buildinfo FILE] STDERR ANALYSIS_JSON',
              file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding='utf-8', errors=tb.DECODE_ERRORS) as f:
            rt = tb.parse(f.read())
        if args[1] == '-':
            an = json.load(sys.stdin)
        else:
            with open(args[1], encoding='utf-8') as f:
                an = json.load(f)
    except (OSError, ValueError) as e:
        print('compare.py: %s' % e)
        return 2
    if not isinstance(an, dict):
        print('compare.py: the analysis is not a JSON object')
        return 2
    for u in rt['unparsed']:
        print('traceback line %d not understood: %r' % (u['line'] + 1, u['text']))
    items = compare(rt, an, exit_status, buildinfo, allow_silent)
    for it in items:
        print(it)
    return 1 if items or rt['unparsed'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
