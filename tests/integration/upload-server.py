#!/usr/bin/env python3
"""A small HTTP server for the upload tests, on 127.0.0.1 only.

Every request is appended to --log as one JSON line (path, headers, body,
arrival time, what was done) before it is answered. What is done is chosen
per path prefix by --rule PREFIX=B1,B2,...,BN: the n-th request to a path
starting with PREFIX gets Bn, the last one repeating. Behaviours:
  ok | 200 | 202 | 204   success
  500 | 503 | 400 | 404  that status (503 without Retry-After)
  429:N | 503:N          that status with Retry-After: N
  stall:N                wait N seconds, then 200 (the client's timeout should cut it)
  close                  close the connection without answering
The port (random, free) is written to --port-file. The server stops by
itself after --lifetime seconds. With --cert/--key it speaks TLS, and with
--client-ca it requires a client certificate signed by that CA (its
subject's CN is logged as "client_cn")."""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                srv = self.server
                with srv.lock:
                    with open(srv.log_path, "a") as f:
                        f.write(json.dumps({"time": time.time(), "path": None,
                                            "action": "tls-failed", "error": str(e)}) + "\n")
                raise
            self.request.settimeout(None)
        super().setup()

    def choose(self):
        srv = self.server
        with srv.lock:
            for prefix, seq in srv.rules:
                if self.path.startswith(prefix):
                    n = srv.counts.get(prefix, 0)
                    srv.counts[prefix] = n + 1
                    return seq[min(n, len(seq) - 1)]
        return "ok"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        if length < 0 or length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length)
        action = self.choose()
        entry = {
            "time": time.time(),
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "action": action,
        }
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert() or {}
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        entry["client_cn"] = v
        srv = self.server
        with srv.lock:
            with open(srv.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if action == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status, extra = 200, {}
        if action.startswith("stall:"):
            time.sleep(float(action.split(":", 1)[1]))
        elif action in ("ok",):
            status = 200
        elif ":" in action:
            code, after = action.split(":", 1)
            status, extra = int(code), {"Retry-After": after}
        else:
            status = int(action)
        payload = b'{"ok":true}' if status < 300 else b'{"error":"test server says no"}'
        try:
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    args = ap.parse_args()

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda request, address: None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
        # the handshake happens in the handler's thread, not in accept()
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.lock = threading.Lock()
    srv.log_path = args.log
    srv.counts = {}
    srv.rules = []
    for r in args.rule:
        prefix, seq = r.split("=", 1)
        srv.rules.append((prefix, seq.split(",")))
    srv.rules.sort(key=lambda r: -len(r[0]))  # longest prefix first
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    time.sleep(args.lifetime)
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
