"""``scrapy crawl rfi``: RFI's own pages, one record per article page.

Where the article links come from is the run's link source, chosen from its arguments (one per run; each a
class below, :class:`LinkSource`, holding its start requests and its own decisions):

- listings (the default): the edition's listing pages (``RFI_LISTINGS``; ``-a listings=/cn/,/cn/中国/``;
  ``-a columns=要闻分析,…`` adds column listings), their cards, and their pagination up to ``-a pages=N``;
- ``-a sitemap=news``: the edition's news sitemap (``RFI_NEWS_SITEMAP``);
- ``-a month=YYYY-MM``: one month's ``contents_YYYYMM.xml``, found through the sitemap index;
- ``-a rss=1``: RFI's own RSS feeds (``RFI_RSS_PATHS``).

``-a since=YYYY-MM-DD`` skips older articles in every mode, and stops paging a listing once its cards are
older. ``-a edition=tw`` reads the traditional-Chinese edition. Every URL is fetched from ``RFI_ORIGIN``
(https://www.rfi.fr, or a local server in tests); records keep the canonical https://www.rfi.fr/… URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.gz import gunzip, gzip_magic_number
from twisted.python.failure import Failure

from rfi_news.distributed import redis_url_of
from rfi_news.errors import InvalidInput
from rfi_news.guard import read_guarded, record_kind
from rfi_news.items import new_article
from rfi_news.middlewares import ARTICLE_URL_META, OffsiteRedirect
from rfi_news.normalize.urls import (
    CANONICAL_ORIGIN,
    RFI_HOST,
    article_date,
    canonical_path,
    canonical_url,
    is_article_url,
    is_rfi_url,
    not_rfi_reason,
    on_origin,
    path_segments,
    split_url,
)
from rfi_news.parsers.listing import parse_listing
from rfi_news.parsers.rss import read_feed
from rfi_news.parsers.sitemap import SitemapDocument, read_sitemap
from rfi_news.spiders.arguments import (
    Argument,
    DeclaredArguments,
    comma_list,
    flag,
    iso_date,
    month,
    one_of,
    whole_number,
)
from rfi_news.spiders.failures import failure_message, failure_reason, is_dropped, is_robots_refusal
from rfi_news.spiders.records import read_page_response


def contents_sitemap_name(month: str) -> str:
    """``2024-02`` → ``contents_202402.xml``: the monthly sitemap the index lists."""
    return "contents_{}{}.xml".format(*month.split("-"))


class LinkSource:
    """Where a run of the ``rfi`` spider finds its article links: its first requests, and what it decides alone.

    The spider's callbacks (listing, sitemap, feed, article) are shared by every source and stay on the spider,
    so a request still names a spider method (JOBDIR serialises requests by their callback's name).
    """

    mode: ClassVar[str]
    argument: ClassVar[str | None] = None  # the spider argument that chooses this source (none: the default)

    def __init__(self, spider: RfiSpider) -> None:
        self.spider = spider

    def start_requests(self) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def sitemaps_to_follow(self, locs: list[str], index_url: str) -> list[str]:
        """The child sitemaps of a sitemap index to read: all of them, unless the source says otherwise."""
        return locs


class Listings(LinkSource):
    """The edition's listing pages (``RFI_LISTINGS``, or ``-a listings=…``; ``-a columns=…`` adds column
    listings), their cards, and their pagination up to ``-a pages=N``."""

    mode = "listings"

    def paths(self) -> list[str]:
        spider = self.spider
        paths = list(spider.listings) or list(spider.settings.getdict("RFI_LISTINGS").get(spider.edition, []))
        column_section = spider.settings.getdict("RFI_COLUMN_SECTION").get(spider.edition)
        return paths + [f"/{spider.edition}/{column_section}/{column}/" for column in spider.columns]

    def start_requests(self) -> Iterator[scrapy.Request]:
        for path in self.paths():
            yield self.spider.listing_request(canonical_url(path), page=1)


class NewsSitemap(LinkSource):
    """``-a sitemap=news``: the edition's news sitemap (``RFI_NEWS_SITEMAP``)."""

    mode = "sitemap"
    argument = "sitemap"

    def start_requests(self) -> Iterator[scrapy.Request]:
        yield self.spider.sitemap_request(
            self.spider.settings.get("RFI_NEWS_SITEMAP").format(edition=self.spider.edition)
        )


