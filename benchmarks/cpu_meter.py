"""A crawl extension for the benchmarks only: the CPU time of the crawl itself, written to ``BENCH_METER_FILE``.

``getrusage(RUSAGE_SELF)`` at ``spider_opened`` and at ``engine_stopped`` (after the spider closed, the
monitors ran and the output was stored): user + system CPU seconds, without the interpreter's start-up and the
imports; and the CPU seconds spent in the cyclic garbage collector in between (``gc.callbacks``).
:mod:`run_crawl` adds it to the settings of the crawl it runs.
"""

from __future__ import annotations

import gc
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
        self.gc_seconds = 0.0
        self.gc_collections = 0
        self._gc_started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        meter = cls(crawler, os.environ["BENCH_METER_FILE"])
        crawler.signals.connect(meter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(meter.engine_stopped, signal=signals.engine_stopped)
        return meter

    def spider_opened(self, spider: Any) -> None:
        self.started = cpu_seconds()
        self.started_wall = time.perf_counter()
        gc.callbacks.append(self.on_collection)

    def on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self.gc_seconds += time.process_time() - self._gc_started
            self.gc_collections += 1

    def engine_stopped(self) -> None:
        if self.on_collection in gc.callbacks:
            gc.callbacks.remove(self.on_collection)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        figures = {
            "crawl_cpu_seconds": cpu_seconds() - self.started,
            "crawl_wall_seconds": time.perf_counter() - self.started_wall,
            "responses": stats.get("response_received_count", 0),
            "items": stats.get("item_scraped_count", 0),
            "files": stats.get("rfi_news/archive/files", 0),
            "skipped": stats.get("rfi_news/state/skipped", 0),
            "gc_seconds": self.gc_seconds,
            "gc_collections": self.gc_collections,
        }
        Path(self.path).write_text(json.dumps(figures), encoding="utf-8")
