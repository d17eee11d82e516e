#!/usr/bin/env python3
"""Parse the Go runtime's crash output (GOTRACEBACK=crash, Go 1.18 .. 1.26)
into the shape of crashwatch's analysis contract.

    traceback.py STDERR_FILE            prints the parsed JSON
    traceback.py --check STDERR_FILE... checks that every line is understood
                                        and the goroutine count matches
                                        `grep -c '^goroutine '`; exit 1 if not

The parse result (a dict) has:
  panics        [{message, recovered, repanicked}] in printed order; message
                is the text as printed (a multi-line value keeps its lines and,
                from Go 1.23, the tab after each newline)
  panic_during_panic  the runtime printed "panic during panic" (a fault while
                printing the panic values or the tracebacks)
  fatal_error   text after "fatal error: " (the first one) or None
  runtime_messages  the "runtime: ..." lines
  signal_header {name, description, pc, m, sigcode, addr, cgo} for dumps that
                start with "SIGxxx: description" / "PC=... m=N sigcode=N", else None
  fault         {signal, code, address, pc} from "[signal ...]" or from a
                signal header of a synchronous signal; None otherwise
  runtime_stack [frames] of "runtime stack:" (the crashing thread's system stack) or None
  goroutines    [{id, status, wait_minutes, locked_to_thread, gp, m, m_printed, mp,
                  frames, elided, stack_unavailable, created_by}] of the main dump,
                in printed order, without goroutine 0 (a thread's g0)
  threads       [{m, signal, pc, goroutine, frames}] one per "SIGxxx"/"PC=" section
                (the first signal header and each "-----" section)
  crashed_goroutine  the goroutine the runtime reports as crashing (0: none)
  unparsed      lines not understood (should be empty)
A frame is {function, file, line, pc (int or None), inlined, offset}; the
function is as the runtime names it, except that the runtime's "panic" is
runtime.gopanic (the contract's name).
"""
import codecs
import json
import re
import sys

RE_HEADER = re.compile(
    r'^goroutine (\d+)(?: gp=(0x[0-9a-f]+))?(?: m=(nil|\d+)(?: mp=(0x[0-9a-f]+))?)? \[(.*?)\](?: \{(.*)\})?:$')
RE_FILELINE = re.compile(
    r'^\t(.*):(\d+)(?: \+(0x[0-9a-f]+))?(?: fp=(0x[0-9a-f]+) sp=(0x[0-9a-f]+) pc=(0x[0-9a-f]+))?$')
RE_CREATED = re.compile(r'^created by (.+?)(?: in goroutine (\d+))?$')
RE_SIGLINE = re.compile(
    r'^\[signal ([^\]]*?) code=(0x[0-9a-f]+) addr=(0x[0-9a-f]+) pc=(0x[0-9a-f]+)\]$')
RE_SIGHDR = re.compile(r'^(SIG[A-Z0-9]+|signal \d+): (.*)$')
RE_PCLINE = re.compile(r'^PC=(0x[0-9a-f]+) m=(\d+) sigcode=(-?\d+)(?: addr=(0x[0-9a-f]+))?$')
RE_REG = re.compile(r'^(r[a-z0-9]+|rip|rflags|cs|fs|gs|ss|ds|es)\s+0x[0-9a-f]+$')
RE_ELIDED = re.compile(r'^\.\.\.(\d+) frames elided\.\.\.$')
RE_PANIC = re.compile(r'^\t?panic: (.*)$')
RE_MINUTES = re.compile(r'^(\d+) minutes$')
RE_BUBBLE = re.compile(r'^synctest bubble \d+$')
# tracebackHexdump, after "runtime: g N gp=...: unknown pc" (a signal that
# interrupted C code on an m's g0, say) or "unexpected return pc": the
# stack words, 2 a line, some followed by the function they point into
RE_HEXDUMP_HEAD = re.compile(
    r'^stack: frame=\{sp:0x[0-9a-f]+, fp:0x[0-9a-f]+\} stack=\[0x[0-9a-f]+,0x[0-9a-f]+\)$')
# up to 1.25 "0x<addr>: " and words (marks, <func+off>); from 1.26 a
# column header, "<addr>: " 16 bytes as words and as text, and "^ <func+off>"
# lines under the words that point into a function
RE_HEXDUMP_LINE = re.compile(
    r'^(?:0x[0-9a-f]+: (?: ?[^ ]?0x[0-9a-f]+ (?:<[^>]+> )?)+'
    r'|[0-9a-f]{16}: .*'
    r'| +(?:[0-9a-f] ){4} .* 0123456789abcdef'
    r'| +\^.*)$')

