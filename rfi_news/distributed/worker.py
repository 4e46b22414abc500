"""One worker of a shared crawl: its registration and heartbeat in Redis, and when it may end.

A worker is alive while its key ``<prefix>:<spider>:alive:<id>`` exists: the heartbeat sets it every
``RFI_REDIS_HEARTBEAT`` seconds with an expiry of ``RFI_REDIS_WORKER_TTL`` seconds, so a worker killed with
SIGKILL (or cut off from Redis) counts as gone after at most that long. Its value says whether the worker is
``busy`` (it took a request from the shared queue and has not been idle since) or ``idle``. Taking a request and
saying ``busy`` are one atomic step (:data:`POP_AND_MARK_BUSY`), so no other worker can see an empty queue and
nobody busy while a request is in a worker's hands.

Joining (:meth:`Worker.join`) forgets the workers that are gone (their unpublished pending sets and their
claims) and, when no worker is alive and the shared queue is empty, starts a new crawl: the seen-requests filter
and the ``done`` count of the last crawl are dropped, so the spider's start requests are not filtered as seen.
When the queue still holds requests and no worker is alive, an interrupted crawl is resumed instead.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import redis
from scrapy.crawler import Crawler

from rfi_news.distributed.connection import Keys, client_of, keys_of

logger = logging.getLogger(__name__)

HEARTBEAT_SETTING = "RFI_REDIS_HEARTBEAT"
TTL_SETTING = "RFI_REDIS_WORKER_TTL"

BUSY = "busy"
IDLE = "idle"

# KEYS: workers, requests, dupefilter, done, claims. ARGV: alive prefix, pending prefix, me, ttl ms, my info.
_JOIN = """
local workers = redis.call('HKEYS', KEYS[1])
local live, gone = 0, {}
for _, id in ipairs(workers) do
  if id ~= ARGV[3] then
    if redis.call('EXISTS', ARGV[1] .. id) == 1 then live = live + 1
    else gone[id] = true; redis.call('HDEL', KEYS[1], id); redis.call('DEL', ARGV[2] .. id) end
  end
end
if next(gone) ~= nil then
  local claims = redis.call('HGETALL', KEYS[5])
  for i = 1, #claims, 2 do
    if gone[claims[i + 1]] then redis.call('HDEL', KEYS[5], claims[i]) end
  end
end
local new_crawl = 0
if live == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[3], KEYS[4]); new_crawl = 1
end
redis.call('SET', ARGV[1] .. ARGV[3], 'idle', 'PX', ARGV[4])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[5])
return {new_crawl, live}
"""

# KEYS: workers. ARGV: alive prefix, me. The number of other workers alive and busy.
_OTHERS_BUSY = """
local busy = 0
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  if id ~= ARGV[2] and redis.call('GET', ARGV[1] .. id) == 'busy' then busy = busy + 1 end
end
return busy
"""

# KEYS: queue, my alive key, my last pop. ARGV: ttl ms, this pop's token.
# The best request (lowest score), taken and marked busy atomically. The client retries a command whose reply a
# Redis restart cut off; a retried pop (same token) gets the request the first one took instead of taking another,
# which would be lost to the crawl.
POP_AND_MARK_BUSY = """
local last = redis.call('GET', KEYS[3])
if last and string.sub(last, 1, #ARGV[2] + 1) == ARGV[2] .. '|' then return string.sub(last, #ARGV[2] + 2) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('SET', KEYS[2], 'busy', 'PX', ARGV[1])
redis.call('SET', KEYS[3], ARGV[2] .. '|' .. first[1], 'PX', ARGV[1])
return first[1]
"""

# KEYS: seen filter, queue. ARGV: fingerprint, score, request. Seen and queued in one step: a retried call (its
# first reply cut off) finds the request seen and queued already, never seen and lost.
SEE_AND_PUSH = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: role key. ARGV: alive prefix, me, ttl ms. 1 when the role is (now) mine: free, mine, or held by a gone worker.
_TAKE_ROLE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. holder) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


def new_worker_id() -> str:
    """``<host>-<pid>-<random>``: unique across machines and across restarts of the same process id."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, client: redis.Redis, keys: Keys, *, heartbeat: float, ttl: float) -> None:
        if ttl <= heartbeat:
            raise ValueError(f"{TTL_SETTING} ({ttl}) must be longer than {HEARTBEAT_SETTING} ({heartbeat})")
        self.client = client
        self.keys = keys
        self.id = new_worker_id()
        self.heartbeat_seconds = heartbeat
        self.ttl_ms = int(ttl * 1000)
        self.busy = False
        self.started = datetime.now(UTC).replace(microsecond=0).isoformat()
        self._join = client.register_script(_JOIN)
        self._others_busy = client.register_script(_OTHERS_BUSY)
        self._take_role = client.register_script(_TAKE_ROLE)

    @property
    def alive_key(self) -> str:
        return self.keys.alive(self.id)

    @property
    def last_pop_key(self) -> str:
        return self.keys.last_pop(self.id)

    def info(self, **extra: Any) -> str:
        return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "since": self.started, **extra})

    def join(self) -> tuple[bool, int]:
        """Register; ``(True, 0)`` when this worker starts a new crawl, else ``(False, other workers alive)``."""
        k = self.keys
        new_crawl, live = self._join(
            keys=[k.workers, k.requests, k.dupefilter, k.done, k.claims],
            args=[k.alive_prefix, k.pending_prefix, self.id, self.ttl_ms, self.info()],
        )
        return bool(new_crawl), int(live)

    def beat(self, **extra: Any) -> None:
        with self.client.pipeline() as pipe:
            pipe.set(self.alive_key, BUSY if self.busy else IDLE, px=self.ttl_ms)
            pipe.hset(self.keys.workers, self.id, self.info(**extra))
            pipe.execute()

    def mark_idle(self) -> None:
        if self.busy:
            self.busy = False
            self.client.set(self.alive_key, IDLE, px=self.ttl_ms)

    def others_busy(self) -> int:
        return int(self._others_busy(keys=[self.keys.workers], args=[self.keys.alive_prefix, self.id]))

    def take_role(self, name: str) -> bool:
        """Hold a role (``feed_reader``, say) for as long as this worker is alive; ``False`` if another holds it."""
        return bool(self._take_role(keys=[self.keys.role(name)], args=[self.keys.alive_prefix, self.id, self.ttl_ms]))

    def is_alive(self, worker_id: str) -> bool:
        return bool(self.client.exists(self.keys.alive(worker_id)))

    def leave(self) -> None:
        with self.client.pipeline() as pipe:
            pipe.delete(self.alive_key, self.last_pop_key)
            pipe.hdel(self.keys.workers, self.id)
            pipe.execute()


_WORKERS: WeakKeyDictionary[Crawler, Worker] = WeakKeyDictionary()


def worker_of(crawler: Crawler) -> Worker:
    """The crawler's one :class:`Worker` (the scheduler, the state and the worker extension share it)."""
    if crawler not in _WORKERS:
        settings = crawler.settings
        _WORKERS[crawler] = Worker(
            client_of(crawler),
            keys_of(crawler),
            heartbeat=settings.getfloat(HEARTBEAT_SETTING, 5.0),
            ttl=settings.getfloat(TTL_SETTING, 30.0),
        )
    return _WORKERS[crawler]
