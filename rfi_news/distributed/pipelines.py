"""The claim: in distributed mode, the last pipeline, so that no two workers emit the same article."""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from rfi_news.distributed.state import ALREADY_EMITTED, CLAIMED, RedisCrawlState
from rfi_news.pipelines.base import CountingPipeline, provenance_of
from rfi_news.state import content_hash, crawl_state


class ClaimPipeline(CountingPipeline):
    """After the incremental filter, claims the record's url for this worker in Redis (``rfi_news/state/claimed``).

    A record whose url another live worker has claimed (``…/claimed_elsewhere``), or that another worker published
    with the same content in the meantime (``…/unchanged``), is dropped. Within one crawl the shared frontier
    already gives each article page to one worker; the claim covers what the frontier cannot see: two crawls of
    the same spider at once, a crawl that runs while an interrupted one is resumed, the feedx and archive spiders.
    Off (``NotConfigured``) unless ``RFI_REDIS_URL`` is set.
    """

    concern = "state"

    def __init__(self, stats: Any, state: RedisCrawlState) -> None:
        super().__init__(stats)
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = crawl_state(crawler)
        if not isinstance(state, RedisCrawlState):
            raise NotConfigured
        return cls(crawler.stats, state)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        outcome = self.state.claim(adapter["url"], content_hash(adapter))
        if outcome == CLAIMED:
            self.count("claimed")
            return item
        if outcome == ALREADY_EMITTED:
            self.count("unchanged")
            raise DropItem(f"{provenance_of(adapter)}: published by another worker meanwhile", log_level="DEBUG")
        self.count("claimed_elsewhere")
        raise DropItem(f"{provenance_of(adapter)}: another worker is emitting it", log_level="INFO")