PANIC_DURING_PANIC = 'panic during panic'


def _go_replace(exc):
    """Decoding error handler: U+FFFD for each byte that is not part of a
    valid UTF-8 sequence, as Go's encoding/json (and crashwatch's JSON)
    writes it; Python's 'replace' gives one per maximal subpart instead."""
    if isinstance(exc, UnicodeDecodeError):
        return '\ufffd' * (exc.end - exc.start), exc.end
    raise exc


codecs.register_error('go-replace', _go_replace)
# open(stderr, encoding='utf-8', errors=DECODE_ERRORS): the runtime prints
# a Go string's bytes as they are.
DECODE_ERRORS = 'go-replace'

SYNC_SIGNALS = {'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP'}


def split_call(line):
    """'main.(*T).m(0x1, {...})' -> ('main.(*T).m', '0x1, {...}') or None."""
    if not line.endswith(')'):
        return None
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        c = line[i]
        if c == ')':
            depth += 1
        elif c == '(':
            depth -= 1
            if depth == 0:
                name = line[:i]
                if not name or name[0] in ' \t':
                    return None
                return name, line[i + 1:-1]
    return None


def contract_name(name):
    return 'runtime.gopanic' if name == 'panic' else name


def _go_unquote(text, i):
    """The Go-quoted string (printquoted) at text[i] == '"': (bytes, end)."""
    out = bytearray()
    i += 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return bytes(out), i + 1
        if c != '\\':
            out += c.encode('utf-8', 'surrogateescape')
            i += 1
            continue
        e = text[i + 1:i + 2]
        if e in ('n', 'r', 't', '\\', '"'):
            out += {'n': b'\n', 'r': b'\r', 't': b'\t', '\\': b'\\', '"': b'"'}[e]
            i += 2
        elif e in ('x', 'u', 'U'):
            width = {'x': 2, 'u': 4, 'U': 8}[e]
            v = int(text[i + 2:i + 2 + width], 16)
            out += bytes([v]) if e == 'x' else chr(v).encode('utf-8', 'surrogatepass')
            i += 2 + width
        else:
            raise ValueError('bad escape in %r' % text)
    raise ValueError('unterminated string in %r' % text)


def parse_labels(text):
    """The labels goroutineheader prints: 'k: v, "odd key": "\\xff"' (1.27:
    quoted where needed) or '"k": "v"' (1.26: always quoted) ->
    [[key, value], ...], each decoded like the rest of the output."""
    labels, i, pair = [], 0, []
    while i < len(text):
        if text[i] == '"':
            raw, i = _go_unquote(text, i)
        else:
            j = i
            while j < len(text) and text[j] not in ':,':
                j += 1
            raw, i = text[i:j].encode('utf-8'), j
        pair.append(raw.decode('utf-8', DECODE_ERRORS))
        sep = ': ' if len(pair) == 1 else ', '
        if len(pair) == 2:
            labels.append(pair)
            pair = []
        if i < len(text):
            if not text.startswith(sep, i):
                raise ValueError('labels %r: %r expected at %d' % (text, sep, i))
            i += len(sep)
    if pair:
        raise ValueError('labels %r: a key without a value' % text)
    return labels


def split_labels(bracket, after):
    """The header's bracket text and what follows it in braces (or None) ->
    (status text, labels): Go 1.26 prints ' labels:{...}' inside the
    brackets, 1.27 ' {...}' after them."""
    inside = bracket.find(' labels:{')
    if inside >= 0:
        text = bracket[inside + len(' labels:{'):]
        return bracket[:inside], parse_labels(text[:-1]) if text.endswith('}') else []
    return bracket, parse_labels(after) if after is not None else []


def parse_status(text):
    """'chan receive, 5 minutes, locked to thread' -> (status, minutes, locked)."""
    parts = text.split(', ')
    status = parts[0]
    minutes, locked = 0, False
    for p in parts[1:]:
        m = RE_MINUTES.match(p)
        if m:
            minutes = int(m.group(1))
        elif p == 'locked to thread':
            locked = True
        elif RE_BUBBLE.match(p):
            pass
        else:
            status += ', ' + p  # unknown: keep it visible
    return status, minutes, locked


