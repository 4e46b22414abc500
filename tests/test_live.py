"""A live check against rfi.fr, for people with internet: ``python -m pytest -m live tests/test_live.py``.

Fetches the /cn/ home page with the project's User-Agent, reads it with the project's listing parser, and parses
its first three articles with the page parser and the normalising pipelines; every field of every record must
meet OUTPUT.md's rule for it (not only have the right type), and the record must pass the JSON Schema. Skipped
by default (see conftest.py). RFI's CDN answers 403/429 to some clients: that is reported as a skip, not as a
parser failure.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from rfi_news.items import RECORD_FIELDS, new_article
from rfi_news.normalize.text import SITE_SUFFIXES, is_punctuation_only, normalize_text
from rfi_news.normalize.times import parse_timestamp
from rfi_news.normalize.urls import canonical_url, column_of, section_of
from rfi_news.parsers.listing import parse_listing
from rfi_news.parsers.page import TEMPLATES, parse_page
from rfi_news.pipelines import (
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
)
from rfi_news.schemas import article_schema

HOME = "https://www.rfi.fr/cn/"
UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
BOILERPLATE = ("分享 :", "广告", "继续浏览后续", "电邮新闻", "下载法广应用程序跟踪国际时事", "获取更多RSS", "延伸阅读")
ARTICLES = 3

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fetch(url: str) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": get_project_settings()["USER_AGENT"]})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        if exc.code in (403, 429):
            pytest.skip(f"{url}: blocked by RFI's CDN (HTTP {exc.code})")
        raise


def normalised(text: Any) -> bool:
    return isinstance(text, str) and bool(text) and normalize_text(text) == text


@pytest.fixture(scope="module")
def article_urls() -> list[str]:  # only asked for by the live test
    listing = parse_listing(fetch(HOME), HOME)
    assert listing.articles, "no article card on the /cn/ home page: the listing markup changed"
    return [article.url for article in listing.articles[:ARTICLES]]


@pytest.mark.live
@pytest.mark.parametrize("index", range(ARTICLES))
def test_home_page_article_meets_the_contract_field_by_field(article_urls: list[str], index: int) -> None:
    url = article_urls[index]
    assert_meets_the_contract(fetch(url), url)


# The same check, offline, on the saved real pages: the live check is itself tested (it passes on pages known to be
# right, and it fails on a page that breaks a rule).
REAL_PAGES = {
    "cn_article_2025-11-30_politics_pretty.html": "https://www.rfi.fr/cn/%E6%94%BF%E6%B2%BB/20251130-x",
    "cn_article_2022-02-06_press-review.html": "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/"
    "%E6%B3%95%E5%9B%BD%E6%8A%A5%E7%BA%B8%E6%91%98%E8%A6%81/20220206-x",
}


@pytest.mark.parametrize("name", sorted(REAL_PAGES))
def test_the_live_check_passes_on_the_saved_real_pages(name: str) -> None:
    assert_meets_the_contract((FIXTURES / "rfi" / name).read_text(encoding="utf-8"), REAL_PAGES[name])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<strong>“T-Dome”是什么？</strong>", "<strong>广告 “T-Dome”是什么？</strong>"),
        ('<p class="t-content__chapo">', '<p class="t-content__chapo">分享 : '),
    ],
)
def test_the_live_check_fails_on_a_page_that_breaks_a_rule(old: str, new: str) -> None:
    html = (FIXTURES / "rfi" / "cn_article_2025-11-30_politics_pretty.html").read_text(encoding="utf-8")
    assert old in html
    with pytest.raises(AssertionError):
        assert_meets_the_contract(html.replace(old, new, 1), REAL_PAGES["cn_article_2025-11-30_politics_pretty.html"])


def assert_meets_the_contract(html: str, url: str) -> None:
    parsed = parse_page(html, url)
    assert parsed.template in {template.name for template in TEMPLATES}
    assert not {"title", "published", "body"} & set(parsed.missing), (parsed.template, parsed.missing)
    assert parsed.problems == []

    crawler = get_crawler()
    item = new_article(**parsed.record)
    pipelines = (UrlPipeline, TitlePipeline, TimestampsPipeline, LeadPipeline, ParagraphsPipeline, LabelsPipeline)
    for pipeline in pipelines:
        item = pipeline.from_crawler(crawler).process_item(item)
    record = {name: item[name] for name in RECORD_FIELDS}
    assert list(Draft7Validator(article_schema()).iter_errors(record)) == []

    # url: canonical, on www.rfi.fr, the /cn/ edition, no query or fragment
    parts = urlsplit(record["url"])
    assert record["url"] == canonical_url(url)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("https", "www.rfi.fr", "", "")
    assert parts.path.startswith("/cn/")
    # section, column: what the URL says
    assert (record["section"], record["column"]) == (section_of(record["url"]), column_of(record["url"]))
    # title: normalised, no site suffix, no column affix
    assert normalised(record["title"])
    assert not record["title"].endswith(SITE_SUFFIXES)
    if record["column"]:
        assert not record["title"].startswith(f"{record['column']} - ")
        assert not record["title"].endswith(f" - {record['column']}")
    # published, published_raw: UTC; the raw string is the machine-readable one, as the page has it
    assert UTC_RE.fullmatch(record["published"])
    assert record["published_raw"] in html
    assert parse_timestamp(record["published_raw"]) == parse_timestamp(record["published"])
    # updated: null unless later than published; a page has no feed entry
    assert record["updated"] is None or (
        UTC_RE.fullmatch(record["updated"]) and record["updated"] > record["published"]
    )
    assert record["feed_published"] is None
    # lead and paragraphs: normalised, no boilerplate, nothing twice, the lead not repeated
    assert record["lead"] is None or normalised(record["lead"])
    assert record["lead"] is None or not any(text in record["lead"] for text in BOILERPLATE)
    assert record["paragraphs"]
    for paragraph in record["paragraphs"]:
        assert normalised(paragraph), paragraph
        assert not is_punctuation_only(paragraph), paragraph
        assert not any(text in paragraph for text in BOILERPLATE), paragraph
    assert len(set(record["paragraphs"])) == len(record["paragraphs"])
    assert record["lead"] not in record["paragraphs"]
    # authors and tags: normalised names, each once; tags are not the section or the column
    for name in ("authors", "tags"):
        assert all(normalised(value) for value in record[name]), record[name]
        assert len(set(record[name])) == len(record[name])
    # image: an absolute http(s) URL, not a placeholder or the default card
    if record["image"] is not None:
        assert urlsplit(record["image"]).scheme in ("http", "https")
        assert urlsplit(record["image"]).netloc
        assert not record["image"].endswith("/meta_og_twcards/RFI_FB.png")
    assert record["credit"] is None or normalised(record["credit"])
    assert (record["language"], record["source"]) == ("zh-Hans", "rfi")
    assert UTC_RE.fullmatch(record["crawled_at"])
