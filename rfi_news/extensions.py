"""Small crawl extensions."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from rfi_news.health import STATUS_STAT, SUMMARY_STAT, UNHEALTHY

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class StatsFile:
    """Writes the crawl's final stats as JSON to ``STATS_FILE`` when the spider closes.

    Schedulers and tests read the figures there instead of parsing the log. The file is written under a
    temporary name and renamed, so a reader never sees half of it.
    """

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, path)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {key: _jsonable(value) for key, value in self.crawler.stats.get_stats().items()}
        stats.setdefault("finish_reason", reason)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8")
        temporary.replace(self.path)


class HealthSummary:
    """Repeats the run's health verdict (written by :class:`rfi_news.monitors.HealthReport`) as the last
    paragraph of the log, after Scrapy's stats dump and "Spider closed", where a person reading the end of a
    log file looks first.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        summary = self.crawler.stats.get_value(SUMMARY_STAT)
        if summary is None:
            logger.error("Run health: UNKNOWN: the monitors did not report (see the Spidermon lines above)")
        elif self.crawler.stats.get_value(STATUS_STAT) == UNHEALTHY:
            logger.error(summary)
        else:
            logger.info(summary)
