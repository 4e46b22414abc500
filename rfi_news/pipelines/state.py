"""Incremental runs: with the crawl state on, only new articles and articles whose content changed go out."""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from rfi_news.pipelines.base import CountingPipeline, fields_of, provenance_of
from rfi_news.state import CrawlStateBackend, content_hash, required_crawl_state


class IncrementalPipeline(CountingPipeline):
    """``new``: never emitted; ``changed``: emitted before with other content; ``unchanged``: dropped.

    Off (``NotConfigured``) when ``RFI_STATE_DIR`` is unset. What counts as content is
    :data:`rfi_news.state.CONTENT_FIELDS`. The article is recorded as emitted by
    :class:`rfi_news.extensions.CrawlStateKeeper`, once the exporter has it.
    """

    concern = "state"

    def __init__(self, stats: Any, state: CrawlStateBackend) -> None:
        super().__init__(stats)
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats, required_crawl_state(crawler))

    def process_item(self, item: Any) -> Any:
        record = fields_of(item)
        known = self.state.article_hash(record["url"])
        if known is None:
            self.count("new")
        elif known != content_hash(record):
            self.count("changed")
        else:
            self.count("unchanged")
            digest = record.get("file_digest")
            if digest is not None:
                # An archive file that reads as an article already published (a state from before file digests,
                # or bytes changed outside the content): known from now on, committed with the run.
                self.state.record_file(digest, record["url"])
            raise DropItem(f"{provenance_of(record)}: already emitted, unchanged", log_level="DEBUG")
        return item
