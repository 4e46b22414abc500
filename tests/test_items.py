"""The field list is defined once (``RECORD_FIELDS``): the item, the JSON Schema and the state agree with it."""

from __future__ import annotations

from rfi_news.items import BOOKKEEPING_FIELDS, LIST_FIELDS, RECORD_FIELDS, ArticleItem, new_article
from rfi_news.schemas import article_schema
from rfi_news.settings import FEED_EXPORT_FIELDS
from rfi_news.state import CONTENT_FIELDS

# OUTPUT.md's table, in its order, copied by hand.
OUTPUT_MD_KEYS = [
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
]


def test_record_fields_are_output_md_keys_in_order() -> None:
    assert list(RECORD_FIELDS) == OUTPUT_MD_KEYS
    assert list(RECORD_FIELDS) == FEED_EXPORT_FIELDS


def test_item_has_the_record_fields_and_the_bookkeeping_ones_only() -> None:
    assert list(ArticleItem.fields) == [*RECORD_FIELDS, *BOOKKEEPING_FIELDS]
    item = new_article(url="https://www.rfi.fr/cn/x")
    assert {name: item[name] for name in ("url", "title", "paragraphs")} == {
        "url": "https://www.rfi.fr/cn/x",
        "title": None,
        "paragraphs": [],
    }


def test_schema_names_the_record_fields_in_order_all_required() -> None:
    schema = article_schema()
    assert list(schema["properties"]) == list(RECORD_FIELDS)
    assert schema["required"] == list(RECORD_FIELDS)
    assert schema["additionalProperties"] is False


def test_list_fields_are_the_schema_arrays() -> None:
    arrays = {name for name, rule in article_schema()["properties"].items() if rule.get("type") == "array"}
    assert arrays == set(LIST_FIELDS) == {"paragraphs", "authors", "tags"}


def test_state_content_fields_are_record_fields() -> None:
    assert set(CONTENT_FIELDS) <= set(RECORD_FIELDS)
    # Identity, provenance and bookkeeping never make an article "changed".
    assert not set(CONTENT_FIELDS) & {"url", "source", "crawled_at", "feed_published", *BOOKKEEPING_FIELDS}
