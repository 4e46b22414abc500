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

from rfi_news.feedstorage import (
    LEFTOVERS_STAT,
    STORAGE_FAILED_STAT,
    CheckpointFeedExporter,
    local_folders,
    recover_publications,
    remove_leftovers,
    storage_failed,
)
from rfi_news.files import write_atomically
from rfi_news.health import STATUS_STAT, SUMMARY_ON_STDERR_SETTING, SUMMARY_STAT, UNHEALTHY
from rfi_news.state import CrawlState, CrawlStateBackend, RunRefused, StateWriteError, content_hash, open_state

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
        try:
            write_atomically(
                self.path, json.dumps(stats, cls=ScrapyJSONEncoder, ensure_ascii=False, sort_keys=True, indent=1)
            )
        except OSError as exc:
            logger.error("Could not write the stats file %s: %s", self.path, exc.strerror or exc)


class CrawlStateKeeper:
    """The one owner of the spider's crawl state (``RFI_STATE_DIR``): opens it for the run, ends the run with it.

    Built before anything else of the crawl, so a run refused (another run holds the state, the state is damaged
    or cannot be opened) stops before it opens any output, queue or connection, with one line that says why.
    Holding the lock, it first completes or drops what a killed run left half-published
    (:func:`rfi_news.feedstorage.recover_publications`) and removes the part files dead runs left. Everyone else
    reaches the state through the crawler: :func:`rfi_news.state.crawl_state`.

    Articles count as emitted with the file that holds them (see :mod:`rfi_news.feedstorage`); the rest of what
    the run learned (feeds' validators) is committed by :meth:`finish_run`, once the last file is published.
    """

    def __init__(self, crawler: Crawler, state: CrawlStateBackend) -> None:
        self.crawler = crawler
        self.state = state
        self.finished = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        name = crawler.spidercls.name if crawler.spidercls else "the spider"
        try:
            state = open_state(crawler)
            if state is None:
                raise NotConfigured
            keeper = cls(crawler, state)
            keeper.recover()
        except RunRefused as exc:
            logger.error("Not running %s: %s", name, exc)
            raise
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(keeper.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(keeper.engine_stopped, signal=signals.engine_stopped)
        return keeper

    def recover(self) -> None:
        try:
            completed, dropped = recover_publications(self.state)
        except (OSError, StateWriteError) as exc:
            self.state.close()
            raise RunRefused(
                f"could not complete what a killed run left half-published ({exc}); fix the cause and run again"
            ) from None
        for publication in completed:
            logger.warning(
                "Completed the publication a killed run left half-done: %s (%d article(s))",
                publication.target,
                len(publication.articles),
            )
        for publication in dropped:
            logger.warning(
                "A killed run's file is gone, neither %s nor its part is there: its %d article(s) are emitted again",
                publication.target,
                len(publication.articles),
            )
        assert self.crawler.spidercls is not None
        spider_name = self.crawler.spidercls.name
        removed: list[Path] = []
        if isinstance(self.state, CrawlState):  # its lock says no other run of the spider is alive (not so for Redis)
            removed = remove_leftovers(local_folders(self.crawler.settings.getdict("FEEDS"), spider_name), spider_name)
        if removed:
            logger.info("Removed %d part file(s) left by dead runs: %s", len(removed), ", ".join(map(str, removed)))
        self.leftovers = len(removed)
        self.recovered = (len(completed), len(dropped))

    def spider_opened(self, spider: Spider) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(LEFTOVERS_STAT, self.leftovers)
        stats.set_value("rfi_news/state/recovered_publications", self.recovered[0])
        stats.set_value("rfi_news/state/dropped_publications", self.recovered[1])
        logger.info("Crawl state: %s (only new and changed articles are emitted)", self.state.path)

    def item_scraped(self, item: Any, spider: Spider) -> None:
        adapter = ItemAdapter(item)
        self.state.record_article(adapter["url"], content_hash(adapter), adapter.get("updated"))
        digest = adapter.get("file_digest")
        if digest is not None:  # an archive file: known from now on (once committed) without being read
            self.state.record_file(digest, adapter["url"])

    def finish_run(self) -> None:
        """Once every file of the run is published: commit what it learned (unless its output failed)."""
        if self.finished:
            return
        self.finished = True
        stats = self.crawler.stats
        assert stats is not None
        failed_feeds = {
            key: value for key, value in stats.get_stats().items() if key.startswith("feedexport/failed_count/")
        }
        if failed_feeds or stats.get_value(STORAGE_FAILED_STAT):
            logger.warning(
                "Output not (all) stored: the crawl state keeps only what was published; the next run emits the rest"
            )
            return
        exporter = self.crawler.get_extension(CheckpointFeedExporter)
        if exporter is not None and exporter.publisher.withheld:
            logger.warning("Crawl state not committed: this unhealthy run's output was kept beside the file")
            return
        try:
            self.state.commit()
        except StateWriteError as exc:
            storage_failed(self.crawler, exc.path, exc, "the state was not committed; the next run emits again")
            return
        stats.set_value("rfi_news/state/committed", True)
        logger.info("Crawl state committed: %s", self.state.path)

    def feed_exporter_closed(self) -> None:
        exporter = self.crawler.get_extension(CheckpointFeedExporter)
        if exporter is None or not exporter.publisher.held:
            self.finish_run()

    def engine_stopped(self) -> None:
        exporter = self.crawler.get_extension(CheckpointFeedExporter)
        if exporter is not None:
            exporter.publisher.publish_held()  # the files held for the run's verdict, which is in now
        self.finish_run()
        if not self.state.committed:
            logger.warning("Crawl state not committed: %s", self.state.path)
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
