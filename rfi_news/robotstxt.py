"""Scrapy's robots.txt middleware, with a robots.txt that cannot be fetched reported in one line.

Scrapy logs such a failure as an ERROR with a traceback per host (205 of 420 lines of a run without network)
and then crawls the host as if it had no robots.txt. What failed is the site, which the run's verdict names
from the requests' own failures: here it is one WARNING line and Scrapy's counter
(``robotstxt/exception_count/<type>``), nothing else.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import retry
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached


class OneLineRobotsTxtErrors(logging.Filter):
    """On the middleware's logger: its "Error downloading …" ERROR becomes one WARNING line, no traceback.

    A logger filter runs before any handler, Scrapy's ERROR counter included, so the line counts as a warning.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        values: Any = record.args
        if record.levelno != logging.ERROR or not isinstance(values, dict) or "f_exception" not in values:
            return True
        exception, request = values["f_exception"], values.get("request")
        host = urlparse_cached(request).netloc if request is not None else "a host"
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "robots.txt of %s could not be fetched (%s: %s); crawling it as if it had none"
        record.args = (host, type(exception).__name__, exception)
        record.exc_info = record.exc_text = None
        return True


class NoRobotsTxtGiveUp(logging.Filter):
    """On the retry middleware's logger: its "Gave up retrying <GET …/robots.txt>" is left out, the line above
    says it (the retries of every other request are logged as Scrapy logs them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        values: Any = record.args
        request = values.get("request") if isinstance(values, dict) else None
        return not (
            isinstance(record.msg, str)
            and record.msg.startswith("Gave up retrying")
            and request is not None
            and urlparse_cached(request).path == "/robots.txt"
        )


class QuietRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` whose failed robots.txt downloads are one line each."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        for module, kind in (
            (RobotsTxtMiddleware.__module__, OneLineRobotsTxtErrors),
            (retry.__name__, NoRobotsTxtGiveUp),
        ):
            logger = logging.getLogger(module)
            if not any(isinstance(existing, kind) for existing in logger.filters):
                logger.addFilter(kind())
