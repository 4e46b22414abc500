"""How far along a long run is: done / total, rate and ETA, logged every ``RFI_PROGRESS_INTERVAL`` seconds.

Scrapy's own LogStats line counts responses and items ("Crawled 0 pages … scraped 0 items" for an archive
backfill, whose responses are batches of files). This counts the run's real units, from the stats the spiders
keep: the archive spider's files (its total is the files under ``-a path``, counted before it starts), the
article pages of the ``rfi`` spider and of ``feedx -a follow=1`` (their total is the article requests
scheduled, which grows as listings, sitemaps and feeds are read: a sitemap's URLs count once it is read; a link
seen twice is one request, a retry none). A resumed run's first line says how far along it
starts (``rfi_news/progress/done_before``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from rfi_news.middlewares import ARTICLE_URL_META

logger = logging.getLogger(__name__)

TOTAL_STAT = "rfi_news/progress/total"  # units the run has to do (set or increased by the spiders)
DONE_BEFORE_STAT = "rfi_news/progress/done_before"  # units a resumed run finds done by the run it resumes
ARCHIVE_FILES_STAT = "rfi_news/archive/files"
PAGE_DONE_STATS = ("rfi_news/page/body_found", "rfi_news/page/body_missing", "rfi_news/page/not_html")
PAGE_FAILED_PREFIX = "rfi_news/page/failed/"


def done_units(stats: Mapping[str, Any]) -> int:
    """Units this run has done: archive files read, or article pages answered or given up."""
    pages = sum(int(stats.get(key) or 0) for key in PAGE_DONE_STATS)
    pages += sum(int(value or 0) for key, value in stats.items() if key.startswith(PAGE_FAILED_PREFIX))
    return int(stats.get(ARCHIVE_FILES_STAT) or 0) + pages


def progress_line(unit: str, done: int, total: int | None, per_minute: float | None) -> str:
    """``Progress: 5,300 of 20,000 files (26.5%), 1,318 files/min, ETA 0:11:10``."""
    text = f"Progress: {done:,} of {total:,} {unit} ({done / total:.1%})" if total else f"Progress: {done:,} {unit}"
    if per_minute is not None:
        text += f", {per_minute:,.0f} {unit}/min"
        if total and per_minute > 0 and done < total:
            seconds = round((total - done) / per_minute * 60)
            text += f", ETA {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text


class Progress:
    """The extension: one progress line every ``RFI_PROGRESS_INTERVAL`` seconds (0 switches it off), and one
    when the spider closes. The units are the spider's ``progress_unit`` (default ``article pages``)."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.unit = "article pages"
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("RFI_PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(extension.request_dropped, signal=signals.request_dropped)
        return extension

    @staticmethod
    def is_new_article_request(request: Request) -> bool:
        return ARTICLE_URL_META in request.meta and not request.meta.get("retry_times")

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        # Sent before the scheduler's duplicate filter: a duplicate is taken back in request_dropped.
        if self.is_new_article_request(request):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(TOTAL_STAT)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        if self.is_new_article_request(request):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(TOTAL_STAT, -1)

    def figures(self) -> tuple[int, int | None, float | None]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        before = int(stats.get(DONE_BEFORE_STAT) or 0)
        done = done_units(stats)
        total = int(stats.get(TOTAL_STAT) or 0) or None
        minutes = (time.monotonic() - self.started) / 60
        per_minute = done / minutes if minutes > 0 and done else None
        return before + done, total, per_minute

    def spider_opened(self, spider: Spider) -> None:
        self.unit = getattr(spider, "progress_unit", "article pages")
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        done, total, per_minute = self.figures()
        logger.info(progress_line(self.unit, done, total, per_minute))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        done, total, per_minute = self.figures()
        if done or total:
            logger.info(progress_line(self.unit, done, total, per_minute))
