"""An offline copy of rfi.fr and feedx.net for demos: ``python -m rfi_news.demo_server [--port 8123]``.

Serves, from the project folder, the reconstructed site ``tests/fixtures/site/`` at ``/`` (robots.txt, the
listings, the article pages, the sitemaps, ``/cn/rss``) and the feeds ``tests/fixtures/feeds/`` at ``/feeds/``,
on 127.0.0.1. Article paths have no suffix, so they are served as HTML (``python -m http.server`` would serve
them as ``application/octet-stream``, which no spider reads as a page). docs/operating.md, "Offline demo", runs
every spider against it.
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rfi_news.contracts import project_folder

TYPES = {".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8", "": "text/html; charset=utf-8"}


class DemoHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args: object, fixtures: Path, **kwargs: object) -> None:
        self.fixtures = fixtures
        super().__init__(*args, directory=str(fixtures / "site"), **kwargs)  # type: ignore[arg-type]

    def translate_path(self, path: str) -> str:
        route = unquote(urlsplit(path).path)
        if route.startswith("/feeds/"):
            return str(self.fixtures / "feeds" / Path(route).name)
        return super().translate_path(path)

    def guess_type(self, path: str | object) -> str:
        suffix = Path(str(path)).suffix
        return TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"demo server: {format % args}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rfi_news.demo_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--fixtures", type=Path, default=project_folder() / "tests" / "fixtures")
    options = parser.parse_args(argv)
    if not (options.fixtures / "site").is_dir():
        parser.error(f"no fixture site under {options.fixtures}: run it from the project folder, or pass --fixtures")
    server = ThreadingHTTPServer(("127.0.0.1", options.port), partial(DemoHandler, fixtures=options.fixtures))
    print(f"Serving the offline rfi.fr and feeds on http://127.0.0.1:{options.port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
