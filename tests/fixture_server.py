"""A real HTTP server on 127.0.0.1 that plays the sites (feedx.net, rfi.fr) for end-to-end crawls.

It serves the files under a root folder (a path ending in ``/`` serves that folder's ``index.html``; a file
without a suffix, such as an article path, is served as ``default_type``), with ``ETag``/``Last-Modified``
and ``304`` answers to conditional requests, and scripted answers (status, headers, body) for paths a test
registers. Every request is recorded, so a test can assert what was fetched and how often.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CONTENT_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".html": "text/html; charset=utf-8"}


@dataclass
class Answer:
    """A scripted answer: ``body`` (bytes) or ``file`` (a path under the root) with a status and headers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    file: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]


class Fault:
    """A scripted answer that is not a well-formed HTTP answer (a hang, a reset…): it writes to the socket itself.

    ``tests/fault_server.py`` has the kinds the hostile-input suite uses.
    """

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


Route = Answer | Fault | Callable[["RecordedRequest"], "Answer | Fault"]


class FixtureServer:
    def __init__(self, root: Path, *, default_type: str = "application/octet-stream", host: str = "127.0.0.1") -> None:
        self.root = root
        self.default_type = default_type
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test's assertions read server.requests instead

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def count(self, path: str) -> int:
        """How many requests asked for ``path`` (decoded, query string ignored)."""
        return sum(1 for request in self.requests if request.path == path)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = unquote(urlsplit(handler.path).path)
        request = RecordedRequest("GET", path, dict(handler.headers.items()))
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(path)
        answer = route(request) if callable(route) else route
        if answer is None:
            answer = Answer(file=path)
        if isinstance(answer, Fault):
            answer.serve(handler)
            return
        body = answer.body
        headers = dict(answer.headers)
        status = answer.status
        if body is None and answer.file is not None:
            file_path = (self.root / answer.file.lstrip("/")).resolve()
            if answer.file.endswith("/") or file_path.is_dir():
                file_path = file_path / "index.html"
            if not file_path.is_relative_to(self.root.resolve()) or not file_path.is_file():
                status, body = 404, b"not found"
                headers.setdefault("Content-Type", "text/plain")
            else:
                body = file_path.read_bytes()
                headers.setdefault("Content-Type", CONTENT_TYPES.get(file_path.suffix, self._guess_type(file_path)))
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                modified = email.utils.formatdate(file_path.stat().st_mtime, usegmt=True)
                headers.setdefault("ETag", etag)
                headers.setdefault("Last-Modified", modified)
                if status == 200 and handler.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
        body = body or b""
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)

    def _guess_type(self, path: Path) -> str:
        if not path.suffix:
            return self.default_type
        return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
