"""Python's cyclic garbage collector during a crawl (the ``RFI_GC_YOUNG_THRESHOLD`` setting).

Nearly every object of a crawl is freed by reference counting the moment its record is written; the cyclic
collector still walks what is alive, and most of what is alive is what the process built before the first
record: modules, classes, settings, compiled regexes and XPaths (some 110,000 objects). Measured on archive
crawls (benchmarks/gc_share.py): of 100,000 files' 94 s of CPU, 9.9 s went to the collector, 5.7 s of it in 58
full collections walking those objects again and again, 4.2 s in 7,900 younger ones (one per 700 allocations).

:class:`CollectorTuning` therefore, when the spider opens, collects once and freezes what is alive then
(``gc.freeze()``: it stays alive, as it would have, and later collections skip it), and collects the youngest
generation once per ``RFI_GC_YOUNG_THRESHOLD`` allocations instead of 700. The same crawl then spends some
0.4 s in the collector. Garbage cycles still go, only a little later (a few thousand objects' worth); what the
crawl keeps alive is the same. When the engine stops, both are undone, so a process that runs more crawls
(tests, the library API) collects as before in between.
"""

from __future__ import annotations

import gc
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class CollectorTuning:
    """Freezes the heap the crawl starts with and collects the youngest generation less often (see the module)."""

    def __init__(self, young_threshold: int) -> None:
        self.young_threshold = young_threshold
        self.saved_thresholds: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getint("RFI_GC_YOUNG_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured("RFI_GC_YOUNG_THRESHOLD is 0: the collector is left as Python sets it")
        extension = cls(threshold)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_opened(self) -> None:
        gc.collect()  # what is garbage already is not frozen with the rest
        gc.freeze()
        self.saved_thresholds = gc.get_threshold()
        gc.set_threshold(self.young_threshold, *self.saved_thresholds[1:])

    def engine_stopped(self) -> None:
        if self.saved_thresholds is None:
            return
        gc.set_threshold(*self.saved_thresholds)
        gc.unfreeze()
        self.saved_thresholds = None
