"""``scrapy crawl feedx``: the full-text RSS feed of RFI at feedx.net, one record per item.

``FEEDX_URLS`` (or ``-a feed_url=URL[,URL…]``) lists the feed and its mirrors in order; the next URL is
fetched only when one fails (an HTTP error, a refused connection, a document that is not RSS).

In distributed mode (``RFI_REDIS_URL``) one worker reads the feed: the first to take the ``feed_reader`` role in
Redis, held while it is alive; the others end at once with nothing to do (``rfi_news/distributed/feed_read_elsewhere``).
The feed is one document: there is nothing to share out, and the claims in the shared state keep a second reader
(a worker started after the first has gone) from emitting an item twice.

``-a follow=1`` also fetches each item's article page (from ``RFI_ORIGIN``) and makes one record of both
(:func:`rfi_news.merge.merge_feed_and_page`): the page's text when the page has it (``source`` =
``rfi``), the feed's when the page failed (403, 404, timeout…) or lacks it (``source`` = ``feedx``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from rfi_news.distributed import redis_url_of
from rfi_news.guard import record_kind
from rfi_news.items import ArticleItem
from rfi_news.middlewares import ARTICLE_URL_META, OffsiteRedirect
from rfi_news.normalize.urls import RFI_HOST, on_origin, split_url
from rfi_news.spiders.arguments import Argument, DeclaredArguments, comma_list, flag
from rfi_news.spiders.failures import failure_message, failure_reason, is_dropped
from rfi_news.spiders.records import feed_items, merged_article, page_to_follow, read_feed_response, read_page_response
from rfi_news.state import conditional_headers, remember_feed


def _hostname(url: str) -> str | None:
    try:
        return split_url(url).hostname
    except ValueError:
        return None


class FeedxSpider(DeclaredArguments, scrapy.Spider):
    """RFI's full-text RSS feed at feedx.net, then its mirrors: today's articles."""

    name = "feedx"
    arguments = (
        Argument("feed_url", "feed URLs tried in order, comma-separated (default: the FEEDX_URLS setting)", comma_list),
        Argument("follow", "also fetch each item's article page and use its text", flag, default=False),
    )
    feed_url: list[str] | None
    follow: bool
    origin = ""
    feed_urls: list[str]
    allowed_domains: list[str]  # set in from_crawler: RFI's host, RFI_ORIGIN's and the feeds'

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.feed_url:
            spider.feed_urls = list(spider.feed_url)
        else:
            spider.feed_urls = crawler.settings.getlist("FEEDX_URLS")
        if not spider.feed_urls:
            raise ValueError("no feed URL: set FEEDX_URLS or pass -a feed_url=URL")
        spider.origin = crawler.settings.get("RFI_ORIGIN")
        # Scrapy's OffsiteMiddleware keeps every request (redirects included) on these hosts: the feeds' own, RFI's
        # and the origin that stands for it; the redirect middlewares refuse the rest with a WARNING.
        spider.allowed_domains = sorted(
            {RFI_HOST, *(host for url in (*spider.feed_urls, spider.origin) if (host := _hostname(url)))}
        )
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if redis_url_of(self.crawler.settings):
            from rfi_news.distributed.worker import worker_of  # here: only distributed mode needs it

            if not worker_of(self.crawler).take_role("feed_reader"):
                self.logger.info("Another worker of the crawl reads the feed: nothing to do here")
                self.crawler.stats.inc_value("rfi_news/distributed/feed_read_elsewhere")
                return
        yield self.feed_request(0)

    def feed_request(self, index: int) -> scrapy.Request:
        return scrapy.Request(
            self.feed_urls[index],
            callback=self.parse_feed,
            errback=self.feed_failed,
            cb_kwargs={"index": index},
            dont_filter=True,
            # With the crawl state on, the feed is asked for only if it changed since the last clean read; a 304
            # reaches parse_feed as the normal "nothing new" answer, not as an error.
            headers=conditional_headers(self.crawler, self.feed_urls[index]),
            meta={"handle_httpstatus_list": [304]},
        )

    def next_feed(self, index: int) -> Iterator[scrapy.Request]:
        """The next mirror, or a clear line that none is left."""
        self.crawler.stats.inc_value("rfi_news/feed/failed")
        if index + 1 < len(self.feed_urls):
            self.logger.warning("Trying the next feed URL: %r", self.feed_urls[index + 1])
            yield self.feed_request(index + 1)
        elif self.crawler.stats.get_value("rfi_news/feed/entries"):
            self.logger.warning("No feed URL left to try; keeping the items recovered so far")
        else:
            # Handled: counted, and the run's verdict names the cause (unreachable, blocked, bad input).
            self.logger.warning("Every feed URL failed: %s", ", ".join(self.feed_urls))
            self.crawler.stats.inc_value("rfi_news/feed/all_failed")

    def feed_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        self.logger.warning("%r: feed request failed: %s", request.url, failure_message(failure))
        self.crawler.stats.inc_value(f"rfi_news/feed/failed/{failure_reason(failure)}")
        yield from self.next_feed(request.cb_kwargs["index"])

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """``scrapy parse https://feedx.net/rss/rfi.xml`` picks this spider."""
        host = urlsplit(request.url).hostname or ""
        return host.startswith("feedx.") or host.endswith(".feedx.net")

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A feed given by hand (``scrapy parse URL``): its records, as the first feed URL.

        @fixture tests/fixtures/feeds/feedx_rfi.xml
        @returns items 12 12
        @scrapes url title feed_published paragraphs source
        """
        yield from self.parse_feed(response, index=0)

    @record_kind("feed")
    def parse_feed(self, response: Response, index: int = 0) -> Iterator[Any]:
        """The feed's records; ``index`` is the feed's place in ``feed_urls`` (the mirrors after it).

        @fixture tests/fixtures/feeds/feedx_rfi_broken.xml
        @cb_kwargs {"index": 0}
        @returns items 3 3
        """
        if response.status == 304:
            self.logger.info("%r: not modified since the last run, nothing new", response.url)
            self.crawler.stats.inc_value("rfi_news/feed/not_modified")
            return
        document = read_feed_response(self, response, response.url)
        if document is None:  # logged and counted; the feed is unreadable as a whole
            yield from self.next_feed(index)
            return
        if document.error:
            # A cut feed may be whole on a mirror; records seen twice are dropped by the deduplication.
            yield from self.next_feed(index)
        else:
            remember_feed(self.crawler, self.feed_urls[index], response)
        for item, link in feed_items(self, document, response.url):
            article_url = page_to_follow(link) if self.follow else None
            yield self.page_request(item, article_url) if article_url else item

    # --- -a follow=1: the item's article page ---------------------------------------------------------------

    def page_request(self, item: ArticleItem, article_url: str) -> scrapy.Request:
        return scrapy.Request(
            on_origin(article_url, self.origin),
            callback=self.parse_page,
            errback=self.page_failed,
            cb_kwargs={"feed_item": item},
            meta={ARTICLE_URL_META: article_url},
        )

    @record_kind("page")
    def parse_page(self, response: Response, feed_item: ArticleItem) -> Iterator[ArticleItem]:
        # A page that cannot be read costs the page only: the feed's text is kept.
        yield merged_article(
            self, feed_item, read_page_response(self, response, response.meta[ARTICLE_URL_META], response.url)
        )

    def page_failed(self, failure: Failure) -> Iterator[ArticleItem]:
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"rfi_news/page/failed/{reason}")
        if is_dropped(failure):
            # Another middleware chose not to fetch the page (an article already known, say): no record.
            self.logger.debug("%r: page request dropped: %s", request.url, failure.getErrorMessage())
            return
        # An off-host redirect was named (with both URLs) in the redirect middleware's WARNING already.
        log = self.logger.info if failure.check(OffsiteRedirect) else self.logger.warning
        log("%r: article page failed (%s); keeping the feed's text", request.url, failure_message(failure))
        yield merged_article(self, request.cb_kwargs["feed_item"], None)
