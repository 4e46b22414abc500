"""Downloader middlewares."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.statscollectors import StatsCollector

from rfi_news.state import CrawlState, crawl_state

# The contract with the spiders: a request for an article page carries the article's canonical url here.
ARTICLE_URL_META = "rfi_article_url"


class KnownArticleMiddleware:
    """With the crawl state on, an article page already emitted is not fetched again (``rfi_news/state/skipped``).

    A run with nothing new then fetches only feeds and listing pages. Off when ``RFI_STATE_DIR`` is unset.
    """

    def __init__(self, stats: StatsCollector, state: CrawlState) -> None:
        self.stats = stats
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = crawl_state(crawler)
        if state is None:
            raise NotConfigured
        return cls(crawler.stats, state)

    def process_request(self, request: Request) -> None:
        url = request.meta.get(ARTICLE_URL_META)
        if url and self.state.knows(url):
            self.stats.inc_value("rfi_news/state/skipped")
            raise IgnoreRequest(f"{url}: already emitted")
