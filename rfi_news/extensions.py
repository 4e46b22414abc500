"""Small crawl extensions."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


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
