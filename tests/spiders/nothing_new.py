"""An incremental run that finds nothing new, as issue 4's incremental mode reports it.

The contract (docs/monitoring.md): a run that skipped articles it already had counts them under
``rfi_news/state/unchanged`` (an article emitted before, unchanged), ``rfi_news/state/skipped`` (an article page
not fetched: already written) or ``rfi_news/feed/not_modified`` (a feed that answered 304); with zero records, such
a run is healthy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class NothingNewSpider(scrapy.Spider):
    name = "nothing_new"

    def __init__(self, stat: str = "rfi_news/state/unchanged", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stat = stat

    async def start(self) -> AsyncIterator[Any]:
        if self.stat:  # -a stat= : a run with nothing new and nothing to say why
            self.crawler.stats.inc_value(self.stat)
        return
        yield
