"""The crawl state in Redis, for several workers: the interface of :class:`rfi_news.state.CrawlState`.

Keys (``<prefix>:<spider>:…``, see :class:`~rfi_news.distributed.connection.Keys`):

- ``emitted``: hash url → ``{"hash", "updated", "first_emitted", "last_emitted"}``, the articles whose output
  was published (what ``knows`` and ``article_hash`` read);
- ``claims``: hash url → worker id, the articles a worker is emitting and has not published yet. A claim holds
  while its worker is alive (:mod:`rfi_news.distributed.worker`); one of a worker that is gone can be taken;
- ``pending:<worker>``: hash url → ``{"hash", "updated"}``, what the worker's output holds so far;
- ``feeds``: hash url → ``{"etag", "last_modified"}``.

Exactly once, with the crash guarantees of one machine: an article is claimed before its record reaches the
exporter (:class:`rfi_news.distributed.pipelines.ClaimPipeline`), recorded in the worker's pending set as the
exporter takes it, and moved into ``emitted`` by :meth:`RedisCrawlState.commit`, one atomic script, once the
worker's output is published. A worker killed with SIGKILL never commits: its claims lapse with its heartbeat and
the next worker to join drops its pending set, so a later crawl (or another worker) emits those articles.

There is no lock: any number of workers (and runs) share the state; the claims keep them from emitting an article
twice.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Self

import redis
from scrapy.crawler import Crawler

from rfi_news.distributed.connection import Keys, client_of, keys_of, redis_url_of, without_password
from rfi_news.distributed.worker import Worker, worker_of
from rfi_news.state import FeedValidators

logger = logging.getLogger(__name__)

CLAIMED = 1
CLAIMED_ELSEWHERE = 0
ALREADY_EMITTED = -1

# KEYS: claims, emitted. ARGV: url, me, alive prefix, content hash.
_CLAIM = """
local emitted = redis.call('HGET', KEYS[2], ARGV[1])
if emitted and cjson.decode(emitted)['hash'] == ARGV[4] then return -1 end
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[2] and redis.call('EXISTS', ARGV[3] .. owner) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# KEYS: pending, emitted, claims, feeds. ARGV: me, now, then feed url / validators pairs.
_COMMIT = """
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local url = entries[i]
  local record = cjson.decode(entries[i + 1])
  local first = ARGV[2]
  local old = redis.call('HGET', KEYS[2], url)
  if old then first = cjson.decode(old)['first_emitted'] end
  redis.call('HSET', KEYS[2], url, cjson.encode({hash = record['hash'], updated = record['updated'],
    first_emitted = first, last_emitted = ARGV[2]}))
  if redis.call('HGET', KEYS[3], url) == ARGV[1] then redis.call('HDEL', KEYS[3], url) end
end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
return #entries / 2
"""

# KEYS: pending, claims. ARGV: me. Gives up what the worker held without publishing it.
_RELEASE = """
local urls = redis.call('HKEYS', KEYS[1])
for _, url in ipairs(urls) do
  if redis.call('HGET', KEYS[2], url) == ARGV[1] then redis.call('HDEL', KEYS[2], url) end
end
redis.call('DEL', KEYS[1])
return #urls
"""


class RedisCrawlState:
    """One worker's view of a spider's shared state (same methods as :class:`rfi_news.state.CrawlState`)."""

    def __init__(self, client: redis.Redis, keys: Keys, worker: Worker, where: str) -> None:
        self.client = client
        self.keys = keys
        self.worker = worker
        self.path = where  # what the logs name (CrawlStateKeeper logs a state's ``path``)
        self.committed = False
        self._feeds: dict[str, FeedValidators] = {}
        self._claim = client.register_script(_CLAIM)
        self._commit = client.register_script(_COMMIT)
        self._release = client.register_script(_RELEASE)
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        keys = keys_of(crawler)
        url = redis_url_of(crawler.settings) or ""
        return cls(client_of(crawler), keys, worker_of(crawler), f"{without_password(url)} {keys.prefix}:{keys.spider}")

    @property
    def pending_key(self) -> str:
        return self.keys.pending(self.worker.id)

    # --- articles ---
    def article_hash(self, url: str) -> str | None:
        value = self.client.hget(self.keys.emitted, url)
        return json.loads(value)["hash"] if value else None

    def knows(self, url: str) -> bool:
        return bool(self.client.hexists(self.keys.emitted, url))

    def claim(self, url: str, digest: str) -> int:
        """:data:`CLAIMED`, :data:`CLAIMED_ELSEWHERE` (a live worker is emitting it) or :data:`ALREADY_EMITTED`
        (with this very content, published meanwhile by another worker)."""
        return int(
            self._claim(
                keys=[self.keys.claims, self.keys.emitted], args=[url, self.worker.id, self.keys.alive_prefix, digest]
            )
        )

    def record_article(self, url: str, digest: str, updated: str | None) -> None:
        """Note an article the worker's output holds (moved into ``emitted`` by :meth:`commit`)."""
        self.client.hset(self.pending_key, url, json.dumps({"hash": digest, "updated": updated}))

    # --- archive files ---
    # Not kept in Redis: in distributed mode every archive file is read and parsed, and the article hashes above
    # still drop what is unchanged (the digests of the one-machine state are in rfi_news/state.py).
    def knows_file(self, digest: bytes) -> bool:
        return False

    def record_file(self, digest: bytes, url: str) -> None:
        pass

    # --- feeds ---
    def feed_validators(self, url: str) -> FeedValidators | None:
        value = self.client.hget(self.keys.feeds, url)
        if not value:
            return None
        data = json.loads(value)
        return FeedValidators(etag=data.get("etag"), last_modified=data.get("last_modified"))

    def record_feed(self, url: str, validators: FeedValidators) -> None:
        self._feeds[url] = validators

    # --- the run ---
    def commit(self) -> None:
        """Publish what the worker's output holds as emitted: call only once that output is stored."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        feeds: list[str] = []
        for url, validators in self._feeds.items():
            feeds += [url, json.dumps({"etag": validators.etag, "last_modified": validators.last_modified})]
        committed = self._commit(
            keys=[self.pending_key, self.keys.emitted, self.keys.claims, self.keys.feeds],
            args=[self.worker.id, now, *feeds],
        )
        self.committed = True
        logger.info("Crawl state: %d article(s) of this worker recorded as emitted", committed)

    def close(self) -> None:
        """End the worker's part: what it did not commit is released, for another worker or a later run."""
        if self._closed:
            return
        self._closed = True
        if not self.committed:
            released = self._release(keys=[self.pending_key, self.keys.claims], args=[self.worker.id])
            if released:
                logger.warning("Crawl state: %d article(s) not published by this worker released", released)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
