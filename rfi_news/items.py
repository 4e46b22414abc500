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


# Never exported: where the record was read from (a file path or a URL), for log lines; and the archive file's
# digest (archive spider, crawl state on), recorded with the article once it is emitted, so the next run knows the
# file without reading it.
BOOKKEEPING_FIELDS = ("provenance", "file_digest")


class ArticleItem(scrapy.Item):
    """One record: a field per name of :data:`RECORD_FIELDS` (the one list of them), plus the bookkeeping ones.

    The JSON Schema (``schemas/article.schema.json``) and the crawl state's ``CONTENT_FIELDS`` name the same fields:
    ``tests/test_items.py`` proves they agree.
    """

    # scrapy.Item's metaclass takes a ``fields`` dict as it takes Field attributes (Item declares ``fields`` as an
    # instance attribute, so it cannot be annotated ClassVar here).
    fields = {name: scrapy.Field() for name in (*RECORD_FIELDS, *BOOKKEEPING_FIELDS)}  # noqa: RUF012


def new_article(**values: Any) -> ArticleItem:
    """An :class:`ArticleItem` with every record field present (``None`` or ``[]``), then ``values``."""
    item = ArticleItem({name: [] if name in LIST_FIELDS else None for name in RECORD_FIELDS})
    item.update(values)
    return item
