"""Every HTTP exchange of a crawl, kept as WARC 1.1 (``RFI_WARC_DIR``; docs/warc.md).

:class:`WarcCaptureMiddleware` is a downloader middleware placed next to the download handler
(``DOWNLOADER_MIDDLEWARES``: after every built-in one), so it sees each exchange as it went over the wire: the
request with every header Scrapy's middlewares added, and the answer before Scrapy's own middlewares act on it.
So each redirect hop, each retried 429/503, each 403/404 and robots.txt are captured, and a gzip-encoded body is
kept gzip-encoded, as served (``HttpCompressionMiddleware`` decodes it later, for the spider only).

:class:`WarcFileSet` writes the records with warcio (a ``warcinfo`` record opening each file, then a ``response``
and its ``request`` per exchange, each record its own gzip member, digests computed), and publishes files the way
the output is published: written as ``.<name>.part``, then fsync-ed and renamed to ``<name>.warc.gz`` when the
file reaches ``RFI_WARC_MAX_SIZE``, at the output's checkpoints and when the spider closes. A killed run leaves only whole published files
(its current file stays behind as the hidden ``.part``, readable up to where it stopped).

Files are also published at each checkpoint of the output (Scrapy's ``feed_slot_closed`` signal: a batch of
``FEED_EXPORT_BATCH_ITEM_COUNT``, a checkpoint of the project's exporter), right after the output file, so a
published record's capture is published too.

Which capture a record came from: ``<run>.captures-<serial>.jsonl`` beside the files, one line per record written
(its ``url``, the WARC file and the offset of the response record it was read from), published with the WARC files.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import zlib
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import IO, Any, Self

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from rfi_news import __version__
from rfi_news.middlewares import ARTICLE_URL_META
from rfi_news.warc import ARTICLE_URL_FIELD, FOLLOW_FIELD, RUN_FIELD, SPIDER_FIELD

logger = logging.getLogger(__name__)

WARC_DIR_SETTING = "RFI_WARC_DIR"
WARC_SUFFIX = ".warc.gz"
PART_SUFFIX = ".part"
CAPTURES_INFIX = ".captures-"
# Where the response of a request was captured ({"warc": file name, "offset": …}), for the captures index.
CAPTURE_META = "rfi_warc_capture"
CAPTURED_SCHEMES = frozenset({"http", "https"})
# Twisted removes the transfer coding (chunked) before Scrapy sees the body, so the stored body is not chunked:
# a header saying it is would make readers de-chunk it.
NOT_STORED_HEADERS = frozenset({b"Transfer-Encoding"})
GZIP_LEVEL = 6


def warc_directory(settings: Any) -> Path | None:
    """``RFI_WARC_DIR`` (the setting, else the environment variable); ``None``: capture is off."""
    value = settings.get(WARC_DIR_SETTING) or os.environ.get(WARC_DIR_SETTING)
    return Path(value) if value else None


def publish(part: Path, final: Path) -> None:
    """``part`` renamed to ``final`` (atomic on POSIX) and the rename made durable."""
    part.replace(final)
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def part_path_of(path: Path) -> Path:
    return path.with_name(f".{path.name}{PART_SUFFIX}")


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        if name in NOT_STORED_HEADERS:
            continue
        for value in values:
            # Bytes as they came; warcio percent-encodes what is not ASCII (RFC 8187) when it writes the block.
            pairs.append((name.decode("latin-1"), value.decode("utf-8", errors="replace")))
    return pairs


class GzipMemberPerRecord:
    """A file that gzips what warcio writes, one gzip member per record: warcio flushes its output at the end of
    each record, and the flush closes the member.

    warcio's own ``gzip=True`` does the same at compression level 9, which on real rfi.fr pages (250-550 KiB)
    costs three times level 6 for 1-2 % less disk (docs/warc.md): level 6 is gzip's own default.
    """

    def __init__(self, file: IO[bytes], level: int = GZIP_LEVEL) -> None:
        self.file = file
        self.level = level
        self.compressor: Any = None

    def write(self, data: bytes) -> None:
        if self.compressor is None:
            self.compressor = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self.file.write(self.compressor.compress(data))

    def flush(self) -> None:
        if self.compressor is not None:
            self.file.write(self.compressor.flush())
            self.compressor = None
        self.file.flush()


class WarcFileSet:
    """The WARC files of one run: ``<run>-<serial>.warc.gz``, each started with its ``warcinfo`` record."""

    def __init__(self, directory: Path, run: str, max_size: int, info: dict[str, str], stats: StatsCollector):
        self.directory = directory
        self.run = run
        self.max_size = max_size
        self.info = info
        self.stats = stats
        self.serial = 0
        self.name: str | None = None
        self.file: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.published: list[Path] = []

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{self.run}-{self.serial:05d}{WARC_SUFFIX}"
        self.serial += 1
        self.file = part_path_of(self.directory / self.name).open("wb")
        self.writer = WARCWriter(GzipMemberPerRecord(self.file), gzip=False, warc_version="1.1")
        self.writer.write_record(self.writer.create_warcinfo_record(self.name, self.info))

    def write_exchange(self, request: Request, response: Response) -> tuple[str, int]:
        """The request and response as WARC records; returns the file and offset of the response record."""
        if self.writer is None:
            self._open()
        assert self.writer is not None
        assert self.file is not None
        assert self.name is not None
        writer = self.writer
        url = request.url
        parsed = urlparse_cached(request)
        target = parsed.path or "/"
        if parsed.query:
            target += f"?{parsed.query}"
        request_headers = _header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in request_headers):
            # Twisted's agent adds it on the wire; it belongs to the request as sent.
            request_headers.insert(0, ("Host", parsed.netloc))
        request_record = writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=StatusAndHeaders(
                f"{request.method} {target} HTTP/1.1", request_headers, protocol="", is_http_request=True
            ),
        )
        protocol = response.protocol if response.protocol and response.protocol.startswith("HTTP/") else "HTTP/1.1"
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        warc_headers = {}
        if response.ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        if "dataloss" in response.flags:  # the server closed before the length it announced
            warc_headers["WARC-Truncated"] = "disconnect"
        article_url = request.meta.get(ARTICLE_URL_META)
        if article_url:
            warc_headers[ARTICLE_URL_FIELD] = article_url
        response_record = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            warc_headers_dict=warc_headers,
            http_headers=StatusAndHeaders(
                f"{response.status} {reason}".rstrip(), _header_pairs(response.headers), protocol=protocol
            ),
        )
        offset = self.file.tell()
        writer.write_request_response_pair(request_record, response_record)  # response first, then request
        name = self.name
        self.stats.inc_value("rfi_news/warc/exchanges")
        if self.file.tell() >= self.max_size:
            self.publish_current()
        return name, offset

    def publish_current(self) -> None:
        """The file being written, closed and published; the next exchange starts a new file."""
        if self.file is None or self.name is None:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        size = self.file.tell()
        self.file.close()
        final = self.directory / self.name
        publish(part_path_of(final), final)
        self.published.append(final)
        self.stats.inc_value("rfi_news/warc/files")
        self.stats.inc_value("rfi_news/warc/bytes", size)
        logger.info("WARC file published: %s (%d bytes)", final, size)
        self.file = self.writer = None
        self.name = None


class CapturesIndex:
    """``<run>.captures-<serial>.jsonl``: which WARC record each record written was read from, one file per
    publication (a checkpoint of the output, the end of the run)."""

    def __init__(self, directory: Path, run: str):
        self.directory = directory
        self.run = run
        self.serial = 0
        self.path: Path | None = None
        self.file: IO[str] | None = None

    def add(self, url: str, warc: str, offset: int) -> None:
        if self.file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / f"{self.run}{CAPTURES_INFIX}{self.serial:05d}.jsonl"
            self.serial += 1
            self.file = part_path_of(self.path).open("w", encoding="utf-8")
        self.file.write(json.dumps({"url": url, "warc": warc, "offset": offset}, ensure_ascii=False) + "\n")

    def publish(self) -> None:
        if self.file is None or self.path is None:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        publish(part_path_of(self.path), self.path)


class WarcCaptureMiddleware:
    """Writes each HTTP(S) exchange to the run's WARC files (``RFI_WARC_DIR``; off when unset).

    Not captured: ``data:`` and ``file:`` URLs (no HTTP exchange), answers served from Scrapy's HTTP cache (not
    fetched in this run), and requests that got no answer at all (refused connection, timeout, DNS failure).
    A file that cannot be written is an ERROR (the run's health check fails) and capture stops; the crawl goes on.

    Stats: ``rfi_news/warc/exchanges`` (request/response pairs), ``rfi_news/warc/files`` and
    ``rfi_news/warc/bytes`` (published files and their size), ``rfi_news/warc/write_failed``.
    """

    def __init__(self, crawler: Crawler, directory: Path, max_size: int) -> None:
        self.crawler = crawler
        self.directory = directory
        self.max_size = max_size
        self.files: WarcFileSet | None = None
        self.captures: CapturesIndex | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        directory = warc_directory(crawler.settings)
        if directory is None:
            raise NotConfigured
        middleware = cls(crawler, directory, crawler.settings.getint("RFI_WARC_MAX_SIZE"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(middleware.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        run = f"{spider.name}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        settings = self.crawler.settings
        info = {
            "software": f"rfi-news/{__version__} (Scrapy {scrapy.__version__}; warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            RUN_FIELD: run,
            "hostname": socket.gethostname(),
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "description": f"rfi-news crawl by the {spider.name} spider",
            SPIDER_FIELD: spider.name,
            FOLLOW_FIELD: "yes" if getattr(spider, "follow", False) else "no",
        }
        assert self.crawler.stats is not None
        self.files = WarcFileSet(self.directory, run, self.max_size, info, self.crawler.stats)
        self.captures = CapturesIndex(self.directory, run)
        logger.info("WARC capture on: %s (files of up to %d bytes)", self.directory, self.max_size)

    def process_response(self, request: Request, response: Response) -> Response:
        if (
            self.files is None
            or self.failed
            or urlparse_cached(request).scheme not in CAPTURED_SCHEMES
            or "cached" in response.flags
        ):
            return response
        try:
            warc, offset = self.files.write_exchange(request, response)
        except OSError as exc:
            self.failed = True
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("rfi_news/warc/write_failed")
            logger.error("WARC capture stopped: cannot write to %s: %s", self.directory, exc)
            return response
        request.meta[CAPTURE_META] = {"warc": warc, "offset": offset}
        return response

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        # ``response`` is the Failure for a record made in an errback (a page that failed): no capture of its own.
        capture = getattr(response, "meta", {}).get(CAPTURE_META) if isinstance(response, Response) else None
        if capture and self.captures is not None and not self.failed:
            self.captures.add(item["url"], capture["warc"], capture["offset"])

    def feed_slot_closed(self, slot: Any) -> None:
        # An output file (a batch, a checkpoint) was just published: its records' captures are published with it.
        self.publish("at a checkpoint of the output")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.publish("at the end of the run")

    def publish(self, when: str) -> None:
        if self.files is None or self.captures is None:
            return
        if self.failed:
            # The file being written may end in half a record: it stays a .part, and the index is not published.
            logger.error("WARC capture: not publishing %s (writing failed): %s", when, self.directory)
            return
        try:
            self.files.publish_current()
            self.captures.publish()
        except OSError as exc:
            self.failed = True
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("rfi_news/warc/write_failed")
            logger.error("WARC capture stopped: cannot publish %s in %s: %s", when, self.directory, exc)
