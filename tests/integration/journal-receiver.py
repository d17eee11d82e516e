#!/usr/bin/env python3
"""journal-receiver.py SOCKET OUT: a stand-in for journald's native socket.

Binds SOCKET (AF_UNIX, SOCK_DGRAM, as /run/systemd/journal/socket), decodes
every datagram of the native protocol (FIELD=value lines, or FIELD, a
64-bit little-endian length and binary data; a sealed memfd passed with
SCM_RIGHTS when the entry was too big for a datagram) and appends each entry
to OUT as one JSON object per line. Stops on SIGTERM.
"""
import array
import json
import os
import re
import signal
import socket
import struct
import sys


def parse_entry(data):
    """The fields of one native-protocol entry; raises ValueError if malformed."""
    fields = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            raise ValueError("field without a newline")
        line = data[i:nl]
        eq = line.find(b"=")
        if eq >= 0:
            name, value = line[:eq], line[eq + 1:]
            i = nl + 1
        else:
            name = line
            if nl + 9 > len(data):
                raise ValueError("binary field without its length")
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            start = nl + 9
            if start + n + 1 > len(data) or data[start + n:start + n + 1] != b"\n":
                raise ValueError("binary field of the wrong length")
            value = data[start:start + n]
            i = start + n + 1
        if not re.fullmatch(rb"[A-Z0-9_]+", name):
            raise ValueError("bad field name %r" % name)
        fields[name.decode()] = value.decode("utf-8", "replace")
    return fields


def main():
    path, out_path = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock.bind(path)
    os.chmod(path, 0o666)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out_path, "a", buffering=1) as out:
        while True:
            fds = array.array("i")
            data, anc, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
            for fd in fds:
                with os.fdopen(fd, "rb") as f:
                    data = f.read()
            try:
                entry = parse_entry(data)
            except ValueError as e:
                entry = {"_RECEIVER_ERROR": str(e)}
            out.write(json.dumps(entry) + "\n")


if __name__ == "__main__":
    main()
