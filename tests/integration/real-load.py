#!/usr/bin/env python3
"""Bounded HTTP/1.1 load on a server on 127.0.0.1, for the real-program cores.

    real-load.py PORT SPEC...

Each SPEC is KIND:COUNT:METHOD:PATH[:BODY] and opens COUNT keep-alive
connections to 127.0.0.1:PORT:
  idle    one request, then the connection is held open (a goroutine per
          connection waits in the server's read: "IO wait");
  repeat  a request after every complete response, until the server goes;
  stream  one request whose response never ends (an etcd watch), drained.
"ready" is printed on stdout once every connection has had its first
response bytes; the client then keeps the load on until every connection
is closed by the server (it crashed) or 120 s have passed. SIGUSR1 makes
the repeat connections stop after their current response ("quiet" is
printed once none has a request in flight): the runtime's goroutine dump
is not a snapshot (the netpoller still readies goroutines while it
prints), so the crash comes when no data is on its way to the server. At most 4096
connections; one thread; exit status 0, or 1 when the server was not
ready within 60 s.
"""
import selectors
import signal
import socket
import sys
import time

MAX_CONNS = 4096
QUIESCE = []


class Conn:
    def __init__(self, port, kind, request):
        self.kind, self.request = kind, request
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.sock.setblocking(False)
        self.buf = b''
        self.answered = False
        self.idle = False
        self.sent = 0
        self.out = request

    def wants_write(self):
        return self.sent < len(self.out)

    def write(self):
        try:
            self.sent += self.sock.send(self.out[self.sent:])
        except BlockingIOError:
            pass

    def read(self):
        """False when the server closed the connection."""
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.answered = True
        if self.kind != 'repeat':
            return True
        self.buf += data
        while self.complete_response():
            self.idle = True
            if not QUIESCE:
                self.out, self.sent, self.idle = self.request, 0, False
        return True

    def complete_response(self):
        """Drops one complete response from buf; False when none is there."""
        head_end = self.buf.find(b'\r\n\r\n')
        if head_end < 0:
            return False
        head = self.buf[:head_end].decode('latin-1').lower()
        body = self.buf[head_end + 4:]
        if 'transfer-encoding: chunked' in head:
            end = body.find(b'\r\n0\r\n\r\n')
            if end < 0 and not body.startswith(b'0\r\n\r\n'):
                return False
            rest = body[end + 7:] if end >= 0 else body[5:]
        else:
            length = 0
            for line in head.split('\r\n'):
                if line.startswith('content-length:'):
                    length = int(line.split(':', 1)[1])
            if len(body) < length:
                return False
            rest = body[length:]
        self.buf = rest
        return True


def parse_spec(spec, port):
    parts = spec.split(':', 4)
    if len(parts) < 4 or parts[0] not in ('idle', 'repeat', 'stream'):
        raise ValueError('bad SPEC %r' % spec)
    kind, count, method, path = parts[:4]
    body = parts[4].encode() if len(parts) == 5 else b''
    req = ('%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\n'
           'Content-Type: application/json\r\n\r\n' % (method, path, port, len(body))).encode() + body
    return kind, int(count), req


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    port = int(argv[1])
    specs = [parse_spec(s, port) for s in argv[2:]]
    if sum(n for _, n, _ in specs) > MAX_CONNS:
        print('real-load.py: more than %d connections' % MAX_CONNS, file=sys.stderr)
        return 2
    sel = selectors.DefaultSelector()
    conns = []
    for kind, count, req in specs:
        for _ in range(count):
            c = Conn(port, kind, req)
            conns.append(c)
            sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    signal.signal(signal.SIGUSR1, lambda *_: QUIESCE.append(True))
    start = time.monotonic()
    ready = quiet = False
    live = len(conns)
    while live and time.monotonic() - start < 120:
        for key, ev in sel.select(timeout=0.1):
            c = key.data
            if ev & selectors.EVENT_WRITE and c.wants_write():
                c.write()
            if ev & selectors.EVENT_READ and not c.read():
                sel.unregister(c.sock)
                c.sock.close()
                live -= 1
                continue
            sel.modify(c.sock, selectors.EVENT_READ |
                       (selectors.EVENT_WRITE if c.wants_write() else 0), c)
        if QUIESCE and not quiet and all(c.idle for c in conns if c.kind == 'repeat'):
            quiet = True
            print('quiet', flush=True)
        if not ready and all(c.answered for c in conns):
            ready = True
            print('ready', flush=True)
        if not ready and time.monotonic() - start > 60:
            print('real-load.py: the server did not answer every connection in 60 s',
                  file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
