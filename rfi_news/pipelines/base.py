"""What every pipeline of the project shares: the crawler's stats, under its own prefix."""

from __future__ import annotations

from typing import Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector


class CountingPipeline:
    """Base of the project's pipelines: ``count("x")`` increments ``rfi_news/<concern>/x``."""

    concern = "pipeline"

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def count(self, key: str, value: int = 1) -> None:
        self.stats.inc_value(f"rfi_news/{self.concern}/{key}", value)


def origin_of(adapter: ItemAdapter) -> str:
    """Where a record came from, for log lines: the file or URL it was read from, else its URL."""
    return str(adapter.get("origin") or adapter.get("url") or "<unknown source>")
