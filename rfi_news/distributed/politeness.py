"""Politeness for the whole crawl, not per worker: per-host delay and concurrency, ``Retry-After`` and the 403
block held in Redis and obeyed by every worker.

:class:`SharedPolitenessMiddleware` (a downloader middleware, after the HTTP cache and before the WARC capture, the last ones before the download handler) takes, for each
request, a lease on its host in ``<prefix>:host:<host>:leases`` (a sorted set of leases with an expiry, at most
``CONCURRENT_REQUESTS_PER_DOMAIN`` of them, across every worker), only once the host's next allowed start,
``<prefix>:host:<host>:next``, has come; taking it moves that start ``DOWNLOAD_DELAY`` on. Both in one atomic
script on Redis's clock (so the machines' clocks do not matter). Until then the request waits asynchronously (the
worker's other hosts and callbacks go on) and asks again; the lease is given back with the answer.

A ``Retry-After`` answer (``RETRY_AFTER_CODES``, at most ``RETRY_AFTER_MAX`` seconds) moves the host's next start
that far for every worker; :class:`rfi_news.middlewares.RetryAfterMiddleware` still retries the request itself.
``BLOCKED_AFTER`` 403 answers in a row from a host, whichever workers got them, block it for every worker for
``RFI_REDIS_BLOCK_SECONDS`` (default an hour): its requests are not sent (:class:`~rfi_news.middlewares.HostBlocked`).

Each worker's own Scrapy slot still applies ``DOWNLOAD_DELAY``, AutoThrottle and the per-domain concurrency to
its own requests, on top: it can only make the crawl slower. Off unless ``RFI_REDIS_URL`` is set; off too with
``RFI_REDIS_POLITENESS=False`` (benchmarks and tests against a local site).
"""

from __future__ import annotations

import logging
import uuid
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from rfi_news.distributed.connection import Keys, client_of, keys_of, redis_url_of
from rfi_news.middlewares import BLOCKED_STATUS, HostBlocked, retry_after_seconds

logger = logging.getLogger(__name__)

LEASE_META = "rfi_host_lease"
POLITENESS_SETTING = "RFI_REDIS_POLITENESS"
BLOCK_SECONDS_SETTING = "RFI_REDIS_BLOCK_SECONDS"

# KEYS: leases, next. ARGV: token, lease ms, concurrency, delay ms.
# 0: leased, send now. > 0: milliseconds until the host's next start (ask again then: a Retry-After may move it
# meanwhile, so nothing is reserved ahead). -1: every lease taken (ask again shortly).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = tonumber(redis.call('GET', KEYS[2]) or '0')
if start > now then return start - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
local delay = tonumber(ARGV[4])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 600000) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 0
"""

# KEYS: next. ARGV: wait ms. No start on the host before now + wait.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1]) + 600000)
end
return until_
"""

# KEYS: refused in a row, blocked. ARGV: blocked after, block seconds. 1 when this answer blocked the host.
_REFUSED = """
local row = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if row >= tonumber(ARGV[1]) and redis.call('SET', KEYS[2], row, 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""


class SharedPolitenessMiddleware:
    def __init__(self, crawler: Crawler, keys: Keys) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.client = client_of(crawler)
        self.keys = keys
        self.delay_ms = int(settings.getfloat("DOWNLOAD_DELAY") * 1000)
        self.concurrency = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        # A lease outlives the longest download, so that a worker killed mid-download frees its lease by itself.
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + 10) * 1000)
        self.poll_seconds = min(0.25, max(0.02, self.delay_ms / 4000))
        self.retry_after_codes = {int(code) for code in settings.getlist("RETRY_AFTER_CODES")}
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")
        self.blocked_after = settings.getint("BLOCKED_AFTER")
        self.block_seconds = settings.getint(BLOCK_SECONDS_SETTING, 3600)
        self._acquire = self.client.register_script(_ACQUIRE)
        self._hold = self.client.register_script(_HOLD)
        self._refused = self.client.register_script(_REFUSED)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if redis_url_of(crawler.settings) is None or not crawler.settings.getbool(POLITENESS_SETTING, True):
            raise NotConfigured
        return cls(crawler, keys_of(crawler))

    @staticmethod
    def host_of(request: Request) -> str | None:
        parsed = urlparse_cached(request)
        return parsed.netloc if parsed.scheme in ("http", "https") else None

    async def process_request(self, request: Request) -> None:
        host = self.host_of(request)
        if host is None:
            return
        stats = self.crawler.stats
        if self.client.exists(self.keys.host(host, "blocked")) and urlparse_cached(request).path != "/robots.txt":
            stats.inc_value("rfi_news/blocked/skipped")
            raise HostBlocked(
                f"{host} is refusing requests (403, seen by the crawl's workers); not sent: {request.url}"
            )
        token = uuid.uuid4().hex
        leases, next_start = self.keys.host(host, "leases"), self.keys.host(host, "next")
        waited = 0.0
        while wait_ms := int(
            self._acquire(keys=[leases, next_start], args=[token, self.lease_ms, self.concurrency, self.delay_ms])
        ):
            pause = self.poll_seconds if wait_ms < 0 else wait_ms / 1000
            await sleep(pause)
            waited += pause
        request.meta[LEASE_META] = (host, token)
        if waited:
            stats.inc_value("rfi_news/politeness/waits")
            stats.inc_value("rfi_news/politeness/waited_ms", int(waited * 1000))

    def release(self, request: Request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease is not None:
            host, token = lease
            self.client.zrem(self.keys.host(host, "leases"), token)

    def process_response(self, request: Request, response: Response) -> Response:
        self.release(request)
        host = self.host_of(request)
        if host is None or urlparse_cached(request).path == "/robots.txt":
            return response
        if response.status in self.retry_after_codes:
            header = response.headers.get(b"Retry-After")
            wait = retry_after_seconds(header.decode("latin-1") if header else None)
            if wait is not None and 0 < wait <= self.retry_after_max:
                self._hold(keys=[self.keys.host(host, "next")], args=[int(wait * 1000)])
                self.crawler.stats.inc_value("rfi_news/politeness/retry_after_held")
        if response.status == BLOCKED_STATUS:
            if self._refused(
                keys=[self.keys.host(host, "refused"), self.keys.host(host, "blocked")],
                args=[self.blocked_after, self.block_seconds],
            ):
                logger.error(
                    "%s refused %d requests in a row (403) across the crawl's workers: no worker sends it more "
                    "requests for %d s",
                    host,
                    self.blocked_after,
                    self.block_seconds,
                )
        else:
            self.client.delete(self.keys.host(host, "refused"))
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.release(request)
