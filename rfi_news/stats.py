"""The crawl's stats collector (``STATS_CLASS``): Scrapy's own, without the cost of a deprecation shim.

Scrapy 2.19's ``StatsCollector`` overrides ``__getattribute__`` so that a ``spider=`` argument to its methods
warns: every attribute read on the collector, the ``_stats`` dict inside ``inc_value`` included, goes through a
Python-level lookup, which makes ``inc_value`` some 20 times slower (about 2.3 µs instead of 0.1). The project
counts a couple of dozen things per record, so that is 50-60 µs of every record's CPU.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class RunStatsCollector(MemoryStatsCollector):
    """:class:`~scrapy.statscollectors.MemoryStatsCollector` with the plain attribute lookup.

    The methods, their signatures and what they store are Scrapy's: code written for older Scrapy that still
    passes ``spider=`` (Spidermon, scrapy-redis) works the same, without the deprecation warning. Another
    collector (scrapy-redis's, say) can take its place in ``STATS_CLASS``: the project uses only Scrapy's methods.
    """

    # object's own slot: CPython then looks attributes up in C, as for any class without the override.
    __getattribute__ = object.__getattribute__
