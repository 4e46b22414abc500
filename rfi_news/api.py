"""The record of one archive item, feed item or article page, from a string: the record the crawl writes.

    >>> from rfi_news.api import archive_record, feed_record, page_record
    >>> record = archive_record(open("tests/fixtures/archive/seed_rfi_20231230.md", encoding="utf-8").read())
    >>> record["section"], record["published"]
    ('中国', '2023-12-30T09:05:00Z')

Each function reads the string with the parser the spider uses, then passes the raw record through the
project's item pipelines, in ``RFI_RECORD_PIPELINES`` order, built from the project's settings: what comes back is,
key for key and in OUTPUT.md's order, the line a crawl would write (``tests/test_api.py`` checks that against
a real crawl). Two things of a crawl are left out because they are about a whole run: the deduplication by
``url`` and, with ``RFI_STATE_DIR``, the incremental filter. ``crawled_at`` is the time of the call.

Input that cannot become a record raises :class:`rfi_news.errors.InvalidInput` (``reason``: a short key such as
``no_title``); nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import build_from_crawler, load_object

from rfi_news.errors import InvalidInput
from rfi_news.items import RECORD_FIELDS, new_article
from rfi_news.normalize.urls import canonical_url
from rfi_news.parsers.archive import ArchiveFormatError, parse_archive_entry
from rfi_news.parsers.item import parse_feed_item
from rfi_news.parsers.page import parse_page

__all__ = ["InvalidInput", "archive_record", "feed_record", "page_record"]

logger = logging.getLogger(__name__)

# About a whole run, not one record: the run's duplicates, and what earlier runs emitted.
RUN_PIPELINES = ("rfi_news.pipelines.DeduplicationPipeline", "rfi_news.pipelines.IncrementalPipeline")


class _LibrarySpider(Spider):
    name = "rfi_news.api"


@cache
def _pipelines() -> tuple[Callable[[Any], Any], ...]:
    """The project's record pipelines, in order, built once as the crawl builds them (``from_crawler``)."""
    settings = Settings()
    settings.setmodule("rfi_news.settings", priority="project")
    settings.set("RFI_STATE_DIR", None, priority="cmdline")
    crawler = Crawler(_LibrarySpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.stats.open_spider()
    steps = []
    # The one-concern pipelines themselves (ITEM_PIPELINES holds RecordPipeline, which calls them all).
    for path, order in sorted(settings.getdict("RFI_RECORD_PIPELINES").items(), key=lambda entry: entry[1] or 0):
        if order is None or path in RUN_PIPELINES:
            continue
        try:
            pipeline = build_from_crawler(load_object(path), crawler)
        except NotConfigured:
            continue
        steps.append(pipeline.process_item)
    return tuple(steps)


def _normalised(raw: dict[str, Any], provenance: str) -> dict[str, Any]:
    item: Any = new_article(**raw, provenance=provenance)
    try:
        for process_item in _pipelines():
            item = process_item(item)
    except DropItem as exc:
        raise InvalidInput("dropped", str(exc)) from None
    adapter = ItemAdapter(item)
    return {name: adapter.get(name) for name in RECORD_FIELDS}


def feed_record(
    *, link: str, title: str, description: str, feed_published: object = None, source: str = "feedx"
) -> dict[str, Any]:
    """The record of one feed item: its ``<link>``, ``<title>``, ``<description>`` HTML and ``<pubDate>``."""
    parsed = parse_feed_item(
        link=link, title=title, description=description, feed_published=feed_published, source=source
    )
    return _normalised(parsed.record, provenance=link)


def archive_record(text: str, *, provenance: str = "<string>") -> dict[str, Any]:
    """The record of one archive item (the text of a ``*.md`` file of the archive spider)."""
    try:
        entry = parse_archive_entry(text)
    except ArchiveFormatError as exc:
        raise InvalidInput(exc.reason, str(exc)) from None
    return _normalised(parse_feed_item(**entry.feed_item()).record, provenance=provenance)


def page_record(html: str, url: str) -> dict[str, Any]:
    """The record of one article page: its HTML and its URL (on www.rfi.fr)."""
    article_url = canonical_url(url)
    raw = dict(parse_page(html, article_url).record)
    raw["url"] = article_url
    return _normalised(raw, provenance=url)
