"""One record from a feed item and its article page (``scrapy crawl feedx -a follow=1``).

The rule: the article's text (``lead``, ``paragraphs``, ``credit``) comes whole from one side, the page's when
the page gave at least one paragraph, else the feed's; mixing a page's lead with a feed's paragraphs could
repeat or drop a block. ``source`` says which side the text came from: ``rfi`` (the page) or ``feedx``.
Every other field takes the page's value when the page has one, else the feed's (``published_raw`` goes with
``published``); ``feed_published`` is the feed's own time and always comes from the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rfi_news.errors import InvalidInput
from rfi_news.items import BOOKKEEPING_FIELDS

TEXT_FIELDS = ("lead", "paragraphs", "credit")
# Never taken from the page: the feed's own time, ``source`` (the merge sets it) and the feed item's bookkeeping
# (where it was read from).
FEED_SIDE_FIELDS = frozenset({"feed_published", "source", *BOOKKEEPING_FIELDS})
# ``published_raw`` is the string ``published`` was read from: both come from the same side.
FOLLOWS = {"published_raw": "published"}


def _has_value(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def page_has_text(page: Mapping[str, Any] | None) -> bool:
    """True when the page gave the article's body (at least one non-empty paragraph)."""
    if page is None:
        return False
    paragraphs = page.get("paragraphs")
    return isinstance(paragraphs, list | tuple) and any(_has_value(paragraph) for paragraph in paragraphs)


def merge_feed_and_page(feed: Mapping[str, Any], page: Mapping[str, Any] | None) -> dict[str, Any]:
    """The merged raw record; ``page`` is ``None`` when the page could not be fetched (403, 404, timeout).

    Raises :class:`InvalidInput` when either side is not a mapping.
    """
    if not isinstance(feed, Mapping) or not (page is None or isinstance(page, Mapping)):
        raise InvalidInput("not_a_record", "the feed side and the page side must be mappings")
    merged = dict(feed)
    text_from_page = page_has_text(page)
    if page is not None:
        for name, value in page.items():
            if name in FEED_SIDE_FIELDS:
                continue
            if name in FOLLOWS:
                if _has_value(page.get(FOLLOWS[name])):
                    merged[name] = value
                continue
            if name in TEXT_FIELDS:
                if text_from_page:
                    merged[name] = value
            elif _has_value(value):
                merged[name] = value
    merged["source"] = "rfi" if text_from_page else "feedx"
    return merged
