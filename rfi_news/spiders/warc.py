"""``scrapy crawl warc -a path=PATH``: the records of captured crawls, made again from their WARC files, offline.

``PATH`` is a ``.warc.gz`` (or ``.warc``) file or a folder of them (searched recursively, read in name order, so
the files of one run are read in the order they were written; a hidden ``.part`` left by a killed run is not
read). Nothing is downloaded: each file is a ``data:`` request whose callback reads it. The captured answers are
given to today's parsers the way the live spiders got them (Scrapy's own ``HttpCompressionMiddleware`` decodes a
gzip-encoded body, as it did live), and the records go through the same pipelines.

Which records: what the run that made the capture made (its ``warcinfo`` names the spider):

- an article page (a response to a request for an article, :data:`rfi_news.warc.ARTICLE_URL_FIELD`) answered
  2xx gives the page's record (``source`` = ``rfi``), as ``scrapy crawl rfi`` made it;
- in a ``feedx`` run, a feed answered 2xx gives one record per item (``source`` = ``feedx``); with
  ``-a follow=1`` each item is merged with its page's capture, or keeps the feed's text when the run got no page
  (403, 404, robots.txt…), as the live run did;
- robots.txt, listing pages, sitemaps, redirects and error answers only led to other requests: no record.

A file that is not from this project (no ``warcinfo`` of ours) gives the records of its rfi.fr article pages.
A damaged WARC record (cut short, failed digest, unreadable) is skipped with a WARNING naming the file and the
offset and counted (``rfi_news/warc/damaged/<reason>``); reading goes on at the next record (rfi_news.warc.reading).
A captured feed or page is read by the live spiders' own code (:mod:`rfi_news.spiders.records`), so bad input in it
(no RSS, an item that is no RFI article, a page that cannot be read) costs what it costs live, with the same
WARNING and the same ``rfi_news/feed/…``, ``rfi_news/item/…``, ``rfi_news/page/…`` counters, the source named as
``'<file>@<offset> (<URL>)'``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from rfi_news.items import ArticleItem, new_article
from rfi_news.middlewares import ARTICLE_URL_META
from rfi_news.normalize.urls import canonical_url, is_article_url, is_rfi_url
from rfi_news.spiders.arguments import Argument, ArgumentError, DeclaredArguments, existing_path
from rfi_news.spiders.records import feed_items, merged_article, page_to_follow, read_feed_response, read_page_response
from rfi_news.warc import ARTICLE_URL_FIELD, FOLLOW_FIELD, RUN_FIELD, SPIDER_FIELD
from rfi_news.warc.reading import WarcRecord, read_warc

WARC_SUFFIXES = (".warc.gz", ".warc")
FILE_URL = "data:,"  # no download: the callback reads the file


def iter_warc_files(root: Path) -> list[Path]:
    """``root`` itself if a file, else every ``*.warc.gz``/``*.warc`` below it, in order of relative path."""
    if root.is_file():
        return [root]
    found = []
    for folder, folders, names in os.walk(root):
        folders.sort()
        found += [Path(folder) / name for name in names if name.endswith(WARC_SUFFIXES)]
    return sorted(found, key=lambda path: path.relative_to(root).parts)


@dataclass
class Run:
    """What a captured run did, from its files' ``warcinfo``; the feed items waiting for their page."""

    name: str | None
    spider: str | None
    follow: bool
    waiting: dict[str, ArticleItem] = field(default_factory=dict)  # canonical article URL -> feed item
    followed: set[str] = field(default_factory=set)