class MonthSitemap(LinkSource):
    """``-a month=YYYY-MM``: that month's ``contents_YYYYMM.xml``, found through the sitemap index."""

    mode = "month"
    argument = "month"

    def start_requests(self) -> Iterator[scrapy.Request]:
        yield self.spider.sitemap_request(
            self.spider.settings.get("RFI_SITEMAP_INDEX").format(edition=self.spider.edition)
        )

    def sitemaps_to_follow(self, locs: list[str], index_url: str) -> list[str]:
        month = self.spider.month or ""
        wanted_name = contents_sitemap_name(month)
        children = [loc for loc in locs if canonical_path(loc).endswith(f"/{wanted_name}")]
        if not children:
            self.spider.logger.error("%s: the sitemap index lists no sitemap for %s", index_url, month)
            self.spider.crawler.stats.inc_value("rfi_news/sitemap/month_missing")
        return children


class RssFeeds(LinkSource):
    """``-a rss=1``: RFI's own RSS feeds (``RFI_RSS_PATHS``)."""

    mode = "rss"
    argument = "rss"

    def start_requests(self) -> Iterator[scrapy.Request]:
        spider = self.spider
        for path in spider.settings.getdict("RFI_RSS_PATHS").get(spider.edition, []):
            yield scrapy.Request(
                on_origin(path, spider.origin), callback=spider.parse_rss, errback=spider.source_failed
            )


# The sources an argument chooses (at most one: the argument table makes them exclusive), then the default.
LINK_SOURCES: tuple[type[LinkSource], ...] = (NewsSitemap, MonthSitemap, RssFeeds, Listings)
MODES = tuple(source.mode for source in LINK_SOURCES)


def link_source_for(spider: RfiSpider) -> LinkSource:
    chosen = next(source for source in LINK_SOURCES if source.argument is None or getattr(spider, source.argument))
    return chosen(spider)


