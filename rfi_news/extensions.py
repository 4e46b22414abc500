"""Small crawl extensions."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.serialize import ScrapyJSONEncoder

from rfi_news.health import STATUS_STAT, SUMMARY_ON_STDERR_SETTING, SUMMARY_STAT, UNHEALTHY
from rfi_news.state import CrawlStateBackend, StateLockedError, content_hash, crawl_state

logger = logging.getLogger(__name__)


class StatsFile:
    """Writes the crawl's final stats as JSON to ``STATS_FILE`` when the spider closes.

    Schedulers and tests read the figures there instead of parsing the log. The file is written under a
    temporary name and renamed, so a reader never sees half of it.
    """

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, path)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(
            json.dumps(stats, cls=ScrapyJSONEncoder, ensure_ascii=False, sort_keys=True, indent=1), encoding="utf-8"
        )
        temporary.replace(self.path)


class CrawlStateKeeper:
    """Opens the spider's crawl state (``RFI_STATE_DIR``) for the run and commits it once the output is safe.

    It is built before anything else of the crawl, so a run refused for the lock (another run of the spider holds
    the state) stops before it opens any output, queue or connection. What the run emitted is recorded as the
    exporter receives it, and committed when every feed of the run was stored (``feed_exporter_closed``, which
    Scrapy sends after the last ``store()``): an article counts as emitted only once its line is on disk.
    """

    def __init__(self, crawler: Crawler, state: CrawlStateBackend) -> None:
        self.crawler = crawler
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        try:
            state = crawl_state(crawler)
        except StateLockedError as exc:
            logger.error("Not running %s: %s", crawler.spidercls.name if crawler.spidercls else "the spider", exc)
            raise
        if state is None:
            raise NotConfigured
        keeper = cls(crawler, state)
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(keeper.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(keeper.engine_stopped, signal=signals.engine_stopped)
        return keeper

    def spider_opened(self, spider: Spider) -> None:
        logger.info("Crawl state: %s (only new and changed articles are emitted)", self.state.path)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        adapter = ItemAdapter(item)
        self.state.record_article(adapter["url"], content_hash(adapter), adapter.get("updated"))

    def feed_exporter_closed(self) -> None:
        stats = self.crawler.stats.get_stats()
        failed = {key: value for key, value in stats.items() if key.startswith("feedexport/failed_count/")}
        if failed:
            logger.error("Output not stored (%s): the crawl state is left as it was; the next run emits again", failed)
            return
        self.state.commit()
        self.crawler.stats.set_value("rfi_news/state/committed", True)
        logger.info("Crawl state committed: %s", self.state.path)

    def engine_stopped(self) -> None:
        if not self.state.committed:
            logger.warning("Crawl state not committed (no output was published): %s", self.state.path)
        self.state.close()


class HealthSummary:
    """Repeats the run's health verdict (written by :class:`rfi_news.monitors.HealthReport`) as the last
    paragraph of the log, after Scrapy's stats dump and "Spider closed", where a person reading the end of a
    log file looks first.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        if self.crawler.settings.getbool(SUMMARY_ON_STDERR_SETTING) and not self.crawler.settings.get("LOG_FILE"):
            return  # the log is stderr, where the crawl command writes the summary itself
        summary = self.crawler.stats.get_value(SUMMARY_STAT)
        if summary is None:
            logger.error("Run health: UNKNOWN: the monitors did not report (see the Spidermon lines above)")
        elif self.crawler.stats.get_value(STATUS_STAT) == UNHEALTHY:
            logger.error(summary)
        else:
            logger.info(summary)