class WarcSpider(DeclaredArguments, scrapy.Spider):
    """The records of captured crawls, made again from their WARC files, offline."""

    name = "warc"
    arguments = (Argument("path", "a .warc.gz (or .warc) file, or a folder of them", existing_path, required=True),)
    path: Path
    decoding: HttpCompressionMiddleware

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Local files: no politeness delay to keep (robots.txt is never asked for data: URLs).
        settings.setdict({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}, priority="spider")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files: list[Path] = []
        self.run: Run | None = None

    @property
    def root(self) -> Path:
        return self.path

    async def start(self) -> AsyncIterator[Any]:
        if self.path is None:
            raise ArgumentError("the warc spider needs -a path=FILE_OR_FOLDER (of .warc.gz files)")
        # The decoding the live crawl's answers went through (Content-Encoding), with its DOWNLOAD_MAXSIZE bound.
        self.decoding = HttpCompressionMiddleware.from_crawler(self.crawler)
        self.files = iter_warc_files(self.root)
        if not self.files:
            self.logger.error("%s: no .warc.gz or .warc file", self.root)
            self.crawler.stats.inc_value("rfi_news/warc/no_files")
            return
        yield self.file_request(0)

    def file_request(self, index: int) -> scrapy.Request:
        # One file after the other, in order: a run's feed items wait for pages captured after them.
        return scrapy.Request(FILE_URL, callback=self.read_file, cb_kwargs={"index": index}, dont_filter=True)

    def read_file(self, response: Response, index: int) -> Iterator[Any]:
        path = self.files[index]
        stats = self.crawler.stats
        stats.inc_value("rfi_news/warc/files")

        def damaged(offset: int, reason: str, detail: str) -> None:
            self.logger.warning("%s: damaged WARC record at offset %d (%s): %s; skipped", path, offset, reason, detail)
            stats.inc_value(f"rfi_news/warc/damaged/{reason}")

        first = True
        try:
            for record in read_warc(path, damaged):
                stats.inc_value("rfi_news/warc/records")
                if record.type == "warcinfo":
                    yield from self.start_run(record, path)
                elif first:
                    self.logger.warning("%s: no warcinfo record first: reading only its article pages", path)
                    stats.inc_value("rfi_news/warc/no_warcinfo")
                    yield from self.start_run(None, path)
                first = False
                if record.type == "response":
                    yield from self.captured(record, path)
        except OSError as exc:
            self.logger.warning("%s: unreadable file: %s", path, exc)
            stats.inc_value("rfi_news/warc/unreadable_file")
        if index + 1 < len(self.files):
            yield self.file_request(index + 1)
        else:
            yield from self.end_run()

    # --- Runs ---------------------------------------------------------------------------------------------

    def start_run(self, warcinfo: WarcRecord | None, path: Path) -> Iterator[ArticleItem]:
        fields = warcinfo.fields() if warcinfo is not None else {}
        name = fields.get(RUN_FIELD)
        if self.run is not None and name is not None and name == self.run.name:
            return  # the next file of the same run
        yield from self.end_run()
        self.run = Run(name=name, spider=fields.get(SPIDER_FIELD), follow=fields.get(FOLLOW_FIELD) == "yes")
        self.logger.info("%s: run %s of the %s spider", path, name or "(unknown)", self.run.spider or "(unknown)")

    def end_run(self) -> Iterator[ArticleItem]:
        """The feed items of the run whose page was never captured answered: the feed's text, as live."""
        if self.run is None:
            return
        for item in self.run.waiting.values():
            yield merged_article(self, item, None)
        self.run = None

    # --- Captured answers ---------------------------------------------------------------------------------

    def captured(self, record: WarcRecord, path: Path) -> Iterator[Any]:
        stats = self.crawler.stats
        assert self.run is not None
        uri = record.header("WARC-Target-URI") or ""
        source = f"{path}@{record.offset} ({uri})"  # the WARC record, and the URL it answered
        article_url = record.header(ARTICLE_URL_FIELD)
        if article_url is None and self.run.spider is None and is_rfi_url(uri) and is_article_url(uri):
            article_url = canonical_url(uri)  # another tool's capture of an rfi.fr article page
        response = self.response_of(record, uri, article_url, source)
        if response is None or not 200 <= response.status < 300:
            stats.inc_value("rfi_news/warc/responses/not_2xx" if response is not None else "rfi_news/warc/bad_http")
            return
        if article_url:
            stats.inc_value("rfi_news/warc/responses/page")
            yield from self.page(response, article_url, source)
        elif self.run.spider == "feedx" and not uri.endswith("/robots.txt"):
            stats.inc_value("rfi_news/warc/responses/feed")
            yield from self.feed(response, source)
        else:
            stats.inc_value("rfi_news/warc/responses/other")  # robots.txt, listings, sitemaps: links only

    def response_of(self, record: WarcRecord, uri: str, article_url: str | None, source: str) -> Response | None:
        """The captured answer as the spider got it live: Scrapy's response class, the body decoded."""
        http = record.http_headers
        try:
            status = int(http.get_statuscode()) if http is not None else 0
        except ValueError:
            status = 0
        if http is None or not status:
            self.logger.warning("%r: no HTTP status line in the response record; skipped", source)
            return None
        headers = Headers()
        for name, value in http.headers:
            headers.appendlist(name, value.encode("latin-1", errors="replace"))
        request = scrapy.Request(uri, meta={ARTICLE_URL_META: article_url} if article_url else {})
        response_class = responsetypes.from_args(headers=headers, url=uri, body=record.payload)
        response = response_class(url=uri, status=status, headers=headers, body=record.payload, request=request)
        try:
            decoded = self.decoding.process_response(request, response)
        except Exception as exc:  # what made the live request fail: a body that cannot be decoded
            self.logger.warning("%r: the captured body cannot be decoded (%s); skipped", source, exc)
            self.crawler.stats.inc_value("rfi_news/warc/undecodable")
            return None
        assert isinstance(decoded, Response)
        return decoded

    def page(self, response: Response, article_url: str, source: str) -> Iterator[ArticleItem]:
        assert self.run is not None
        page_record = read_page_response(self, response, article_url, source)
        if self.run.spider == "feedx":
            feed_item = self.run.waiting.pop(article_url, None)
            if feed_item is not None:
                yield merged_article(self, feed_item, page_record)
            return
        if page_record is not None:
            yield new_article(**page_record, provenance=repr(source))

    def feed(self, response: Response, source: str) -> Iterator[ArticleItem]:
        assert self.run is not None
        document = read_feed_response(self, response, source)
        if document is None:  # logged and counted
            return
        for item, link in feed_items(self, document, source):
            article_url = page_to_follow(link) if self.run.follow else None
            if article_url is None:
                yield item
            elif article_url not in self.run.followed:
                # Live, a second request for the same page was dropped by Scrapy's duplicate filter: no record.
                self.run.followed.add(article_url)
                self.run.waiting[article_url] = item
