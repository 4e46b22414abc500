"""The floor under Scrapy: reads the archive files in batches, as the archive spider does, splits each one into
its header lines and its HTML, and yields a plain dict of the parts. No rfi_news settings, parser or pipeline.

It is what Scrapy costs per record on this machine when the work done per file is as little as it can be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy

BATCH = 100


class FloorSpider(scrapy.Spider):
    name = "floor"

    def __init__(self, path: str = ".", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root = path

    async def start(self) -> AsyncIterator[Any]:
        paths = sorted(str(path) for path in Path(self.root).glob("*.md"))
        for first in range(0, len(paths), BATCH):
            batch = paths[first : first + BATCH]
            yield scrapy.Request("data:,", callback=self.read_batch, cb_kwargs={"paths": batch}, dont_filter=True)

    def read_batch(self, response: Any, paths: list[str]) -> Iterator[dict[str, str]]:
        for path in paths:
            epoch, title, _, html = Path(path).read_text(encoding="utf-8").split("\n", 3)
            yield {"epoch": epoch, "title": title, "html": html}
