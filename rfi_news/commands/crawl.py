"""``scrapy crawl``, as Scrapy runs it, plus an exit status that says whether the run was healthy.

Scrapy's own ``crawl`` exits 0 whenever the spider could start, however the run went. This command (it
replaces the built-in one through ``COMMANDS_MODULE``, so ``scrapy crawl`` and Scrapyd use it) reads the
verdict the run's monitors left in its stats (:mod:`rfi_news.monitors`) and exits with:

* 0: healthy (or monitoring switched off with ``SPIDERMON_ENABLED=False``);
* 1: the spider could not start (Scrapy's own code), e.g. because another run of it holds the crawl state
  (:class:`rfi_news.state.StateLockedError`: its log line says so, and no traceback follows it);
* 2: bad command line (Scrapy's own code);
* 3 (``UNHEALTHY_EXIT_CODE``): a monitor failed, or the monitors could not reach a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from rfi_news.health import STATUS_STAT, UNHEALTHY
from rfi_news.state import StateLockedError

logger = logging.getLogger(__name__)

UNHEALTHY_EXIT_CODE = 3


class Command(crawl.Command):
    crawler: Crawler | None = None

    def short_desc(self) -> str:
        return "Run a spider of the current project, by name; exit 3 when the run's health checks fail"

    def _create_crawler(self, spidercls: Any) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy's crawl.Command.run, plus the exit status and a quiet refusal.
        if len(args) != 1:
            raise UsageError("scrapy crawl takes exactly one spider name")
        assert self.crawler_process
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(_retrieve_refusal)
        elif isinstance(started, Deferred):
            started.addErrback(_trap_refusal)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif self.crawler is not None and run_is_unhealthy(self.crawler):
            self.exitcode = UNHEALTHY_EXIT_CODE


def _retrieve_refusal(task: asyncio.Future[Any]) -> None:
    """A run refused for the state lock was logged clearly already: no "exception never retrieved" traceback."""
    if task.cancelled():
        return
    exception = task.exception()  # retrieving it tells asyncio it was handled, so log any other one here
    if exception is not None and not isinstance(exception, StateLockedError):
        logger.error("The crawl could not start", exc_info=exception)


def _trap_refusal(failure: Failure) -> Failure | None:
    return None if failure.check(StateLockedError) else failure


def run_is_unhealthy(crawler: Crawler) -> bool:
    """True when the monitors said so, or when they were on and said nothing (they could not run)."""
    if not crawler.settings.getbool("SPIDERMON_ENABLED"):
        return False
    assert crawler.stats is not None
    return crawler.stats.get_value(STATUS_STAT) in (UNHEALTHY, None)
