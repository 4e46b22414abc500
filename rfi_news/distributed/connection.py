"""The crawl's Redis client (one per crawler) and the names of the keys every component uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from weakref import WeakKeyDictionary

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy.crawler import Crawler

REDIS_URL_SETTING = "RFI_REDIS_URL"
PREFIX_SETTING = "RFI_REDIS_PREFIX"

# A Redis restart (or a failover of a few seconds) is ridden out by retrying each command, with a backoff capped
# at one second, for about RETRIES seconds; the reactor waits meanwhile (the worker can do nothing without its
# frontier and state anyway). A longer outage makes the command fail: see docs/distributed.md.
RETRIES = 30


def redis_url_of(settings: Any) -> str | None:
    """``RFI_REDIS_URL``: the setting, else the environment variable; ``None`` (distributed mode off)."""
    return settings.get(REDIS_URL_SETTING) or os.environ.get(REDIS_URL_SETTING) or None


def without_password(url: str) -> str:
    """The URL as it may be logged: ``redis://:secret@host:6379/0`` → ``redis://host:6379/0``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), RETRIES),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


@dataclass(frozen=True)
class Keys:
    """Every key of one spider's shared crawl, under ``RFI_REDIS_PREFIX`` (default ``rfi_news``).

    The frontier (``requests``, ``dupefilter``, ``done``) belongs to one crawl and is emptied when a new crawl
    starts; the state (``emitted``, ``feeds``) is kept across crawls, like the SQLite file on one machine. Host
    keys (politeness) are shared by every spider: a site's limits do not depend on which spider asks.
    """

    prefix: str
    spider: str

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{self.spider}:{name}"

    @property
    def requests(self) -> str:
        return self._key("requests")

    @property
    def dupefilter(self) -> str:
        return self._key("dupefilter")

    @property
    def done(self) -> str:
        return self._key("done")

    @property
    def workers(self) -> str:
        return self._key("workers")

    @property
    def alive_prefix(self) -> str:
        return self._key("alive:")

    def alive(self, worker: str) -> str:
        return self.alive_prefix + worker

    def last_pop(self, worker: str) -> str:
        return self._key(f"last_pop:{worker}")

    @property
    def pending_prefix(self) -> str:
        return self._key("pending:")

    def pending(self, worker: str) -> str:
        return self.pending_prefix + worker

    @property
    def claims(self) -> str:
        return self._key("claims")

    @property
    def emitted(self) -> str:
        return self._key("emitted")

    @property
    def feeds(self) -> str:
        return self._key("feeds")

    def role(self, name: str) -> str:
        return self._key(f"role:{name}")

    def host(self, host: str, what: str) -> str:
        return f"{self.prefix}:host:{host}:{what}"

    def all_of_spider(self) -> str:
        """A ``SCAN`` pattern for every key of this spider."""
        return f"{self.prefix}:{self.spider}:*"


_CLIENTS: WeakKeyDictionary[Crawler, redis.Redis] = WeakKeyDictionary()


def client_of(crawler: Crawler) -> redis.Redis:
    """The crawler's one Redis client (the scheduler, the state, the worker and the middleware share it)."""
    if crawler not in _CLIENTS:
        url = redis_url_of(crawler.settings)
        if url is None:
            raise RuntimeError(f"{REDIS_URL_SETTING} is not set")
        _CLIENTS[crawler] = redis_client(url)
    return _CLIENTS[crawler]


def keys_of(crawler: Crawler) -> Keys:
    assert crawler.spidercls is not None
    return Keys(crawler.settings.get(PREFIX_SETTING) or "rfi_news", crawler.spidercls.name)
