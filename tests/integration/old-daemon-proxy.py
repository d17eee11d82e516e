#!/usr/bin/env python3
"""old-daemon-proxy.py LISTEN REAL LOG old|relay: with "old", a crashwatchd
from before the "loops" verb and the summaries' "any_container", for the
CLI's fallbacks; with "relay", the real daemon unchanged (to count the
CLI's requests). Listens on LISTEN, relays each
request to the real daemon at REAL (as the uid this runs as, so the
daemon restricts the answer as it would the CLI's), answers "loops" as an
old daemon did (EBADMSG, "malformed request") and drops "any_container"
from summaries (old only). Appends each verb it was asked to LOG, one a line."""
import json
import os
import socket
import sys

listen, real, log, mode = sys.argv[1:5]
try:
    os.unlink(listen)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(8)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    with conn:
        req = b""
        while not req.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            req += chunk
        verb = json.loads(req).get("verb")
        with open(log, "a") as f:
            print(verb, file=f)
        if mode == "old" and verb == "loops":
            conn.sendall(b'{"ok":false,"errno":74,"error":"malformed request"}')
            continue
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(real)
        up.sendall(req)
        up.shutdown(socket.SHUT_WR)
        resp = b""
        while True:
            chunk = up.recv(1 << 20)
            if not chunk:
                break
            resp += chunk
        up.close()
        if mode == "old":
            obj = json.loads(resp)
            obj.pop("any_container", None)
            resp = json.dumps(obj).encode()
        conn.sendall(resp)
