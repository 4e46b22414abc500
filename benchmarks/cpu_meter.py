"""A crawl extension for the benchmarks only: the CPU time of the crawl itself, written to ``BENCH_METER_FILE``.

``getrusage(RUSAGE_SELF)`` at ``spider_opened`` and at ``engine_stopped`` (after the spider closed, the
monitors ran and the output was stored): user + system CPU seconds, without the interpreter's start-up and the
imports. :mod:`run_crawl` adds it to the settings of the crawl it runs.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path
        self.started = 0.0
        self.started_wall = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        meter = cls(crawler, os.environ["BENCH_METER_FILE"])
        crawler.signals.connect(meter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(meter.engine_stopped, signal=signals.engine_stopped)
        return meter

    def spider_opened(self, spider: Any) -> None:
        self.started = cpu_seconds()
        self.started_wall = time.perf_counter()

    def engine_stopped(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        figures = {
            "crawl_cpu_seconds": cpu_seconds() - self.started,
            "crawl_wall_seconds": time.perf_counter() - self.started_wall,
            "responses": stats.get("response_received_count", 0),
            "items": stats.get("item_scraped_count", 0),
            "files": stats.get("rfi_news/archive/files", 0),
            "skipped": stats.get("rfi_news/state/skipped", 0),
        }
        Path(self.path).write_text(json.dumps(figures), encoding="utf-8")
