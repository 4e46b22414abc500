"""The record every spider emits: OUTPUT.md's fields, in its order."""

from __future__ import annotations

from typing import Any

import scrapy

# OUTPUT.md's keys, in the order every output line has them (FEED_EXPORT_FIELDS is this tuple).
RECORD_FIELDS = (
    "url",
    "title",
    "section",
    "column",
    "published",
    "published_raw",
    "updated",
    "feed_published",
    "lead",
    "paragraphs",
    "authors",
    "tags",
    "image",
    "credit",
    "language",
    "source",
    "crawled_at",
)
LIST_FIELDS = frozenset({"paragraphs", "authors", "tags"})


class ArticleItem(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    section = scrapy.Field()
    column = scrapy.Field()
    published = scrapy.Field()
    published_raw = scrapy.Field()
    updated = scrapy.Field()
    feed_published = scrapy.Field()
    lead = scrapy.Field()
    paragraphs = scrapy.Field()
    authors = scrapy.Field()
    tags = scrapy.Field()
    image = scrapy.Field()
    credit = scrapy.Field()
    language = scrapy.Field()
    source = scrapy.Field()
    crawled_at = scrapy.Field()
    # Where the record was read from (a file path or a URL), for log lines; never exported.
    origin = scrapy.Field()


def new_article(**values: Any) -> ArticleItem:
    """An :class:`ArticleItem` with every record field present (``None`` or ``[]``), then ``values``."""
    item = ArticleItem({name: [] if name in LIST_FIELDS else None for name in RECORD_FIELDS})
    item.update(values)
    return item
