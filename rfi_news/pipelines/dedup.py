"""One ``url``, one record: the second record of a URL within a run is dropped."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from rfi_news.pipelines.base import CountingPipeline, origin_of


class DeduplicationPipeline(CountingPipeline):
    concern = "dedup"

    def __init__(self, stats: Any) -> None:
        super().__init__(stats)
        self.seen_urls: set[str] = set()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url = adapter["url"]
        if url in self.seen_urls:
            self.count("dropped")
            raise DropItem(f"{origin_of(adapter)}: duplicate of an earlier record of {url}", log_level="INFO")
        self.seen_urls.add(url)
        return item
