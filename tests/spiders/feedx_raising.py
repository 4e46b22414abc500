"""The feedx spider with a bug planted in its callback: it raises after yielding the feed's items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from rfi_news.spiders.feedx import FeedxSpider

PLANTED_ERROR = "planted bug: the feed callback fails after its items"


class FeedxRaisingSpider(FeedxSpider):
    name = "feedx_raising"

    def parse_feed(self, response: Response, index: int) -> Iterator[Any]:
        yield from super().parse_feed(response, index)
        raise RuntimeError(PLANTED_ERROR)
