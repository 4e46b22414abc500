"""The article-page parser against real RFI / France 24 pages and reconstructed ones, field by field.

Expected records (``fixtures/expected/pages/<name>.json``) were written from the source HTML by hand; the parser's
raw record goes through the project's normalising pipelines (as in a crawl) before it is compared, so each test
reads "title OK, lead broken" when a layout changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from rfi_news.items import RECORD_FIELDS, new_article
from rfi_news.parsers.page import PageParse, parse_page
from rfi_news.pipelines import (
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED_DIR = FIXTURES / "expected" / "pages"
COMPARED_FIELDS = tuple(name for name in RECORD_FIELDS if name != "crawled_at")
NORMALISING_PIPELINES = (
    UrlPipeline,
    TitlePipeline,
    TimestampsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    LabelsPipeline,
)


@dataclass(frozen=True)
class PageCase:
    """A saved page and the URL it was served at (the page's own canonical URL)."""

    path: str
    url: str
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.path).stem

    def html(self) -> str:
        return (FIXTURES / self.path).read_text(encoding="utf-8")


CASES = {
    case.name: case
    for case in (
        PageCase(
            "rfi/cn_article_2025-11-30_politics_pretty.html",
            "https://www.rfi.fr/cn/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E6%B9%BE%E5%A2%9E%E5%8A%A0400%E4%BA%BF"
            "%E7%BE%8E%E5%85%83%E5%9B%BD%E9%98%B2%E5%BC%80%E6%94%AF-%E5%8A%A0%E9%80%9F%E9%83%A8%E7%BD%B2t-dome"
            "%E9%98%B2%E7%A9%BA%E7%B3%BB%E7%BB%9F",
        ),
    )
}


def parse_case(case: PageCase) -> PageParse:
    return parse_page(case.html(), case.url)


def record_after_pipelines(parsed: PageParse) -> dict[str, Any]:
    """The parser's raw record through the normalising pipelines, as a crawl would emit it (minus crawled_at)."""
    crawler = get_crawler()
    item = new_article(**parsed.record)
    for pipeline_class in NORMALISING_PIPELINES:
        item = pipeline_class.from_crawler(crawler).process_item(item)
    return {name: item[name] for name in COMPARED_FIELDS}


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return {name: record_after_pipelines(parse_case(case)) for name, case in CASES.items()}


def expected(name: str) -> dict[str, Any]:
    return json.loads((EXPECTED_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_expected_file_has_every_field_in_contract_order(name: str) -> None:
    assert list(expected(name)) == list(COMPARED_FIELDS)


@pytest.mark.parametrize("field_name", COMPARED_FIELDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_field(records: dict[str, dict[str, Any]], name: str, field_name: str) -> None:
    assert records[name][field_name] == expected(name)[field_name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_and_problems(name: str) -> None:
    case = CASES[name]
    parsed = parse_case(case)
    assert (tuple(parsed.missing), tuple(parsed.problems)) == (case.missing, case.problems)
    assert parsed.body_found == ("body:div.t-content__body" not in case.missing)
