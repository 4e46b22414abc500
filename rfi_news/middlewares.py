"""Downloader middlewares: a site that pushes back (``Retry-After`` honoured, 403 treated as "blocked"); article
pages already emitted not fetched again (with the crawl state on); redirects off the allowed hosts refused."""

from __future__ import annotations

import email.utils
import logging
import math
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh, response_status_message

from rfi_news.state import CrawlStateBackend, required_crawl_state

logger = logging.getLogger(__name__)

BLOCKED_STATUS = 403


class HostBlocked(IgnoreRequest):
    """A request not sent because its host has been refusing every request (403)."""


_DELAY_SECONDS_RE = re.compile(r"[0-9]{1,20}")  # ASCII digits only: "²".isdigit() is true, float("²") raises
_MAX_HEADER_LENGTH = 200


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` (delay in seconds, or an HTTP date) as seconds from ``now``; ``None`` if absent or bad.

    Never raises: a header the server got wrong (``²``, an overflowing date, a kilobyte of digits) is no wait.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_HEADER_LENGTH:
        return None
    text = value.strip()
    if _DELAY_SECONDS_RE.fullmatch(text):
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
        if moment.tzinfo is None:  # RFC 9110 dates are GMT
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
    # The email parser raises more than it documents on odd input; a date at datetime's ends overflows.
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, which for ``RETRY_AFTER_CODES`` (429, 503) first waits what ``Retry-After`` asks.

    The wait is capped by ``RETRY_AFTER_MAX`` seconds: a server that asks for longer is not retried (the
    request is given up, logged and counted), because a crawl cannot usefully hold a request for that long.
    Only the answered request waits; the other requests go on at the crawl's own pace.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.retry_after_codes = {int(code) for code in settings.getlist("RETRY_AFTER_CODES")}
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        reason = response_status_message(response.status)
        if response.status in self.retry_after_codes:
            header = response.headers.get(b"Retry-After")
            wait = retry_after_seconds(header.decode("latin-1") if header else None)
            if wait is not None:
                if wait > self.retry_after_max:
                    logger.warning(
                        "%s asks to wait %.0f s (Retry-After), more than RETRY_AFTER_MAX=%.0f s; not retrying %s",
                        urlparse_cached(request).hostname,
                        wait,
                        self.retry_after_max,
                        request.url,
                    )
                    stats.inc_value("rfi_news/retry_after/too_long")
                    return response
                retry = self._retry(request, reason)
                if retry is None:
                    return response
                stats.inc_value("rfi_news/retry_after/waited")
                stats.inc_value("rfi_news/retry_after/seconds", math.ceil(wait))
                logger.info("Waiting %.1f s (Retry-After) before retrying %s", wait, request.url)
                await sleep(wait)
                return retry
        return self._retry(request, reason) or response


class BlockedSiteMiddleware:
    """403 is "blocked", not "empty": never retried, counted, and after ``BLOCKED_AFTER`` 403s in a row from a
    host no more requests go to it. When the spider goes idle having had nothing but 403s (robots.txt aside),
    the run closes with the reason ``blocked``; a run that met a 403 ends with one summary line per host.

    Stats: ``rfi_news/blocked/403`` (403 answers), ``rfi_news/blocked/hosts`` (hosts given up on),
    ``rfi_news/blocked/skipped`` (requests not sent because their host was given up on).
    """

    def __init__(self, crawler: Crawler, blocked_after: int) -> None:
        self.crawler = crawler
        self.blocked_after = blocked_after
        self.sent: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()  # any answer but a 403
        self.refused_in_a_row: Counter[str] = Counter()
        self.blocked_hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler, crawler.settings.getint("BLOCKED_AFTER"))
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @staticmethod
    def host(request: Request) -> str:
        return urlparse_cached(request).netloc

    @staticmethod
    def is_robots_txt(request: Request) -> bool:
        # rfi.fr served robots.txt while it refused every page: its answer says nothing about being blocked.
        return urlparse_cached(request).path == "/robots.txt"

    def process_request(self, request: Request) -> None:
        if self.is_robots_txt(request):
            return
        host = self.host(request)
        if host in self.blocked_hosts:
            self.crawler.stats.inc_value("rfi_news/blocked/skipped")
            raise HostBlocked(f"{host} is refusing requests (403); not sent: {request.url}")
        self.sent[host] += 1

    def process_response(self, request: Request, response: Response) -> Response:
        if self.is_robots_txt(request):
            return response
        host = self.host(request)
        if response.status != BLOCKED_STATUS:
            self.answered[host] += 1
            self.refused_in_a_row[host] = 0
            return response
        stats = self.crawler.stats
        stats.inc_value("rfi_news/blocked/403")
        self.refused[host] += 1
        self.refused_in_a_row[host] += 1
        if self.refused_in_a_row[host] >= self.blocked_after and host not in self.blocked_hosts:
            self.blocked_hosts.add(host)
            stats.inc_value("rfi_news/blocked/hosts")
            logger.error(
                "%s refused %d requests in a row (403): sending it no more requests in this run",
                host,
                self.refused_in_a_row[host],
            )
        return response

    def spider_idle(self, spider: Spider) -> None:
        if self.refused and not any(self.answered.values()):
            raise CloseSpider("blocked")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for host, refused in sorted(self.refused.items()):
            level = logging.WARNING if self.answered[host] else logging.ERROR
            logger.log(level, "%s refused %d of %d requests (403)", host, refused, self.sent[host])


# The contract with the spiders: a request for an article page carries the article's canonical url here.
ARTICLE_URL_META = "rfi_article_url"


class KnownArticleMiddleware:
    """With the crawl state on, an article page already emitted is not fetched again (``rfi_news/state/skipped``).

    A run with nothing new then fetches only feeds and listing pages. Off when ``RFI_STATE_DIR`` is unset.
    """

    def __init__(self, stats: StatsCollector, state: CrawlStateBackend) -> None:
        self.stats = stats
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats, required_crawl_state(crawler))

    def process_request(self, request: Request) -> None:
        url = request.meta.get(ARTICLE_URL_META)
        if url and self.state.knows(url):
            self.stats.inc_value("rfi_news/state/skipped")
            raise IgnoreRequest(f"{url}: already emitted")


class OffsiteRedirect(IgnoreRequest):
    """A redirect (HTTP or meta refresh) to a host off the spider's ``allowed_domains``: not followed."""


class _RefusesOffsiteRedirects:
    """What the two redirect middlewares below add to Scrapy's: a redirect off the allowed hosts is refused.

    Scrapy's OffsiteMiddleware would drop the redirected request, but it logs at DEBUG, and not at all for a
    ``dont_filter`` request (feeds are asked for with it). Here such a redirect ends the request with one WARNING
    naming both URLs (``rfi_news/offsite/redirect_refused``), and the response that asked for it is not parsed.
    """

    crawler: Crawler

    def is_allowed(self, url: str) -> bool:
        """On one of the spider's ``allowed_domains`` (or a subdomain), as Scrapy's OffsiteMiddleware decides: by
        host name, whatever the port (``scrapy.utils.url.url_is_from_any_domain`` compares the netloc, port and
        all, so a redirect within ``127.0.0.1:8123`` would look off-site)."""
        allowed = getattr(self.crawler.spider, "allowed_domains", None)
        if not allowed:
            return True
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:  # an unsplittable target is no allowed host
            return False
        return any(host == domain.lower() or host.endswith("." + domain.lower()) for domain in allowed)

    def refuse(self, request: Request, target: str, how: str) -> None:
        self.crawler.stats.inc_value("rfi_news/offsite/redirect_refused")
        logger.warning(
            "%r redirects (%s) to %r, off the allowed hosts: not followed, not read", request.url, how, target
        )
        raise OffsiteRedirect(f"{how} to {target!r}: off the allowed hosts")


class AllowedHostsRedirectMiddleware(_RefusesOffsiteRedirects, RedirectMiddleware):
    """Scrapy's RedirectMiddleware (3xx ``Location``), refusing redirects off the allowed hosts."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request) and not self.is_allowed(result.url):
            self.refuse(request, result.url, f"HTTP {response.status}")
        return result


class AllowedHostsMetaRefreshMiddleware(_RefusesOffsiteRedirects, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, refusing a ``<meta http-equiv=refresh>`` off the allowed hosts whatever
    its delay: a page that sends its reader elsewhere is not read as an article either."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if isinstance(response, HtmlResponse) and not request.meta.get("dont_redirect", False):
            try:
                _, target = get_meta_refresh(response, ignore_tags=self._ignore_tags)
            except ValueError:  # an unreadable refresh is no redirect
                target = None
            if target and not self.is_allowed(target):
                self.refuse(request, target, "meta refresh")
        return super().process_response(request, response)