def parse_panic_text(text):
    recovered = repanicked = False
    for mark, rec, rep in ((' [recovered, repanicked]', True, True),
                           (' [recovered]', True, False)):
        if text.endswith(mark):
            text, recovered, repanicked = text[:-len(mark)], rec, rep
            break
    return {'message': text, 'recovered': recovered, 'repanicked': repanicked}


class Parser:
    def __init__(self, text):
        self.lines = text.split('\n')
        if self.lines and self.lines[-1] == '':
            self.lines.pop()
        self.i = 0
        self.r = {
            'panics': [], 'fatal_error': None, 'runtime_messages': [],
            'signal_header': None, 'fault': None, 'runtime_stack': None,
            'goroutines': [], 'threads': [], 'crashed_goroutine': 0,
            'unparsed': [], 'panic_during_panic': False,
        }
        self.first_header = None       # first goroutine header of the main dump
        self.main_dump_done = False    # a "-----" was seen
        self.had_runtime_stack = False
        self.seen_ids = set()

    def is_panic_block_end(self, line):
        """A line that cannot continue a multi-line panic value."""
        return (line == '' or RE_PANIC.match(line) is not None or RE_HEADER.match(line) is not None
                or line.startswith('fatal error: ') or line.startswith('\tfatal error: ')
                or RE_SIGLINE.match(line) is not None or RE_SIGHDR.match(line) is not None
                or line == PANIC_DURING_PANIC or line.startswith('runtime: ')
                or line == 'runtime stack:')

    def parse_panic(self, first):
        """'panic: TEXT' and the lines that continue a multi-line value
        (from Go 1.23 each starts with the tab printindented adds, before
        it they are printed as they are), up to the blank line or the next
        line of another kind. The " [recovered]" mark ends the last line.
        A fault while printing the value ends the text with "panic during
        panic" (1.21+) or with the fatal error of the fault (before)."""
        lines = [first]
        self.i += 1
        while self.i < len(self.lines) and not self.is_panic_block_end(self.lines[self.i]):
            lines.append(self.lines[self.i])
            self.i += 1
        text = '\n'.join(lines)
        if text.endswith(PANIC_DURING_PANIC):
            self.r['panic_during_panic'] = True
            self.r['panics'].append({'message': text[:-len(PANIC_DURING_PANIC)],
                                     'recovered': False, 'repanicked': False})
            return
        if len(lines) == 1 and text.startswith('fatal error: '):
            # "panic: " then the throw of a fault in the printing (1.18-1.20)
            self.r['panics'].append({'message': '', 'recovered': False, 'repanicked': False})
            if self.r['fatal_error'] is None:
                self.r['fatal_error'] = text[len('fatal error: '):]
            return
        self.r['panics'].append(parse_panic_text(text))

    def peek(self):
        return self.lines[self.i] if self.i < len(self.lines) else None

    def unparsed(self, line):
        self.r['unparsed'].append({'line': self.i, 'text': line})

    def parse_frames(self, frames):
        """Frames until a blank line or a line that is not a frame.
        Returns the elision marker seen (None, 'additional' or a count)."""
        elided = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line == '' or RE_HEADER.match(line) or line.startswith('created by '):
                break
            m = RE_ELIDED.match(line)
            if m:
                elided = int(m.group(1))
                frames.append({'elided': int(m.group(1))})
                self.i += 1
                continue
            if line == '...additional frames elided...':
                elided = 'additional'
                self.i += 1
                continue
            call = split_call(line)
            nxt = self.lines[self.i + 1] if self.i + 1 < len(self.lines) else None
            fl = RE_FILELINE.match(nxt) if nxt is not None else None
            if call is None or fl is None:
                break
            name, args = call
            pc = fl.group(6)
            frames.append({
                'function': contract_name(name),
                'file': fl.group(1),
                'line': int(fl.group(2)),
                'pc': int(pc, 16) if pc else None,
                'offset': int(fl.group(3), 16) if fl.group(3) else None,
                'inlined': args == '...' and fl.group(3) is None and pc is None,
            })
            self.i += 2
        return elided

    def parse_created_by(self):
        line = self.peek()
        if line is None:
            return None
        m = RE_CREATED.match(line)
        if not m:
            return None
        nxt = self.lines[self.i + 1] if self.i + 1 < len(self.lines) else None
        fl = RE_FILELINE.match(nxt) if nxt is not None else None
        if fl is None:
            return None
        self.i += 2
        return {
            'function': contract_name(m.group(1)),
            'goroutine': int(m.group(2)) if m.group(2) else None,
            'file': fl.group(1), 'line': int(fl.group(2)),
            'offset': int(fl.group(3), 16) if fl.group(3) else None,
        }

    def parse_goroutine(self, m, thread):
        """A goroutine section; the header line is at self.i."""
        self.i += 1
        bracket, labels = split_labels(m.group(5), m.group(6))
        status, minutes, locked = parse_status(bracket)
        g = {
            'labels': labels,
            'id': int(m.group(1)), 'status': status, 'wait_minutes': minutes,
            'locked_to_thread': locked, 'gp': m.group(2),
            'm': None if m.group(3) in (None, 'nil') else int(m.group(3)),
            'm_printed': m.group(3) is not None,
            'mp': m.group(4), 'frames': [], 'elided': None,
            'stack_unavailable': False, 'created_by': None,
        }
        if self.peek() == '\tgoroutine running on other thread; stack unavailable':
            g['stack_unavailable'] = True
            self.i += 1
        g['elided'] = self.parse_frames(g['frames'])
        g['created_by'] = self.parse_created_by()
        if thread is not None:
            if thread.get('goroutine') is None:
                thread['goroutine'] = g['id']
                thread['status'] = status
                thread['frames'] = g['frames']
            if g['id'] == 0:
                return
        if g['id'] == 0:
            if not self.main_dump_done and not self.r['threads']:
                self.unparsed('goroutine 0 outside a signal section')
            return
        if self.main_dump_done:
            # A goroutine printed again by its thread's SIGQUIT handler.
            return
        if self.first_header is None:
            self.first_header = g
        if g['id'] in self.seen_ids:
            # tracebacktrap printed the interrupted goroutine, then
            # tracebackothers may print the same one again: keep the first.
            return
        self.seen_ids.add(g['id'])
        self.r['goroutines'].append(g)

    def parse_signal_section(self, m):
        """'SIGQUIT: quit' + 'PC=... m=N sigcode=N'."""
        nxt = self.lines[self.i + 1] if self.i + 1 < len(self.lines) else None
        pm = RE_PCLINE.match(nxt) if nxt is not None else None
        if pm is None:
            return None
        self.i += 2
        th = {'m': int(pm.group(2)), 'signal': m.group(1), 'pc': int(pm.group(1), 16),
              'goroutine': None, 'status': None, 'frames': []}
        cgo = False
        if self.peek() == 'signal arrived during cgo execution':
            cgo = True
            self.i += 1
        if self.r['signal_header'] is None and not self.main_dump_done:
            self.r['signal_header'] = {
                'name': m.group(1), 'description': m.group(2), 'pc': th['pc'],
                'm': th['m'], 'sigcode': int(pm.group(3)),
                'addr': int(pm.group(4), 16) if pm.group(4) else None, 'cgo': cgo}
        self.r['threads'].append(th)
        return th

    def run(self):
        r = self.r
        thread = None  # the signal section being read
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line == '':
                self.i += 1
                continue
            m = RE_HEADER.match(line)
            if m:
                self.parse_goroutine(m, thread)
                continue
            if line == '-----':
                self.main_dump_done = True
                thread = None
                self.i += 1
                continue
            m = RE_SIGHDR.match(line)
            if m:
                th = self.parse_signal_section(m)
                if th is not None:
                    thread = th
                    continue
            if RE_REG.match(line):
                self.i += 1
                continue
            m = RE_PANIC.match(line)
            if m and not r['goroutines'] and not self.main_dump_done:
                self.parse_panic(m.group(1))
                continue
            if line == PANIC_DURING_PANIC and not r['goroutines'] and not self.main_dump_done:
                # Go 1.18-1.20: printed after the fatal error of the fault
                r['panic_during_panic'] = True
                self.i += 1
                continue
            if line.startswith('fatal error: ') or line.startswith('\tfatal error: '):
                # A tab when printed after the panics (printPreFatalDeferPanic).
                text = line.lstrip('\t')[len('fatal error: '):]
                # Two m's that throw at once (concurrent map writes) can
                # interleave their prints: "fatal error: fatal error: X",
                # then X alone on the next line. Only that exact shape.
                if (text.startswith('fatal error: ') and self.i + 1 < len(self.lines)
                        and self.lines[self.i + 1] == text[len('fatal error: '):]):
                    text = text[len('fatal error: '):]
                    self.i += 1
                if r['fatal_error'] is None:
                    r['fatal_error'] = text
                self.i += 1
                continue
            m = RE_SIGLINE.match(line)
            if m:
                name = m.group(1).split(':')[0]
                r['fault'] = {'signal': name, 'code': int(m.group(2), 16),
                              'address': int(m.group(3), 16), 'pc': int(m.group(4), 16)}
                self.i += 1
                continue
            if line.startswith('runtime: '):
                r['runtime_messages'].append(line)
                self.i += 1
                continue
            if RE_HEXDUMP_HEAD.match(line) and r['runtime_messages']:
                self.i += 1
                while self.i < len(self.lines) and RE_HEXDUMP_LINE.match(self.lines[self.i]):
                    self.i += 1
                continue
            if line == 'runtime stack:':
                self.i += 1
                frames = []
                self.parse_frames(frames)
                if r['runtime_stack'] is None and not self.main_dump_done and thread is None:
                    r['runtime_stack'] = frames
                    self.had_runtime_stack = True
                continue
            self.unparsed(line)
            self.i += 1
        self.finish()
        return r

    def finish(self):
        r = self.r
        sh = r['signal_header']
        if r['fault'] is None and sh is not None and sh['name'] in SYNC_SIGNALS:
            r['fault'] = {'signal': sh['name'], 'code': sh['sigcode'],
                          'address': sh['addr'], 'pc': sh['pc']}
        # The crashing goroutine, following dopanic_m / sighandler:
        #  - a panic or a throw on a user goroutine prints it first;
        #  - a throw on the system stack prints "runtime stack:" and then
        #    the M's curg first, when it has one (status running);
        #  - a signal dump prints the interrupted g first: goroutine 0 means
        #    it arrived on a system stack (then the M's curg, if any, follows).
        first = self.first_header
        crashed = 0
        if sh is not None:
            th0 = r['threads'][0] if r['threads'] else None
            if th0 is not None and th0.get('goroutine'):
                crashed = th0['goroutine']
            elif first is not None and first['status'] == 'running' and \
                    not first['stack_unavailable'] and \
                    (first['m'] is None or first['m'] == sh['m']):
                crashed = first['id']
        elif self.had_runtime_stack:
            # curg of an M that crashed on its system stack: running, or in
            # a syscall when the fault came from C code (cgo).
            if first is not None and first['status'] in ('running', 'syscall') and \
                    not first['stack_unavailable']:
                crashed = first['id']
        elif first is not None:
            crashed = first['id']
        r['crashed_goroutine'] = crashed


