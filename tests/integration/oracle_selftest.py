#!/usr/bin/env python3
"""Self-test of the oracle (traceback.py + compare.py) on real runtime output.

    oracle_selftest.py STDERR...

For each file: traceback.py must understand every line and find as many
goroutines as there are distinct goroutine headers; an analysis built from
the parsed traceback must compare equal; and each of a set of single
mutations of that analysis (a frame's line, a pc, a status, a missing
goroutine, a panic message, the crashing goroutine, ...) must be reported
by compare.py. Prints one line per problem; exit status 1 if any.
"""
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import traceback as tb  # noqa: E402


def to_frame(f):
    return {'function': f['function'], 'file': f['file'], 'line': f['line'],
            'pc': '%#x' % f['pc'] if f['pc'] is not None else '0x0',
            'inlined': f['inlined']}


def frames_of(printed):
    """Printed frames as an analysis would give them (elided gaps left out)."""
    return [to_frame(f) for f in printed if 'function' in f]


def ideal_analysis(rt, exit_status):
    """What a perfect analyzer would report for this traceback."""
    sections = {th['goroutine']: th['frames'] for th in rt['threads'] if th.get('goroutine')}
    gs = []
    for g in rt['goroutines']:
        printed = g['frames']
        if g['stack_unavailable']:
            printed = sections.get(g['id'], [])
        cb = g['created_by']
        gs.append({
            'id': g['id'], 'status': g['status'], 'wait_minutes': g['wait_minutes'],
            'locked_to_thread': g['locked_to_thread'], 'frames': frames_of(printed),
            'labels': [{'key': k, 'value': v} for k, v in g['labels']],
            'thread': 0 if g['m'] is None else 1000 + g['m'],
            'created_by': None if cb is None else {
                'function': cb['function'], 'file': cb['file'], 'line': cb['line'],
                'goroutine': cb['goroutine']},
        })
    threads = [{'tid': 100 + i, 'crashed': False, 'goroutine': th.get('goroutine') or 0,
                'frames': []} for i, th in enumerate(rt['threads'])]
    if rt['runtime_stack'] is not None or not threads:
        threads.append({'tid': 99, 'crashed': True, 'goroutine': rt['crashed_goroutine'],
                        'frames': frames_of(rt['runtime_stack'] or [])})
    fault = None
    if rt['fault'] is not None:
        f = rt['fault']
        fault = {'signal': f['signal'], 'code': f['code'], 'address': None if f['address'] is None else '%#x' % f['address'],
                 'pc': '%#x' % f['pc']}
        ff = compare.fault_frame(rt)
        if ff is not None:
            fault.update(function=ff['function'], file=ff['file'], line=ff['line'])
    signo = exit_status - 128 if exit_status and exit_status > 128 else 6
    return {
        'schema': 'crashwatch.analysis.v1',
        'signal': {'number': signo, 'name': compare.signal_mod.Signals(signo).name},
        # no go version: the value is the printed text (as before Go 1.23)
        'panics': [{'message': None if rt['panic_during_panic'] and i == len(rt['panics']) - 1 else p['message'],
                    'printed': p['message'], 'recovered': p['recovered'], 'goexit': False}
                   for i, p in enumerate(rt['panics'])] + [{'message': 'hidden', 'goexit': True}],
        'panic_during_panic': rt['panic_during_panic'],
        'traceback_labels': any(g['labels'] for g in rt['goroutines']),
        'fatal_error': rt['fatal_error'],
        'fault': fault,
        'crashed_goroutine': rt['crashed_goroutine'],
        'goroutines': gs,
        'threads': threads,
    }


