"""The HTTP shell around `App`: a threading HTTP/1.1 server with keep-alive, on loopback."""
from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .app import App

MAX_BODY = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second waits ~40 ms for the
    # client's delayed ACK, which would dwarf every latency the emulator means to model.
    disable_nagle_algorithm = True
    server_version = "qc-magics-emulator"
    sys_version = ""

    def _serve(self) -> None:
        app: App = self.server.app  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413, "Request body too large")
            return
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = app.handle(self.command, url.path, url.query, headers, raw)
        if reply is None:  # an injected dropped connection: close without a word
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if reply.stall:
            time.sleep(reply.stall)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_POST = _serve
    do_GET = _serve
    do_PUT = _serve
    do_DELETE = _serve

    def log_message(self, format: str, *args) -> None:  # the App keeps the request log
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: App):
        self.app = app
        super().__init__((host, port), _Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer (timeouts in tests) is not an emulator error.
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)
