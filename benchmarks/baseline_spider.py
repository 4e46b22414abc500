"""The end-to-end baseline: a bare Scrapy spider that yields ``count`` empty items and does nothing else.

Run outside the project (no rfi_news settings, no pipelines) through the same ``-O out.jsonl`` export, it
measures what Scrapy itself costs per item on this machine, in the same run as the archive crawl.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, count: str = "1000", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = int(count)

    async def start(self) -> AsyncIterator[Any]:
        for _ in range(self.count):
            yield {}