def mutations(an):
    """(name, mutated analysis) pairs; each must be reported."""
    def mutated(name, fn):
        m = copy.deepcopy(an)
        if fn(m) is not False:
            yield name, m

    def first_frame(m, pred):
        for g in m['goroutines']:
            for f in g['frames']:
                if pred(f):
                    return f
        return None

    def bump_line(m):
        f = first_frame(m, lambda f: True)
        if f is None:
            return False
        f['line'] += 1

    def bump_pc(m):
        f = first_frame(m, lambda f: not f['inlined'] and f['pc'] != '0x0')
        if f is None:
            return False
        f['pc'] = '%#x' % (int(f['pc'], 16) + 1)

    def rename(m):
        f = first_frame(m, lambda f: True)
        if f is None:
            return False
        f['function'] += 'x'

    def flip_inlined(m):
        f = first_frame(m, lambda f: f['inlined'])
        if f is None:
            return False
        f['inlined'] = False

    def drop_frame(m):
        for g in m['goroutines']:
            if len(g['frames']) > 1:
                g['frames'].pop()
                return None
        return False

    def drop_goroutine(m):
        m['goroutines'].pop()

    def add_goroutine(m):
        m['goroutines'].append(dict(m['goroutines'][0], id=999999))

    def on_thread(m):
        for g in m['goroutines']:
            if g['thread']:
                g['thread'] = 0
                return None
        return False

    def status(m):
        m['goroutines'][-1]['status'] += '?'

    def locked(m):
        m['goroutines'][-1]['locked_to_thread'] = not m['goroutines'][-1]['locked_to_thread']

    def minutes(m):
        m['goroutines'][-1]['wait_minutes'] = 3

    def created_by(m):
        for g in m['goroutines']:
            if g['created_by']:
                g['created_by']['line'] += 1
                return None
        return False

    def panic_msg(m):
        if not m['panics'] or m['panics'][0].get('goexit') or m['panics'][0]['message'] is None:
            return False
        m['panics'][0]['message'] += '!'

    def panic_printed(m):
        if not m['panics'] or m['panics'][0].get('goexit'):
            return False
        m['panics'][0]['printed'] += '!'

    def panic_during_panic(m):
        m['panic_during_panic'] = not m['panic_during_panic']

    def panic_recovered(m):
        if not m['panics'] or m['panics'][0].get('goexit'):
            return False
        m['panics'][0]['recovered'] = not m['panics'][0]['recovered']

    def panic_extra(m):
        m['panics'].append({'message': 'extra', 'recovered': False, 'goexit': False})

    def label(m):
        for g in m['goroutines']:
            if g['labels']:
                g['labels'][-1]['value'] += '!'
                return None
        return False

    def labels_hidden(m):
        if not m['traceback_labels']:
            return False
        m['traceback_labels'] = False

    def fatal(m):
        m['fatal_error'] = (m['fatal_error'] or '') + 'x'

    def fault_addr(m):
        if m['fault'] is None:
            m['fault'] = {'signal': 'SIGSEGV', 'code': 1, 'address': '0x0', 'pc': '0x1'}
        else:
            m['fault']['pc'] = '%#x' % (int(m['fault']['pc'], 16) + 1)

    def crashed(m):
        m['crashed_goroutine'] = (m['crashed_goroutine'] or 0) + 1

    def runtime_stack(m):
        for t in m['threads']:
            if t['crashed'] and t['frames']:
                t['frames'][-1]['line'] += 1
                return None
        return False

    def signal(m):
        m['signal']['number'] += 1

    for name, fn in [('frame line', bump_line), ('frame pc', bump_pc), ('function', rename),
                     ('inlined flag', flip_inlined), ('dropped frame', drop_frame),
                     ('dropped goroutine', drop_goroutine), ('extra goroutine', add_goroutine),
                     ('status', status), ('locked flag', locked), ('thread', on_thread), ('wait minutes', minutes),
                     ('created by', created_by), ('panic message', panic_msg),
                     ('panic printed', panic_printed), ('panic during panic', panic_during_panic),
                     ('recovered flag', panic_recovered), ('extra panic', panic_extra),
                     ('fatal error', fatal), ('fault pc', fault_addr),
                     ('label', label), ('labels not printed', labels_hidden),
                     ('crashed goroutine', crashed), ('runtime stack', runtime_stack),
                     ('signal', signal)]:
        yield from mutated(name, fn)


def check_file(path):
    with open(path, encoding='utf-8', errors=tb.DECODE_ERRORS) as f:
        text = f.read()
    rt = tb.parse(text)
    problems = ['parse: ' + p for p in tb.check_parsed(text, rt)]
    status_file = os.path.join(os.path.dirname(path), 'status')
    exit_status = None
    if os.path.exists(status_file):
        with open(status_file) as f:
            exit_status = int(f.read().strip() or 0)
    an = ideal_analysis(rt, exit_status)
    for item in compare.compare(rt, an, exit_status):
        problems.append('ideal analysis differs: ' + item)
    if len(an['goroutines']) > 300:
        return problems  # mutations are about compare.py: the small files do
    for name, m in mutations(an):
        if not compare.compare(rt, m, exit_status):
            problems.append('mutation not detected: ' + name)
    return problems


def main(argv):
    bad = 0
    for path in argv[1:]:
        for p in check_file(path):
            print('%s: %s' % (path, p))
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv))