class RfiSpider(DeclaredArguments, scrapy.Spider):
    """rfi.fr itself: listing pages, sitemaps or RSS, then each article page."""

    name = "rfi"
    # Each article page yields one record: with Scrapy's CONCURRENT_ITEMS (100) the scraper's parallel item
    # processing cost 30-45 % more CPU per page than one at a time, for the same records
    # (benchmarks/bench_rfi_crawl.py). Politeness (concurrency per host, delays, AutoThrottle) is not touched.
    custom_settings = {"CONCURRENT_ITEMS": 1}  # noqa: RUF012 - Scrapy's own class attribute
    arguments = (
        Argument("edition", "cn (simplified) or tw (traditional)", one_of("cn", "tw"), default="cn"),
        Argument("pages", "listing pages read per listing (default: the RFI_PAGES setting, 2)", whole_number),
        Argument("since", "skip articles older than this day", iso_date),
        Argument("listings", "listing paths to read instead of RFI_LISTINGS, comma-separated", comma_list, default=[]),
        Argument("columns", "column names whose listings are read too, comma-separated", comma_list, default=[]),
        Argument("sitemap", "read the news sitemap instead of the listings", one_of("news")),
        Argument("month", "backfill one month through the sitemap index", month),
        Argument("rss", "read RFI's own RSS feeds instead of the listings", flag, default=False),
    )
    exclusive_arguments = (("sitemap", "month", "rss"),)
    edition: str
    pages: int | None
    since: str | None
    listings: list[str]
    columns: list[str]
    sitemap: str | None
    month: str | None
    rss: bool
    origin = ""
    allowed_domains: list[str]  # set in from_crawler: RFI's host and RFI_ORIGIN's
    max_pages = 0

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if redis_url_of(settings):
            # Distributed mode (docs/distributed.md): the workers share one frontier in Redis.
            settings.set("SCHEDULER", "rfi_news.distributed.scheduler.SharedScheduler", priority="spider")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = link_source_for(self)
        self.mode = self.source.mode

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.origin = settings.get("RFI_ORIGIN").rstrip("/")
        spider.max_pages = spider.pages or whole_number(str(settings.get("RFI_PAGES")))
        # Scrapy's OffsiteMiddleware keeps every request (redirects included) on RFI's host and the origin that
        # stands for it; the redirect middlewares refuse the rest with a WARNING.
        spider.allowed_domains = sorted({RFI_HOST, split_url(spider.origin).hostname or RFI_HOST})
        return spider

    # --- Where the links come from -----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        self.logger.info("Mode: %s; edition: %s; fetching from %s", self.mode, self.edition, self.origin)
        for request in self.source.start_requests():
            yield request

    def listing_request(self, url: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            on_origin(url, self.origin),
            callback=self.parse_listing,
            errback=self.source_failed,
            cb_kwargs={"listing_url": url, "page": page},
        )

    def sitemap_request(self, path_or_url: str) -> scrapy.Request:
        return scrapy.Request(
            on_origin(path_or_url, self.origin), callback=self.parse_sitemap, errback=self.source_failed
        )

    def wanted(self, url: str, kind: str) -> bool:
        """An article of this run's edition, not older than ``since``; what is left out is counted.

        A link off RFI's host, or with a scheme other than http(s), is no RFI article: one WARNING naming it and
        ``rfi_news/<kind>/invalid/<reason>`` (``kind``: ``sitemap``, ``rss``).
        """
        if reason := not_rfi_reason(url):
            self.logger.warning("%s link %r skipped: %s", kind, url[:300], reason.replace("_", " "))
            self.crawler.stats.inc_value(f"rfi_news/{kind}/invalid/{reason}")
            return False
        if not is_article_url(url):
            self.logger.info("%r: not an RFI article URL; not fetched", url)
            self.crawler.stats.inc_value("rfi_news/links/not_article")
            return False
        if path_segments(url)[0] != self.edition:
            self.crawler.stats.inc_value("rfi_news/links/other_edition")
            return False
        if self.since and (published := article_date(url)) and published < self.since:
            self.crawler.stats.inc_value("rfi_news/links/older_than_since")
            return False
        return True

    def article_request(self, url: str) -> scrapy.Request:
        article_url = canonical_url(url)
        return scrapy.Request(
            on_origin(article_url, self.origin),
            callback=self.parse_article,
            errback=self.article_failed,
            meta={ARTICLE_URL_META: article_url},
        )

    # --- Listings, sitemaps, RSS --------------------------------------------------------------------------

    @record_kind("listing")
    def parse_listing(self, response: Response, listing_url: str, page: int) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        stats.inc_value("rfi_news/listing/pages")
        listing = read_guarded(self, "listing", response.url, parse_listing, response.body, listing_url)
        if listing is None:  # logged and counted by the guard
            return
        if not listing.articles:
            self.logger.warning("%r: no article cards on the listing page (layout change?)", response.url)
            stats.inc_value("rfi_news/listing/no_cards")
        older = 0
        for article in listing.articles:
            if self.since and article.date and article.date < self.since:
                older += 1
                continue
            if self.wanted(article.url, "listing"):
                stats.inc_value("rfi_news/listing/articles")
                yield self.article_request(article.url)
        if older:
            stats.inc_value("rfi_news/links/older_than_since", older)
            # Listings run newest first: the next page holds only older cards.
            self.logger.info("%r: %d card(s) older than %s; not paging further", response.url, older, self.since)
            return
        if page >= self.max_pages:
            return
        next_url = listing.page_url(page + 1)
        if next_url is None:
            if page == 1 and listing.pages == []:
                self.logger.debug("%r: no pagination", response.url)
            return
        yield self.listing_request(next_url, page=page + 1)

    def sitemap_body(self, response: Response) -> bytes | None:
        """The sitemap's XML: as served, or unpacked from a ``.xml.gz`` (as SitemapSpider does, with Scrapy's
        own gunzip and the same ``DOWNLOAD_MAXSIZE`` bound); ``None`` when it cannot be unpacked within it."""
        if not gzip_magic_number(response):
            return response.body
        max_size = response.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            return gunzip(response.body, max_size=max_size)
        except (OSError, EOFError, ValueError):  # corrupt, cut short, or larger than max_size once unpacked
            return None

    @record_kind("sitemap")
    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        body = self.sitemap_body(response)
        sitemap: SitemapDocument | None = None
        if body is not None:
            try:
                sitemap = read_sitemap(body)
            except InvalidInput:
                sitemap = None
        if sitemap is None:
            self.logger.warning("%r: not a sitemap", response.url)
            stats.inc_value("rfi_news/sitemap/unreadable")
            return
        stats.inc_value(f"rfi_news/sitemap/{sitemap.type}")
        if sitemap.empty_entries:
            self.logger.warning("%r: %d entries without a <loc>", response.url, sitemap.empty_entries)
            stats.inc_value("rfi_news/sitemap/invalid/no_loc", sitemap.empty_entries)
        if sitemap.type == "sitemapindex":
            for child in self.source.sitemaps_to_follow(
                [loc for loc in sitemap.locs if self.wanted_sitemap(loc)], response.url
            ):
                yield self.sitemap_request(child)
            return
        for loc in sitemap.locs:
            stats.inc_value("rfi_news/sitemap/urls")
            if self.wanted(loc, "sitemap"):
                yield self.article_request(loc)

    def wanted_sitemap(self, loc: str) -> bool:
        """A child sitemap on RFI's host; another host's is skipped with a WARNING and counted."""
        if reason := not_rfi_reason(loc):
            self.logger.warning("sitemap link %r skipped: %s", loc[:300], reason.replace("_", " "))
            self.crawler.stats.inc_value(f"rfi_news/sitemap/invalid/{reason}")
            return False
        return True

    @record_kind("rss")
    def parse_rss(self, response: Response) -> Iterator[scrapy.Request]:
        document = read_guarded(self, "rss", response.url, read_feed, response.body)
        if document is None:  # logged and counted by the guard
            return
        if not document.readable:
            self.logger.warning("%r: not an RSS document (%s)", response.url, document.error or "no <rss> root")
            self.crawler.stats.inc_value("rfi_news/rss/unreadable")
            return
        if document.error:
            self.logger.warning("%r: broken XML, keeping the items before the break", response.url)
            self.crawler.stats.inc_value("rfi_news/rss/broken_xml")
        for entry in document.entries:
            self.crawler.stats.inc_value("rfi_news/rss/entries")
            if entry.link and self.wanted(entry.link.strip(), "rss"):
                yield self.article_request(entry.link.strip())

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.logger.warning("%r: could not read this source of links: %s", request.url, failure_message(failure))
        self.crawler.stats.inc_value(f"rfi_news/source/failed/{reason}")

    # --- Article pages ------------------------------------------------------------------------------------

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """``scrapy parse https://www.rfi.fr/cn/…`` picks this spider."""
        return is_rfi_url(request.url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A page given by hand (``scrapy parse URL``): an article page gives its record, a listing its articles.

        @fixture tests/fixtures/rfi/cn_article_2025-11-30_politics_pretty.html https://www.rfi.fr/cn/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E6%B9%BE%E5%A2%9E%E5%8A%A0400%E4%BA%BF%E7%BE%8E%E5%85%83%E5%9B%BD%E9%98%B2%E5%BC%80%E6%94%AF-%E5%8A%A0%E9%80%9F%E9%83%A8%E7%BD%B2t-dome%E9%98%B2%E7%A9%BA%E7%B3%BB%E7%BB%9F
        @returns items 1 1
        @returns requests 0 0
        @scrapes url title published paragraphs language
        """
        url = response.meta.get(ARTICLE_URL_META) or response.url
        if is_article_url(url):
            yield from self.parse_article(response)
        else:
            yield from self.parse_listing(response, listing_url=CANONICAL_ORIGIN + canonical_path(url), page=1)

    @record_kind("page")
    def parse_article(self, response: Response) -> Iterator[Any]:
        """One article page, one record. The crawl's request says the article's canonical URL; a page fetched by
        hand (``scrapy parse --callback parse_article``) is its own.

        @fixture tests/fixtures/rfi/cn_article_2022-02-06_press-review.html https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E6%B3%95%E5%9B%BD%E6%8A%A5%E7%BA%B8%E6%91%98%E8%A6%81/20220206-x
        @returns items 1 1
        @scrapes url title published paragraphs
        """
        # By hand the user chose the page, wherever it was fetched from (a local copy): its path on www.rfi.fr is its
        # identity. A crawl's link from another host never gets here (canonical_url refuses it).
        article_url = response.meta.get(ARTICLE_URL_META) or CANONICAL_ORIGIN + canonical_path(response.url)
        record = read_page_response(self, response, article_url, response.url)
        if record is not None:  # else logged and counted
            yield new_article(**record, provenance=repr(response.url))

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"rfi_news/page/failed/{reason}")
        if is_robots_refusal(failure):
            self.logger.info("%r: disallowed by robots.txt; not fetched", request.url)
        elif failure.check(OffsiteRedirect):  # the redirect middleware's WARNING named both URLs
            self.logger.info("%r: article page not read (%s)", request.url, reason)
        elif not is_dropped(failure):  # a dropped request was logged (and counted) where it was dropped
            self.logger.warning("%r: article page failed: %s", request.url, failure_message(failure))
