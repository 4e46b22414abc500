"""The worker's life in a shared crawl: join, heartbeat, count what it fetched, end when the crawl is drained."""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request, Response
from twisted.internet import task

from rfi_news.distributed.connection import redis_url_of, without_password
from rfi_news.distributed.worker import Worker, worker_of

logger = logging.getLogger(__name__)


class DistributedWorker:
    """On only with ``RFI_REDIS_URL``. Joins the shared crawl when the spider opens (a new crawl, or the one the
    other workers are running), beats every ``RFI_REDIS_HEARTBEAT`` seconds, counts each page it fetched in the
    crawl's ``done`` counter, and keeps the spider open while the shared queue is empty but another worker is
    busy (its callbacks may queue more requests): a worker ends by itself only once the whole crawl is drained,
    so a Scrapyd job finishes. It leaves when the engine stops, after the crawl state was committed.

    Stats: ``rfi_news/distributed/new_crawl`` (1 when this worker started the crawl),
    ``rfi_news/distributed/workers_at_join`` (other workers alive then), ``rfi_news/distributed/waited_idle``
    (times it stayed open for a busy worker).
    """

    def __init__(self, crawler: Crawler, worker: Worker) -> None:
        self.crawler = crawler
        self.worker = worker
        self.heartbeat = task.LoopingCall(self.beat)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = redis_url_of(crawler.settings)
        if url is None:
            raise NotConfigured
        extension = cls(crawler, worker_of(crawler))
        logger.info("Distributed mode: worker %s on %s", extension.worker.id, without_password(url))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        new_crawl, others = self.worker.join()
        stats = self.crawler.stats
        stats.set_value("rfi_news/distributed/worker", self.worker.id)
        stats.set_value("rfi_news/distributed/new_crawl", int(new_crawl))
        stats.set_value("rfi_news/distributed/workers_at_join", others)
        if new_crawl:
            logger.info("Worker %s starts a new crawl of %s", self.worker.id, spider.name)
        else:
            logger.info(
                "Worker %s joins the crawl of %s (%d other worker(s) alive)", self.worker.id, spider.name, others
            )
        self.heartbeat.start(self.worker.heartbeat_seconds, now=False)

    def beat(self) -> None:
        stats = self.crawler.stats
        try:
            self.worker.beat(
                fetched=stats.get_value("response_received_count", 0),
                records=stats.get_value("item_scraped_count", 0),
            )
        except Exception as exc:  # an outage must not stop the heartbeat: the next beat tries again
            logger.warning("Worker heartbeat failed: %s", exc)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if not request.url.startswith("data:"):
            self.worker.client.incr(self.worker.keys.done)

    def spider_idle(self, spider: Spider) -> None:
        # Called only when this worker holds nothing and the shared queue is empty.
        self.worker.mark_idle()
        if self.worker.others_busy():
            self.crawler.stats.inc_value("rfi_news/distributed/waited_idle")
            raise DontCloseSpider

    def engine_stopped(self) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        self.worker.leave()
        logger.info("Worker %s left the crawl", self.worker.id)
