"""What every pipeline of the project shares: the crawler's stats, under its own prefix."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Self

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


def fields_of(item: Any) -> MutableMapping[str, Any]:
    """The item's fields, to read and write: the item itself when it is a mapping (a scrapy ``Item`` or a dict,
    as every item of the project is), else an ``ItemAdapter`` over it. Over a mapping an ``ItemAdapter`` only adds
    an object per pipeline and two calls to every read and write (some 20 µs a record over the pipelines)."""
    return item if isinstance(item, MutableMapping) else ItemAdapter(item)


def provenance_of(record: Mapping[str, Any]) -> str:
    """Where a record came from, for log lines: the file or URL it was read from, else its URL."""
    return str(record.get("provenance") or record.get("url") or "<unknown source>")
