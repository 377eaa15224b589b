#!/usr/bin/env python3
"""A tiny HTTP echo endpoint: answers every request with JSON {method, path, headers, body}.

Usage: echo-server.py [--host 127.0.0.1] [--port 8081]
Stands behind HAProxy in mtls-backend.sh, so the X-Ssl-* headers HAProxy adds (client certificate
subject, issuer, verify result) show up in the response, as with the mTLS lab's echo server.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        headers = {}
        for key, value in self.headers.items():
            # Canonical case (X-Ssl-Client-Dn), like the lab's echo server shows them.
            headers["-".join(p.capitalize() for p in key.split("-"))] = value
        payload = json.dumps(
            {"method": self.command, "path": self.path, "headers": headers, "body": body},
            indent=2, sort_keys=True).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _echo

    def log_message(self, fmt, *args):  # quiet: one line per request on stderr
        super().log_message(fmt, *args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    ThreadingHTTPServer((args.host, args.port), Echo).serve_forever()


if __name__ == "__main__":
    main()
