"""The feed-item parser, through the archive reader and the normalising pipelines, on the real archive items,
field by field and without a crawl (the crawl tests check the same records end to end, in a subprocess).

Expected records (``fixtures/expected/archive/<name>.json``) were written from the source HTML by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from rfi_news.errors import InvalidInput
from rfi_news.items import RECORD_FIELDS, new_article
from rfi_news.parsers.archive import parse_archive_entry
from rfi_news.parsers.item import ItemParse, parse_feed_item, read_item_html
from rfi_news.pipelines import (
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
)
from tests.conftest import ARCHIVE_DIR, EXPECTED_ARCHIVE_DIR, load_expected

COMPARED_FIELDS = tuple(name for name in RECORD_FIELDS if name != "crawled_at")
NORMALISING_PIPELINES = (
    UrlPipeline,
    TitlePipeline,
    TimestampsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    LabelsPipeline,
)
EXPECTED = sorted(path.stem for path in EXPECTED_ARCHIVE_DIR.glob("*.json"))
BOILERPLATE = ("分享 :", "获取更多RSS", "feedx.", "whatsapp:", "data:image", "延伸阅读", "继续浏览后续", "电邮新闻")


def parsed_item(name: str) -> ItemParse:
    entry = parse_archive_entry((ARCHIVE_DIR / f"{name}.md").read_text(encoding="utf-8"))
    return parse_feed_item(
        link=entry.link,
        title=entry.title,
        description=entry.description,
        feed_published=entry.epoch_ms,
        source="archive",
    )


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    crawler = get_crawler()
    item = new_article(**record)
    for pipeline_class in NORMALISING_PIPELINES:
        item = pipeline_class.from_crawler(crawler).process_item(item)
    return {name: item[name] for name in COMPARED_FIELDS}


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return {name: normalised(parsed_item(name).record) for name in EXPECTED}


def test_enough_hand_checked_items() -> None:
    assert len(EXPECTED) == 16


@pytest.mark.parametrize("field_name", COMPARED_FIELDS)
@pytest.mark.parametrize("name", EXPECTED)
def test_field(records: dict[str, dict[str, Any]], name: str, field_name: str) -> None:
    assert records[name][field_name] == load_expected(EXPECTED_ARCHIVE_DIR / f"{name}.json")[field_name]


@pytest.mark.parametrize("path", sorted(ARCHIVE_DIR.glob("*.md")), ids=lambda path: path.stem)
def test_every_real_item_has_a_clean_body(path: Path) -> None:
    parsed = parsed_item(path.stem)
    assert parsed.problems == []
    # Every real item has its date line and paragraphs; AFP copy has no chapô, some items no <img>.
    assert not {"published", "paragraphs"} & set(parsed.missing)
    record = normalised(parsed.record)
    assert record["paragraphs"]
    for paragraph in record["paragraphs"]:
        assert not any(text in paragraph for text in BOILERPLATE), paragraph
    assert record["lead"] not in record["paragraphs"]
    assert len(set(record["paragraphs"])) == len(record["paragraphs"])


@pytest.mark.parametrize(
    ("description", "missing", "problems", "warnings"),
    [
        (
            "",
            ["published", "image", "lead", "paragraphs"],
            ["no_description"],
            ["no date line", "no paragraphs", "no description"],
        ),
        (
            "<p><strong>只有导语</strong></p>",
            ["published", "image", "paragraphs"],
            [],
            ["no date line", "no paragraphs"],
        ),
        ("<div>30/12/2023 - 10:05</div><p>正文</p>", ["image", "lead"], [], []),
        ("<p>正文</p>", ["published", "image", "lead"], [], ["no date line"]),
    ],
)
def test_what_an_item_lacks(description: str, missing: list[str], problems: list[str], warnings: list[str]) -> None:
    parsed = parse_feed_item(
        link="https://www.rfi.fr/cn/x", title="标题", description=description, feed_published=None, source="feedx"
    )
    assert (parsed.missing, parsed.problems, parsed.warnings) == (missing, problems, warnings)
    record = parsed.record
    assert (record["url"], record["title"], record["source"]) == ("https://www.rfi.fr/cn/x", "标题", "feedx")


def test_head_of_an_item_is_date_image_lead_in_that_order() -> None:
    content = read_item_html(
        '<div>30/12/2023 - 10:05</div><img src="https://s.rfi.fr/a.jpg"><p><strong>导语</strong></p>'
        '<div><p>正文</p><p class="t-copyright">© 2023 AFP</p></div>'
    )
    assert (content.published_raw, content.image, content.lead, content.paragraphs, content.credit) == (
        "30/12/2023 - 10:05",
        "https://s.rfi.fr/a.jpg",
        "导语",
        ["正文"],
        "© 2023 AFP",
    )


@pytest.mark.parametrize(
    "markup",
    [
        # The date line must be a bare div, first, holding only the date.
        "<p>正文</p><div>30/12/2023 - 10:05</div>",
        "<div><span>30/12/2023 - 10:05</span></div><p>正文</p>",
        "<div>30/12/2023 - 10:05 更新</div><p>正文</p>",
        "<span>30/12/2023 - 10:05</span><p>正文</p>",
    ],
)
def test_what_is_not_the_date_line(markup: str) -> None:
    assert read_item_html(markup).published_raw is None


@pytest.mark.parametrize(
    ("markup", "image"),
    [
        ('<img src="https://s.rfi.fr/a.jpg"><p>正文</p>', "https://s.rfi.fr/a.jpg"),
        # An image after the first text block is the body's, not the main image.
        ('<p>正文</p><img src="https://s.rfi.fr/a.jpg">', None),
        ('<div><p>正文</p></div><img src="https://s.rfi.fr/a.jpg">', None),
        ('<img src="data:image/gif;base64,R0lGOD"><p>正文</p>', None),
    ],
)
def test_the_main_image_stands_before_the_body(markup: str, image: str | None) -> None:
    assert read_item_html(markup).image == image


@pytest.mark.parametrize(
    ("markup", "lead"),
    [
        ("<p><strong>导语</strong></p><p>正文</p>", "导语"),
        ('<img src="https://s.rfi.fr/a.jpg"><p><strong>导语</strong></p><p>正文</p>', "导语"),
        ("<!-- 注释 --><p><strong>导语</strong></p><p>正文</p>", "导语"),
        # Not a chapô: text beside the strong, two strongs, a strong in another block, a strong after the body.
        ("<p>前<strong>导语</strong></p><p>正文</p>", None),
        ("<p><strong>导语</strong>后</p><p>正文</p>", None),
        ("<p><strong>一</strong><strong>二</strong></p><p>正文</p>", None),
        ("<div><strong>导语</strong></div><p>正文</p>", None),
        ("<p>正文</p><p><strong>小标题</strong></p>", None),
    ],
)
def test_what_is_the_lead(markup: str, lead: str | None) -> None:
    assert read_item_html(markup).lead == lead


# --- What parse_feed_item refuses, as the WARNING of the dropped item says it ---


def feed_item(**fields: object) -> ItemParse:
    arguments: dict[str, Any] = {
        "link": "https://www.rfi.fr/cn/x",
        "title": "标题",
        "description": "<p>正文</p>",
        "feed_published": None,
        "source": "feedx",
        **fields,
    }
    return parse_feed_item(**arguments)


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        ({"link": 5}, "bad_url", "link is int, not a string"),
        ({"title": ["标题"]}, "not_text", "title is list, not a string"),
        ({"description": 5}, "not_text", "description is int, not a string"),
        (
            {"link": "https://evil.example/" + "a" * 300},
            "not_rfi_host",
            "'https://evil.example/" + "a" * 179 + "'",
        ),
    ],
)
def test_what_a_feed_item_cannot_be_is_said(fields: dict[str, object], reason: str, detail: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        feed_item(**fields)
    assert (caught.value.reason, caught.value.detail) == (reason, detail)


def test_a_missing_link_and_title_are_left_to_the_validation() -> None:
    parsed = feed_item(link=None, title=None)
    assert (parsed.record["url"], parsed.record["title"], parsed.record["paragraphs"]) == (None, None, ["正文"])
    assert parsed.template == "item-2023"  # no marker, no date line: the newest
