"""The feedx spider with a parser bug planted: after the feed's items, one more record is read by a reader that
raises a KeyError (a bug, not InvalidInput), through the record boundary as every record is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from rfi_news.guard import read_guarded
from rfi_news.spiders.feedx import FeedxSpider


def reader_with_a_bug(fields: dict[str, str]) -> str:
    return fields["title"]  # the planted bug: this record has no "title" key


class FeedxParserBugSpider(FeedxSpider):
    name = "feedx_parser_bug"

    def parse_feed(self, response: Response, index: int = 0) -> Iterator[Any]:
        yield from super().parse_feed(response, index)
        read_guarded(self, "item", f"{response.url} item 13", reader_with_a_bug, {})
