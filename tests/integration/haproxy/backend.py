#!/usr/bin/env python3
"""A small HTTP backend for the haproxy tests: answers every request with
its own name (body and X-Backend header), so a load generator can count
where requests landed. Usage: backend.py PORT NAME. Stops on SIGTERM."""
import http.server
import signal
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = (self.server.name + "\n").encode()
        self.send_response(200)
        self.send_header("X-Backend", self.server.name)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    srv.daemon_threads = True
    srv.name = sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv.serve_forever()


main()
