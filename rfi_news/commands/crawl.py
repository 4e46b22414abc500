"""``scrapy crawl``, as Scrapy runs it, plus an exit status and a few lines on stderr that say how the run went.

Scrapy's own ``crawl`` exits 0 whenever the spider could start, however the run went. This command (it
replaces the built-in one through ``COMMANDS_MODULE``, so ``scrapy crawl``, ``rfi-news crawl`` and Scrapyd use
it) checks the spider's arguments before anything starts, reads the verdict the run's monitors left in its
stats (:mod:`rfi_news.monitors`), writes it to stderr whatever ``LOG_FILE`` says (so cron mails it and journald
keeps it), and exits with (the one table, :mod:`rfi_news.health`, docs/monitoring.md):

* 0: healthy (or monitoring switched off with ``SPIDERMON_ENABLED=False``);
* 1: the run could not start: another run holds the crawl state, the log folder cannot be made, the spider
  failed to start;
* 2: bad command line: unknown spider, unknown or invalid ``-a`` argument, bad option;
* 3: unhealthy: a monitor failed, or the monitors could not reach a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from rfi_news.health import (
    BAD_COMMAND_LINE_EXIT_CODE,
    COULD_NOT_START_EXIT_CODE,
    STATUS_STAT,
    STORAGE_FAILED_STAT,
    SUMMARY_ON_STDERR_SETTING,
    SUMMARY_STAT,
    UNHEALTHY,
    UNHEALTHY_EXIT_CODE,
)
from rfi_news.spiders.arguments import ArgumentError, check_arguments
from rfi_news.state import RunRefused

logger = logging.getLogger(__name__)

__all__ = ["UNHEALTHY_EXIT_CODE", "Command", "say"]


def say(line: str) -> None:
    """A line for the person (or cron, or journald) who started the run: stderr, never only the log file."""
    print(line, file=sys.stderr, flush=True)


def prepare_log_folder(settings: Any) -> None:
    """``LOG_FILE``'s folder, made if missing (Scrapy would die on a ``FileNotFoundError``); exit 1 if it cannot be."""
    log_file = settings.get("LOG_FILE")
    if not log_file:
        return
    try:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        say(
            f"rfi-news: could not start (exit {COULD_NOT_START_EXIT_CODE}): cannot make the log folder of {log_file}: {exc}"
        )
        sys.exit(COULD_NOT_START_EXIT_CODE)


def check_command_line(settings: Any, name: str, spider_arguments: dict[str, str]) -> None:
    """An unknown spider, or an unknown or invalid ``-a`` argument: one line on stderr, exit 2."""
    loader = get_spider_loader(settings)
    try:
        spidercls = loader.load(name)
    except KeyError:
        known = ", ".join(sorted(loader.list()))
        say(f"rfi-news: unknown spider {name!r} (exit {BAD_COMMAND_LINE_EXIT_CODE}); the spiders are: {known}")
        sys.exit(BAD_COMMAND_LINE_EXIT_CODE)
    try:
        check_arguments(spidercls, spider_arguments)
    except ArgumentError as exc:
        say(f"rfi-news {name}: bad command line (exit {BAD_COMMAND_LINE_EXIT_CODE}): {exc}")
        sys.exit(BAD_COMMAND_LINE_EXIT_CODE)


class Command(crawl.Command):
    crawler: Crawler | None = None
    start_error: BaseException | None = None

    def short_desc(self) -> str:
        return "Run a spider of the project; exit 0 healthy, 1 could not start, 2 bad command line, 3 unhealthy"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Before Scrapy sets up its log and its crawler process: a bad command line is one line on stderr.
        if len(args) == 1:
            check_command_line(self.settings, args[0], opts.spargs)
        prepare_log_folder(self.settings)
        self.settings.set(SUMMARY_ON_STDERR_SETTING, True, priority="cmdline")

    def _create_crawler(self, spidercls: Any) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy's crawl.Command.run, plus checked arguments, the exit status and the summary on stderr.
        if len(args) != 1:
            raise UsageError("scrapy crawl takes exactly one spider name")
        assert self.crawler_process
        name = args[0]
        spidercls = self.crawler_process.spider_loader.load(name)  # checked in process_options
        started = self.crawler_process.crawl(self._create_crawler(spidercls), **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(self._retrieve_start_error)
        elif isinstance(started, Deferred):
            started.addErrback(self._trap_start_error)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or self.start_error is not None:
            self.exitcode = COULD_NOT_START_EXIT_CODE
            say(
                f"rfi-news {name}: could not start (exit {COULD_NOT_START_EXIT_CODE}): {self.start_error or 'see the log'}"
            )
            return
        assert self.crawler is not None
        if not self.crawler.settings.getbool("SPIDERMON_ENABLED"):
            return
        if run_is_unhealthy(self.crawler):
            self.exitcode = UNHEALTHY_EXIT_CODE
        assert self.crawler.stats is not None
        summary = self.crawler.stats.get_value(SUMMARY_STAT)
        say(summary or f"rfi-news {name}: UNHEALTHY (exit {UNHEALTHY_EXIT_CODE}): the monitors did not report")

    def _retrieve_start_error(self, task: asyncio.Future[Any]) -> None:
        """Keep the reason a run could not start for the summary: the log has said it already, so no "exception
        never retrieved" traceback follows, and a lock refusal gets no traceback at all."""
        if task.cancelled():
            return
        exception = task.exception()  # retrieving it tells asyncio it was handled
        if exception is None:
            return
        self.start_error = exception
        if not isinstance(exception, RunRefused | ArgumentError):
            logger.error("The crawl could not start", exc_info=exception)

    def _trap_start_error(self, failure: Failure) -> None:
        self.start_error = failure.value
        if not failure.check(RunRefused, ArgumentError):
            logger.error("The crawl could not start: %s", failure.getTraceback())


def run_is_unhealthy(crawler: Crawler) -> bool:
    """True when the monitors said so, or when they were on and said nothing (they could not run), or when
    storing the output or the state failed (also after the monitors ran: a file held for their verdict)."""
    assert crawler.stats is not None
    if crawler.stats.get_value(STORAGE_FAILED_STAT):
        return True
    if not crawler.settings.getbool("SPIDERMON_ENABLED"):
        return False
    return crawler.stats.get_value(STATUS_STAT) in (UNHEALTHY, None)