def parse(text):
    return Parser(text).run()


def check(path):
    """Self-check of the parser on one file: returns a list of problems."""
    with open(path, encoding='utf-8', errors=DECODE_ERRORS) as f:
        text = f.read()
    return check_parsed(text, parse(text))


def check_parsed(text, r):
    """Self-check of the parse r of text: returns a list of problems."""
    problems = []
    for u in r['unparsed']:
        problems.append('line %d not understood: %r' % (u['line'] + 1, u['text']))
    headers = [l for l in text.split('\n') if l.startswith('goroutine ')]
    if len(headers) == 0:
        problems.append('no goroutine header at all')
    nonzero = set()
    for h in headers:
        m = RE_HEADER.match(h)
        if not m:
            problems.append('header not parsed: %r' % h)
        elif m.group(1) != '0':
            nonzero.add(int(m.group(1)))
    ids = [g['id'] for g in r['goroutines']]
    if len(ids) != len(set(ids)):
        problems.append('duplicate goroutine ids')
    if set(ids) != nonzero:
        problems.append('goroutine ids %d parsed, %d distinct non-zero headers' %
                        (len(set(ids)), len(nonzero)))
    nframes = sum(1 for g in r['goroutines'] for fr in g['frames'] if 'function' in fr)
    if nframes == 0:
        problems.append('no frames parsed')
    if not r['panics'] and r['fatal_error'] is None and r['signal_header'] is None:
        problems.append('neither panic, fatal error nor signal')
    return problems


def main(argv):
    if len(argv) >= 2 and argv[1] == '--check':
        bad = 0
        for path in argv[2:]:
            for p in check(path):
                print('%s: %s' % (path, p))
                bad = 1
        return bad
    if len(argv) != 2:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    with open(argv[1], encoding='utf-8', errors=DECODE_ERRORS) as f:
        r = parse(f.read())
    json.dump(r, sys.stdout, indent=1)
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
