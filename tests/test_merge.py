"""The feed + page merge rule (``feedx -a follow=1``), on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rfi_news.errors import InvalidInput
from rfi_news.merge import merge_feed_and_page
from rfi_news.middlewares import retry_after_seconds

FEED = {
    "url": "https://www.rfi.fr/cn/x/20240415-y",
    "title": "feed title",
    "published": "15/04/2024 - 16:54",
    "published_raw": "15/04/2024 - 16:54",
    "updated": None,
    "feed_published": "Mon, 15 Apr 2024 17:15:00 GMT",
    "lead": "feed lead",
    "paragraphs": ["feed p1", "feed p2"],
    "authors": ["Feed Author"],
    "tags": [],
    "image": "https://s.rfi.fr/feed.jpg",
    "credit": None,
    "source": "feedx",
    "provenance": "feed item 1",
}
PAGE = {
    "url": "https://www.rfi.fr/cn/x/20240415-y",
    "title": "page title",
    "published": "2024-04-15T14:54:00+00:00",
    "published_raw": "2024-04-15T14:54:00+00:00",
    "updated": "2024-04-15T15:00:00+00:00",
    "feed_published": None,
    "lead": None,
    "paragraphs": ["page p1"],
    "authors": [],
    "tags": ["中国"],
    "image": None,
    "credit": "© 2024 AFP",
    "source": "rfi",
}


def test_page_fetch_failed_keeps_the_feed_record():
    merged = merge_feed_and_page(FEED, None)
    assert merged == {**FEED, "source": "feedx"}


def test_page_text_wins_whole_and_fields_fall_back_to_the_feed():
    merged = merge_feed_and_page(FEED, PAGE)
    assert merged["source"] == "rfi"
    # The text comes whole from the page, even its missing lead: never the feed's lead over the page's body.
    assert (merged["lead"], merged["paragraphs"], merged["credit"]) == (None, ["page p1"], "© 2024 AFP")
    assert merged["title"] == "page title"
    assert (merged["published"], merged["published_raw"]) == ("2024-04-15T14:54:00+00:00",) * 2
    assert merged["updated"] == "2024-04-15T15:00:00+00:00"
    assert merged["tags"] == ["中国"]
    # The page lacks these: the feed's stay.
    assert merged["authors"] == ["Feed Author"]
    assert merged["image"] == "https://s.rfi.fr/feed.jpg"
    assert merged["feed_published"] == "Mon, 15 Apr 2024 17:15:00 GMT"
    assert merged["provenance"] == "feed item 1"


def test_page_without_body_keeps_the_feed_text_but_takes_its_other_fields():
    page = {**PAGE, "paragraphs": [], "lead": "page lead"}
    merged = merge_feed_and_page(FEED, page)
    assert merged["source"] == "feedx"
    assert (merged["lead"], merged["paragraphs"], merged["credit"]) == ("feed lead", ["feed p1", "feed p2"], None)
    assert merged["title"] == "page title"


def test_published_raw_follows_published():
    page = {**PAGE, "published": None, "published_raw": None}
    merged = merge_feed_and_page(FEED, page)
    assert (merged["published"], merged["published_raw"]) == ("15/04/2024 - 16:54", "15/04/2024 - 16:54")


def test_a_page_value_that_is_no_text_nor_list_is_a_value():
    # Neither text nor a list: a number or a datetime is the page's value, whatever it is (no emptiness to test).
    updated = datetime(2024, 4, 15, 15, 0, tzinfo=UTC)
    merged = merge_feed_and_page({**FEED, "updated": None}, {**PAGE, "updated": updated, "image": 0})
    assert (merged["updated"], merged["image"]) == (updated, 0)


def test_retry_after_forms():
    now = datetime(2024, 4, 15, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("1", now) == 1.0
    assert retry_after_seconds(" 120 ", now) == 120.0
    assert retry_after_seconds("Mon, 15 Apr 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 15 Apr 2024 11:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("-5", now) is None


def test_what_is_no_record_is_said() -> None:
    with pytest.raises(InvalidInput) as caught:
        merge_feed_and_page("feed", None)  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.detail) == (
        "not_a_record",
        "the feed side and the page side must be mappings",
    )
