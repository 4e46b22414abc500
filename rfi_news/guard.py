"""The record boundary: whatever one record holds, it costs only that record.

A record is one archive file, one feed item, one sitemap ``<loc>``, one RSS ``<link>`` or one page. Reading it
may raise :class:`~rfi_news.errors.InvalidInput` (the parsers' and normalisers' one documented error), or, if a
parser has a bug, anything else. Either way the record is skipped with

- one WARNING naming its source, quoted with ``%r`` (a file path, ``feed URL item N``, a page URL), so that no
  input can forge a log line;
- the stats counter ``rfi_news/<kind>/invalid/<reason>`` (``reason`` is the error's, or ``parser_bug``, which
  also counts in ``rfi_news/parser_bug``),

and the run goes on. Two ways in, one policy:

- :func:`read_guarded` around the read of each record inside a callback that reads many (an archive batch, a
  feed, a sitemap), so one bad record does not cost the ones after it;
- :class:`RecordBoundaryMiddleware`, a spider middleware, for what escapes a whole callback (a listing or an
  article page whose parser raised): it costs that response only, with the same WARNING and counter, instead of
  Scrapy's ``Spider error processing`` ERROR and traceback. The callback's kind is declared with
  :func:`record_kind`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, Self, TypeVar

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector

from rfi_news.errors import InvalidInput
from rfi_news.health import PARSER_BUG_STAT

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])

PARSER_BUG = "parser_bug"
KIND_ATTRIBUTE = "rfi_record_kind"
_DETAIL_LIMIT = 300


def _where(exc: BaseException) -> str:
    """``file.py:123 in function`` of the innermost frame: enough to find a parser bug, without a traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def printable(text: str, limit: int = _DETAIL_LIMIT) -> str:
    """``text`` cut to ``limit`` with every character that is not printable escaped: one line, whatever it held."""
    text = text[:limit]
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def count_invalid(stats: StatsCollector, kind: str, reason: str) -> None:
    stats.inc_value(f"rfi_news/{kind}/invalid/{reason}")
    if reason == PARSER_BUG:  # the Parser bugs monitor fails the run on it
        stats.inc_value(PARSER_BUG_STAT)


def report_invalid(
    log: logging.Logger | logging.LoggerAdapter[Any], stats: StatsCollector, kind: str, source: object, exc: Exception
) -> None:
    """The one WARNING and the counter for a record that could not be read (see the module docstring)."""
    if isinstance(exc, InvalidInput):
        count_invalid(stats, kind, exc.reason)
        log.warning("%s %r skipped: %s", kind, source, printable(str(exc)))
        return
    count_invalid(stats, kind, PARSER_BUG)
    log.warning(
        "%s %r skipped: parser bug %s: %r at %s",
        kind,
        source,
        type(exc).__name__,
        printable(str(exc)),
        _where(exc),
    )


def read_guarded(
    spider: Spider, kind: str, source: object, read: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """``read(*args, **kwargs)``, or ``None`` (logged and counted, naming ``source``) when it raised."""
    try:
        return read(*args, **kwargs)
    except (CloseSpider, KeyboardInterrupt):
        raise
    except Exception as exc:
        report_invalid(spider.logger, spider.crawler.stats, kind, source, exc)
        return None


def record_kind(kind: str) -> Callable[[C], C]:
    """Declare what a spider callback reads (``listing``, ``page``…): the stats key the middleware counts under."""

    def mark(callback: C) -> C:
        setattr(callback, KIND_ATTRIBUTE, kind)
        return callback

    return mark


class RecordBoundaryMiddleware:
    """An exception escaping a callback that reads records (one marked with :func:`record_kind`) costs that
    response only: one WARNING, one counter, no traceback. Other callbacks' exceptions stay Scrapy's ERRORs.

    Exceptions that are Scrapy's own signals are left to Scrapy (``HttpError``, ``IgnoreRequest`` to
    HttpErrorMiddleware; ``CloseSpider`` to the engine).
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        if isinstance(exception, HttpError | IgnoreRequest | CloseSpider):
            return None
        callback = response.request.callback if response.request is not None else None
        kind = getattr(callback, KIND_ATTRIBUTE, None)
        if kind is None:  # not a callback that reads records: an error in it is Scrapy's to report (an ERROR)
            return None
        report_invalid(logger, self.stats, kind, response.url, exception)
        return []
