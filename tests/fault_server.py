"""Faults a server can commit, for the hostile-input suite: each a :class:`tests.fixture_server.Fault`.

Routed on a :class:`~tests.fixture_server.FixtureServer` (which serves the reconstructed site for everything else),
they play a site that hangs, resets the connection mid-body, lies about the length or drips its answer.
Every fault is bounded in time: a test's server never holds a thread for long.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fixture_server import Fault


def _head(handler: BaseHTTPRequestHandler, length: int, content_type: str = "text/html; charset=utf-8") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.flush()


@dataclass
class Hang(Fault):
    """Accepts the request and answers nothing for ``seconds`` (longer than the crawl's DOWNLOAD_TIMEOUT)."""

    seconds: float

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        time.sleep(self.seconds)
        handler.close_connection = True


@dataclass
class ResetMidBody(Fault):
    """Sends the headers and part of ``body``, then resets the connection (TCP RST)."""

    body: bytes

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        _head(handler, len(self.body))
        handler.wfile.write(self.body[: len(self.body) // 3])
        handler.wfile.flush()
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True


@dataclass
class ShortBody(Fault):
    """Says ``Content-Length: len(body) * 2`` and sends ``body`` only, then closes: a length that lies."""

    body: bytes

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        _head(handler, len(self.body) * 2)
        handler.wfile.write(self.body)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass
class SlowDrip(Fault):
    """Sends ``body`` whole, in ``chunks`` pieces ``pause`` seconds apart: slow, but within the timeout."""

    body: bytes
    chunks: int = 10
    pause: float = 0.1

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        _head(handler, len(self.body))
        size = -(-len(self.body) // self.chunks)
        for start in range(0, len(self.body), size):
            handler.wfile.write(self.body[start : start + size])
            handler.wfile.flush()
            time.sleep(self.pause)
