"""Readable log lines: a dropped record says why and where from, not its text; URLs show as a reader of Chinese
reads them (``/cn/中国/…``, not ``/cn/%E4%B8%AD%E5%9B%BD/…``)."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult

# A run of percent-encoded bytes that are not ASCII: UTF-8 text, decoded for the reader. ASCII escapes (%20, %2F,
# %3F…) stay as they are, so a decoded URL is never a different URL.
_NON_ASCII_ESCAPES = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")


def iri(text: str) -> str:
    """``https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/x`` → ``https://www.rfi.fr/cn/中国/x`` (what is not UTF-8 stays)."""

    def decode(match: re.Match[str]) -> str:
        try:
            return bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)

    return _NON_ASCII_ESCAPES.sub(decode, text) if "%" in text else text


def _readable(value: Any) -> Any:
    if isinstance(value, str):
        return iri(value)
    if isinstance(value, Request | Response):
        text = str(value)
        decoded = iri(text)
        return decoded if decoded != text else value
    return value


class ReadableUrls(logging.Filter):
    """On the log's handlers: the URLs in every line's arguments (spiders', Scrapy's) in IRI form."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {key: _readable(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_readable(value) for value in record.args)
        return True


def install_readable_urls() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, ReadableUrls) for existing in handler.filters):
            handler.addFilter(ReadableUrls())


# The logger Scrapy's scraper writes the "Scraped" line with (scrapy.core.scraper).
SCRAPER_LOGGER = logging.getLogger("scrapy.core.scraper")


def emits(logger: logging.Logger, level: int) -> bool:
    """Whether a record of ``level`` sent to ``logger`` would be written by some handler.

    ``Logger.isEnabledFor`` is not enough under Scrapy: it sets the root logger to NOTSET and its handler to
    LOG_LEVEL, so every DEBUG record is built, then dropped by the handler.
    """
    if not logger.isEnabledFor(level):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return level >= logging.lastResort.level if logging.lastResort else False


class RecordLogFormatter(LogFormatter):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # Scrapy replaces the log's root handler while it builds the crawl; by the time the engine starts the
        # handler is the run's: the moment to give it the filter.
        crawler.signals.connect(install_readable_urls, signal=signals.engine_started)
        return cls()

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": exception}
        return result

    # Scrapy's LogFormatter documents None as "do not log this action"; its annotation leaves None out.
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult | None:  # type: ignore[override]
        # None: Scrapy logs nothing. At the default INFO level the DEBUG line would be built for every record, with
        # its LogRecord, only to be dropped by the handler (some 15-20 µs a record).
        if not emits(SCRAPER_LOGGER, logging.DEBUG):
            return None
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(url)s",
            "args": {"url": item.get("url") if hasattr(item, "get") else item},
        }
