"""The ``rfi`` spider's shared frontier: scrapy-redis's scheduler, queue and seen-requests filter.

:class:`SharedScheduler` is scrapy-redis's ``Scheduler`` built on the crawl's one Redis client and key names
(:mod:`rfi_news.distributed.connection`), with three changes made at its extension points:

- requests are stored as JSON (:mod:`rfi_news.distributed.serializer`), never pickled;
- the queue is :class:`SharedPriorityQueue`, which marks the worker busy in the same atomic step as it takes a
  request (see :mod:`rfi_news.distributed.worker`, which decides when a worker may end);
- "seen" and "queued" are one atomic script (scrapy-redis does an ``SADD`` then a ``ZADD``), and a pop is
  idempotent: a command retried after a Redis restart cut off its reply neither loses nor repeats a request;
- the frontier always persists (``SCHEDULER_PERSIST``): the first worker to close must not empty the queue and
  the filter the others still use. A new crawl empties them when it starts (:meth:`Worker.join`).

Its stats calls are Scrapy 2.19's (no ``spider=`` argument, deprecated). A request the crawl already queued or
fetched (by this worker or another) is counted as ``rfi_news/distributed/already_seen``: a worker whose start
requests were all taken by others ends with that count and no record, which its health report accepts.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from rfi_news.distributed import serializer
from rfi_news.distributed.connection import client_of, keys_of
from rfi_news.distributed.worker import POP_AND_MARK_BUSY, SEE_AND_PUSH, Worker, worker_of

logger = logging.getLogger(__name__)

QUEUE_CLASS = "rfi_news.distributed.scheduler.SharedPriorityQueue"


class SharedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set, best priority first) whose ``pop`` marks the worker busy."""

    worker: Worker | None = None
    stats: StatsCollector | None = None

    def pop(self, timeout: int = 0) -> Request | None:
        """The next request; queued data that is not a request of this spider is dropped with a warning
        (``rfi_news/distributed/refused_requests``) and the next one is taken."""
        assert self.worker is not None, "the scheduler gives the queue its worker"
        assert self.stats is not None, "and its stats"
        while True:
            try:
                data = self.server.eval(
                    POP_AND_MARK_BUSY,
                    3,
                    self.key,
                    self.worker.alive_key,
                    self.worker.last_pop_key,
                    self.worker.ttl_ms,
                    uuid.uuid4().hex,
                )
                if not data:
                    return None
                self.worker.busy = True
                request: Request = self._decode_request(data)
            # Not UTF-8 (a pickle, say: taken off the queue by the script, refused as its reply is decoded), not
            # JSON, not a request the serializer allows, or naming no method of the spider.
            except (ValueError, TypeError, KeyError) as exc:
                logger.warning("Refused a queued request in %s: %s", self.key, exc)
                self.stats.inc_value("rfi_news/distributed/refused_requests")
                continue
            return request


class SharedScheduler(Scheduler):
    crawler_stats: StatsCollector | None = None
    worker: Worker | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        client = client_of(crawler)
        keys = keys_of(crawler)
        client.ping()  # fail at start, loudly, when Redis is unreachable or refuses the password
        scheduler = cls(
            server=client,
            persist=True,
            flush_on_start=False,
            queue_key=keys.requests,
            queue_cls=QUEUE_CLASS,
            dupefilter=RFPDupeFilter(client, key=keys.dupefilter, debug=settings.getbool("DUPEFILTER_DEBUG")),
            dupefilter_key=keys.dupefilter,
            idle_before_close=0,
            serializer=serializer,
        )
        scheduler.crawler_stats = crawler.stats
        scheduler.worker = worker_of(crawler)
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's open(), without its deprecated Spider.log() call and with the queue given its worker.
        self.spider = spider
        self.queue = SharedPriorityQueue(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer
        )
        self.queue.worker = self.worker
        self.queue.stats = self.crawler_stats
        if queued := len(self.queue):
            logger.info("Shared queue of %s: %d request(s) waiting", spider.name, queued)

    def enqueue_request(self, request: Request) -> bool:
        assert self.crawler_stats is not None
        if request.dont_filter:
            self.queue.push(request)
        elif not self.server.eval(
            SEE_AND_PUSH,
            2,
            self.df.key,
            self.queue.key,
            self.df.request_fingerprint(request),
            -request.priority,
            self.queue._encode_request(request),
        ):
            self.df.log(request, self.spider)
            self.crawler_stats.inc_value("rfi_news/distributed/already_seen")
            return False
        self.crawler_stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        assert self.crawler_stats is not None
        request: Request | None = self.queue.pop()
        if request is not None:
            self.crawler_stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason: str) -> Any:
        return None  # SCHEDULER_PERSIST: the other workers still use the queue and the filter
