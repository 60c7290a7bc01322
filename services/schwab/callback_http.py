"""The callback listener's HTTPS side: http.server with TLS per connection, small pages.

The request line carries the one-time code, so no request is ever logged here.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import sys
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("livedata.schwab.callback")

HANDSHAKE_TIMEOUT = 10.0
"""Seconds one connection may take for its TLS handshake, and then for each read or write."""
POLL = 0.1
"""`handle_request()` returns after this long without a connection (see CallbackListener)."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


class Listener(Protocol):
    """What the handler needs of services.schwab.callback.CallbackListener."""

    def answer(self, host: str, target: str) -> tuple[int, str, str]:
        """(HTTP status, page title, page text) for a GET of `target` with that Host header."""


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class CallbackServer(ThreadingHTTPServer):
    """Serves one listener; each connection gets its own daemon thread."""

    daemon_threads = True
    timeout = POLL

    def __init__(self, address: tuple[str, int], listener: Listener, tls: ssl.SSLContext) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.listener, self.tls = listener, tls
        super().__init__(address, CallbackHandler)

    def server_bind(self) -> None:
        # HTTPServer's own would look the host name up in DNS: slow, and useless here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs here, in the connection's thread, not in accept(): a browser that
        # rejects the self-signed certificate, or a client that never finishes, blocks no one.
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            connection = self.tls.wrap_socket(request, server_side=True)
        except OSError:
            return
        with connection:
            CallbackHandler(connection, client_address, self)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver's own prints a traceback to stderr; one line without details is enough.
        log.warning("Schwab login callback: a connection failed (%s)", _error_name())


class CallbackHandler(BaseHTTPRequestHandler):
    server: CallbackServer
    server_version = "LiveData"
    sys_version = ""

    def do_GET(self) -> None:
        self.page(*self.server.listener.answer(self.headers.get("Host", ""), self.path))

    def not_found(self) -> None:
        self.page(404, "Not found", "Nothing here.")

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = not_found

    def page(self, status: int, title: str, text: str) -> None:
        body = PAGE.format(title=escape(title), text=escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", "default-src 'none'")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the request line holds the one-time code (errors included)."""


def _error_name() -> str:
    return getattr(sys.exc_info()[0], "__name__", "unknown error")
