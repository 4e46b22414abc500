"""``scrapy crawl``, as Scrapy runs it, plus an exit status that says whether the run was healthy.

Scrapy's own ``crawl`` exits 0 whenever the spider could start, however the run went. This command (it
replaces the built-in one through ``COMMANDS_MODULE``, so ``scrapy crawl`` and Scrapyd use it) reads the
verdict the run's monitors left in its stats (:mod:`rfi_news.monitors`) and exits with:

* 0: healthy (or monitoring switched off with ``SPIDERMON_ENABLED=False``);
* 1: the spider could not start (Scrapy's own code); 2: bad command line (Scrapy's own code);
* 3 (``UNHEALTHY_EXIT_CODE``): a monitor failed, or the monitors could not reach a verdict.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands import crawl
from scrapy.crawler import Crawler

from rfi_news.health import STATUS_STAT, UNHEALTHY

UNHEALTHY_EXIT_CODE = 3


class Command(crawl.Command):
    crawler: Crawler | None = None

    def short_desc(self) -> str:
        return "Run a spider of the current project, by name; exit 3 when the run's health checks fail"

    def _create_crawler(self, spidercls: Any) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        if self.exitcode == 0 and self.crawler is not None and run_is_unhealthy(self.crawler):
            self.exitcode = UNHEALTHY_EXIT_CODE


def run_is_unhealthy(crawler: Crawler) -> bool:
    """True when the monitors said so, or when they were on and said nothing (they could not run)."""
    if not crawler.settings.getbool("SPIDERMON_ENABLED"):
        return False
    assert crawler.stats is not None
    return crawler.stats.get_value(STATUS_STAT) in (UNHEALTHY, None)
