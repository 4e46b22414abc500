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
from parsel import Selector
from scrapy.utils.test import get_crawler

from rfi_news.errors import InvalidInput
from rfi_news.items import RECORD_FIELDS, new_article
from rfi_news.parsers.page import (
    JSONLD_SELECTOR,
    PageParse,
    jsonld_names,
    largest_srcset_entry,
    parse_page,
    read_jsonld_article,
)
from rfi_news.pipelines import (
    LabelsPipeline,
    LeadPipeline,
    ParagraphsPipeline,
    TimestampsPipeline,
    TitlePipeline,
    UrlPipeline,
)
from tests.conftest import utf8_refusal

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
    template: str
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
            "https://www.rfi.fr/cn/%E6%94%BF%E6%B2%BB/20251130-%E5%8F%B0%E6%B9%BE%E5%A2%9E%E5%8A%A0400%E4%BA%BF%E"
            "7%BE%8E%E5%85%83%E5%9B%BD%E9%98%B2%E5%BC%80%E6%94%AF-%E5%8A%A0%E9%80%9F%E9%83%A8%E7%BD%B2t-dome%E9%9"
            "8%B2%E7%A9%BA%E7%B3%BB%E7%BB%9F",
            template="page-2024",
        ),
        PageCase(
            "rfi/cn_article_2022-02-06_press-review.html",
            "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E6%B3%95%E5%9B%BD%E6%8A%A5%E7%BA%B8%E6%9"
            "1%98%E8%A6%81/20220206-%E9%A9%AC%E5%85%8B%E9%BE%99%E6%98%9F%E6%9C%9F%E4%B8%80%E5%9C%A8%E8%8E%AB%E6%9"
            "6%AF%E7%A7%91%E4%B8%8E%E6%99%AE%E4%BA%AC%E4%BC%9A%E9%9D%A2",
            template="page-2020",
        ),
        PageCase(
            "pages/cn_2020-07-19_updated_jsonld-graph.html",
            "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20200718-%E5%8C%97%E4%BA%AC%E6%AC%B2%E9%98%BB%E8%8B%B1%E8%8"
            "8%AA%E6%AF%8D%E5%89%8D%E5%BE%80%E5%8D%97%E4%B8%AD%E5%9B%BD%E6%B5%B7",
            template="page-2024",
            missing=("authors",),
        ),
        PageCase(
            "pages/cn_2021-02-26_afp_no-chapo_jsonld-array.html",
            "https://www.rfi.fr/cn/%E6%8B%9C%E7%99%BB%E4%B8%8A%E4%BB%BB%E9%A6%96%E5%BA%A6%E4%B8%8E%E6%B2%99%E5%9B"
            "%BD%E5%9B%BD%E7%8E%8B%E9%80%9A%E8%AF%9D-%E9%87%8D%E7%94%B3%E4%BA%BA%E6%9D%83%E9%87%8D%E8%A6%81%E6%80"
            "%A7",
            template="page-2024",
            missing=("lead", "authors", "tags", "image"),
        ),
        PageCase(
            "pages/cn_2024-04-07_column-audio_short-body.html",
            "https://www.rfi.fr/cn/%E4%B8%93%E6%A0%8F%E6%A3%80%E7%B4%A2/%E6%B3%95%E5%9B%BD%E6%8A%A5%E7%BA%B8%E6%9"
            "1%98%E8%A6%81/20240407-%E5%B7%B4%E5%9F%BA%E6%96%AF%E5%9D%A6%E6%9E%81%E7%AB%AF%E5%88%86%E5%AD%90%E4%B"
            "8%BA%E4%BD%95%E5%B0%86%E8%A2%AD%E5%87%BB%E7%9B%AE%E6%A0%87%E9%94%81%E5%AE%9A%E4%B8%AD%E5%9B%BD%E5%88"
            "%A9%E7%9B%8A",
            template="page-2020",
        ),
        PageCase(
            "pages/cn_2022-08-17_broken-jsonld_placeholder-src.html",
            "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20220817-%E8%81%94%E5%90%88%E5%9B%BD%E4%B8%93%E5%AE%B6%E6%8"
            "A%A5%E5%91%8A%E6%8C%87%E6%96%B0%E7%96%86%E6%9C%89-%E5%BC%BA%E8%BF%AB%E5%8A%B3%E5%8A%A8",
            template="page-2020",
            missing=("authors",),
            problems=("jsonld_unparseable",),
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
    assert (parsed.template, tuple(parsed.missing), tuple(parsed.problems)) == (
        case.template,
        case.missing,
        case.problems,
    )
    assert parsed.body_found == ("body" not in case.missing)


# --- France 24 Observers: the same template, before (2022-09) and after (2024-03) the 2023 change. ---
# Not RFI URLs, so no URL pipeline: the raw parser's fields, checked by hand against the two files.
F24_URL = "https://observers.france24.com/en/20190826-mexico-african-migrants-trapped-protest-journey"
F24_IMAGE = "https://s.observers.france24.com/media/display/44d6e57c-f72b-11ea-8bd8-005056bfe576/{}/p:16x9/mexique-migrants-africains-protestation.jpg"
F24_CASES = {
    # 2022: the main <img> has a data:image/gif placeholder src; its srcset's largest entry is w:1280.
    "f24-observers_en_article_fetched-2022-09-28": {
        "tags": ["politics", "illegal migrants", "immigration", "Mexico", "migration"],
        "image": F24_IMAGE.format("w:1280"),
    },
    # 2024: a real src; the srcset stops at w:980.
    "f24-observers_en_article_fetched-2024-03-25": {
        "tags": ["politics", "Mexico", "migration"],
        "image": F24_IMAGE.format("w:980"),
    },
}
F24_COMMON = {
    "url": F24_URL,
    "title": "African migrants trapped in Mexico protest for right to travel to USA",
    "published": "2019-08-27T16:34:48+00:00",
    "published_raw": "2019-08-27T16:34:48+00:00",
    "updated": "2019-08-28T08:13:06+00:00",  # the visible "Modified:" <time> and dateModified agree
    "feed_published": None,
    "lead": None,  # F24 opens its body with <p><strong>, it has no p.t-content__chapo
    "authors": ["Chloé Lauvergnier"],  # JSON-LD; on the page a link-less span.m-from-author__name
    "credit": None,
    "source": "rfi",
}


def parse_f24(name: str) -> PageParse:
    return parse_page((FIXTURES / "fmm" / f"{name}.html").read_text(encoding="utf-8"), F24_URL)


@pytest.mark.parametrize("field_name", [*F24_COMMON, "tags", "image"])
@pytest.mark.parametrize("name", sorted(F24_CASES))
def test_f24_field(name: str, field_name: str) -> None:
    assert parse_f24(name).record[field_name] == {**F24_COMMON, **F24_CASES[name]}[field_name]


@pytest.mark.parametrize("name", sorted(F24_CASES))
def test_f24_body(name: str) -> None:
    parsed = parse_f24(name)
    paragraphs = [" ".join(text.split()) for text in parsed.record["paragraphs"]]
    assert paragraphs[0].startswith("Hundreds of African migrants have taken part in a series of protests in Tapachula")
    assert paragraphs[-1] == "Article by Chloé Lauvergnier (@clauvergnier)."
    assert "Tapachula, a town in Chiapas state in southern Mexico, is marked with a red dot on this map." in paragraphs
    assert not any(text.startswith(("Advertising", "Read more")) for text in paragraphs)
    assert parsed.missing == ["lead"]


def test_f24_body_survives_the_2023_template_change() -> None:
    before, after = (parse_f24(name).record["paragraphs"] for name in sorted(F24_CASES))
    assert [" ".join(t.split()) for t in before] == [" ".join(t.split()) for t in after]


@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("f24-observers_en_article_fetched-2022-09-28", "page-2020"),
        ("f24-observers_en_article_fetched-2024-03-25", "page-2024"),
    ],
)
def test_f24_template_is_chosen_by_the_page(name: str, template: str) -> None:
    assert parse_f24(name).template == template


# --- Templates as versions: each page read by one template only ---


def test_a_2024_page_ignores_the_2020_tag_links() -> None:
    case = CASES["cn_article_2025-11-30_politics_pretty"]
    old_link = '<a href="/cn/%E5%85%B3%E9%94%AE%E8%AF%8D/x/" class="m-tags-list__tag__link">旧</a>'
    html = case.html().replace('<div class="t-content__tags">', f'<div class="t-content__tags">{old_link}', 1)
    assert html != case.html()
    assert parse_page(html, case.url).record["tags"] == ["中国", "台海"]


def test_a_2020_page_ignores_the_2024_author_block() -> None:
    case = CASES["cn_2022-08-17_broken-jsonld_placeholder-src"]
    new_block = '<div class="t-content__authors"><a class="m-from-author__name" title="某人">某人</a></div>'
    html = case.html().replace("<h1", f"{new_block}<h1", 1)
    parsed = parse_page(html, case.url)
    assert (parsed.template, parsed.record["authors"], parsed.missing) == ("page-2020", [], ["authors"])


def test_a_page_no_template_knows_is_read_by_the_newest_and_says_what_it_lacks() -> None:
    parsed = parse_page("<html><body><h1>x</h1><p>y</p></body></html>", "https://www.rfi.fr/cn/x")
    assert parsed.template == "page-2024"
    assert parsed.missing == ["title", "published", "lead", "authors", "tags", "image", "body"]
    assert parsed.record["title"] is None  # no h1.t-content__title: the template's title only


# --- Defect: a body container closed early by broken read-more markup (pages/edit_real_pages.py) ---


@pytest.mark.parametrize(
    ("edited", "real"),
    [
        ("pages/real-2022_early-closed-body.html", "cn_article_2022-02-06_press-review"),
        ("pages/real-2025_early-closed-body.html", "cn_article_2025-11-30_politics_pretty"),
    ],
)
def test_body_text_after_an_early_closed_container_belongs_to_the_body(edited: str, real: str) -> None:
    case = CASES[real]
    html = (FIXTURES / edited).read_text(encoding="utf-8")
    # The edit did close the container early: the container itself holds no paragraph any more.
    container = Selector(text=html).css("div.t-content__body")[0]
    assert not container.css("p, h2")
    parsed = parse_page(html, case.url)
    assert (parsed.template, parsed.missing) == (case.template, list(case.missing))
    record = record_after_pipelines(parsed)
    for field_name in ("paragraphs", "lead", "credit", "tags", "title"):
        assert record[field_name] == expected(real)[field_name], field_name


# --- OUTPUT.md's clarifications (2026-12-01) on the real pages ---


def test_tags_are_the_tag_links_not_article_tag_nor_keywords() -> None:
    case = CASES["cn_article_2022-02-06_press-review"]
    # The real page has article:tag 非洲 and keywords 国际,法国报纸摘要,非洲; without its tag links it has no tags.
    html = case.html().replace('class="m-tags-list__tag__link"', 'class="gone"')
    assert parse_page(html, case.url).record["tags"] == []


def test_image_is_the_main_figure_not_og_image() -> None:
    case = CASES["cn_article_2022-02-06_press-review"]
    html = case.html().replace('<div class="t-content__main-media">', '<div class="gone">')
    assert html != case.html()
    parsed = parse_page(html, case.url)
    assert (parsed.record["image"], parsed.missing) == (None, ["image"])  # og:image is a real picture: not used


def test_feed_published_is_null_on_a_page(records: dict[str, dict[str, Any]]) -> None:
    assert {record["feed_published"] for record in records.values()} == {None}


def test_a_relative_main_image_is_resolved_against_the_page() -> None:
    case = CASES["cn_2022-08-17_broken-jsonld_placeholder-src"]
    html = case.html().replace("https://s.rfi.fr/media/", "/media/")
    assert parse_page(html, case.url).record["image"] == (
        "https://www.rfi.fr/media/display/914a1458-b24f-11eb-99b1-005056bf87d6/w:1280/p:16x9/lhge.png"
    )


# --- JSON-LD ---


def _jsonld_article(path: str) -> dict[str, Any]:
    html = (FIXTURES / path).read_text(encoding="utf-8")
    return read_jsonld_article(Selector(text=html).css(JSONLD_SELECTOR).getall())[0]


def test_jsonld_headline_keeps_the_column_prefix_but_title_does_not() -> None:
    path = "rfi/cn_article_2022-02-06_press-review.html"
    assert _jsonld_article(path)["headline"] == "法国报纸摘要 - 马克龙星期一在莫斯科与普京会面"
    assert parse_case(CASES[Path(path).stem]).record["title"] == "马克龙星期一在莫斯科与普京会面"


def test_broken_jsonld_script_is_skipped_and_the_next_one_read() -> None:
    scripts = ['[{"@type": "NewsArticle", "headline": "cut', '{"@type": "NewsArticle", "headline": "whole"}']
    assert read_jsonld_article(scripts) == ({"@type": "NewsArticle", "headline": "whole"}, ["jsonld_unparseable"])


def test_jsonld_values_glued_in_one_script_are_read_one_after_the_other() -> None:
    # RSSHub#20797: "Unexpected non-whitespace character after JSON" on RFI's /cn/ pages (January 2026).
    script = '{"@type": "WebSite", "name": "RFI"} {"@type": ["NewsArticle"], "headline": "second"}'
    assert read_jsonld_article([script]) == ({"@type": ["NewsArticle"], "headline": "second"}, [])


def test_jsonld_with_a_literal_control_character_in_a_string_is_read() -> None:
    script = '{"@type": "NewsArticle", "headline": "第一行\n第二行\t完"}'
    assert read_jsonld_article([script]) == ({"@type": "NewsArticle", "headline": "第一行\n第二行\t完"}, [])


def test_the_first_article_object_wins_and_other_types_are_not_articles() -> None:
    scripts = [
        '{"@type": "BreadcrumbList", "name": "x"}',
        '[{"@type": "WebSite"}, {"@type": ["Thing", "ReportageNewsArticle"], "headline": "first"}]',
        '{"@graph": [{"@type": "NewsArticle", "headline": "second"}]}',
    ]
    assert read_jsonld_article(scripts)[0]["headline"] == "first"
    assert read_jsonld_article(scripts[:1]) == ({}, [])
    assert read_jsonld_article(['{"@type": 7}', '{"@type": null}']) == ({}, [])


@pytest.mark.parametrize(
    ("author", "names"),
    [
        ("某记者", ["某记者"]),
        ([{"@type": "Person", "name": "左依"}, {"@type": "NewsMediaOrganization", "name": "RFI"}], ["左依"]),
        ([{"@type": ["Thing", "Organization"], "name": "RFI"}, {"name": "无类型"}], ["无类型"]),
        ([{"@type": "Person", "name": " "}, {"@type": "Person"}, "", 5], []),
        (None, []),
    ],
)
def test_jsonld_author_names(author: object, names: list[str]) -> None:
    assert jsonld_names(author) == names


def test_fields_fall_back_past_empty_structured_values() -> None:
    case = CASES["cn_2024-04-07_column-audio_short-body"]
    html = case.html().replace("<h1", "<h2").replace("</h1>", "</h2>")
    # A blank JSON-LD headline is no title: og:title (with its column prefix, which the pipeline removes) is next.
    html = html.replace('"headline":', '"headline": " ", "x-headline":', 1)
    assert html.count('"headline": " "') == 1
    parsed = parse_page(html, case.url)
    assert parsed.record["title"] == "法国报纸摘要 - 巴基斯坦极端分子为何将袭击目标锁定中国利益？"
    assert record_after_pipelines(parsed)["title"] == "巴基斯坦极端分子为何将袭击目标锁定中国利益？"


def test_title_falls_back_to_headline_without_its_column_prefix_when_h1_is_gone() -> None:
    case = CASES["cn_2024-04-07_column-audio_short-body"]
    parsed = parse_page(case.html().replace("<h1", "<h2").replace("</h1>", "</h2>"), case.url)
    assert parsed.record["title"] == "法国报纸摘要 - 巴基斯坦极端分子为何将袭击目标锁定中国利益？"  # the raw headline
    assert record_after_pipelines(parsed)["title"] == "巴基斯坦极端分子为何将袭击目标锁定中国利益？"
    assert parsed.missing == ["title"]


def test_page_without_body_container_says_so() -> None:
    case = CASES["cn_article_2025-11-30_politics_pretty"]
    parsed = parse_page(case.html().replace("t-content__body", "t-content__gone"), case.url)
    assert parsed.record["paragraphs"] == []
    assert parsed.missing == ["body"]
    assert not parsed.body_found


@pytest.mark.parametrize(
    ("srcset", "largest"),
    [
        (
            "https://s.rfi.fr/w:246/a.jpg 246w,https://s.rfi.fr/w:1024/a.jpg 1024w,https://s.rfi.fr/w:720/a.jpg 720w",
            "https://s.rfi.fr/w:1024/a.jpg",
        ),
        ("a.jpg 388w, b.jpg 1280w", "b.jpg"),
        (
            "https://s.observers.france24.com/media/display/x/map.png",
            "https://s.observers.france24.com/media/display/x/map.png",
        ),
        ("", None),
        (None, None),
        # A URL ended by a comma has no descriptor (HTML's srcset rules); the comma is not part of it.
        ("https://s.rfi.fr/w:246/a.jpg,", "https://s.rfi.fr/w:246/a.jpg"),
        ("https://s.rfi.fr/a.jpg, https://s.rfi.fr/b.jpg 640w", "https://s.rfi.fr/b.jpg"),
        # Equal widths: the first; x descriptors count as no width.
        ("a.jpg 640w, b.jpg 640w", "a.jpg"),
        ("a.jpg 2x, b.jpg 1.5w", "b.jpg"),
        # No descriptor is no width: any w descriptor is wider.
        ("a.jpg, b.jpg 1w", "b.jpg"),
        # Only the comma that ends a URL is dropped, not the URL's own last letters.
        ("https://s.rfi.fr/media/BOX,", "https://s.rfi.fr/media/BOX"),
    ],
)
def test_largest_srcset_entry(srcset: str, largest: str | None) -> None:
    assert largest_srcset_entry(srcset) == largest


# --- Invariants over every page ---

BOILERPLATE = (
    "下载法广应用程序跟踪国际时事",
    "电邮新闻",
    "头条新闻就在您的每日新闻信里",
    "广告",
    "继续浏览后续",
    "分享 :",
    "订阅",
    "举报广告",
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_boilerplate_no_repeats_utc_times(records: dict[str, dict[str, Any]], name: str) -> None:
    record = records[name]
    for paragraph in record["paragraphs"]:
        assert not any(text in paragraph for text in BOILERPLATE), paragraph
    assert len(set(record["paragraphs"])) == len(record["paragraphs"])
    assert record["lead"] not in record["paragraphs"]
    for key in ("published", "updated"):
        assert record[key] is None or record[key].endswith("Z")
    assert record["title"]
    assert record["lead"] or record["paragraphs"]
    assert record["published"]


# --- Each source of each field, on edited real pages where the sources disagree (values written by hand) ---

PAGE_2025 = CASES["cn_article_2025-11-30_politics_pretty"]
# The real page: JSON-LD datePublished 09:13:47 and dateModified 09:14:02, the same two in article:published_time
# and article:modified_time, one <time datetime> (09:13:47) on the date line. The edit gives each source its own
# value, so each step of the fallback shows.
DATE_LINE_TIME = '<time datetime="2025-11-30T09:13:47+00:00" pubdate="pubdate">30/11/2025 - 10:13</time>'


def dated_2025_page(*, jsonld: bool, meta: bool, line: tuple[str, ...]) -> str:
    html = PAGE_2025.html()
    html = html.replace('content="2025-11-30T09:13:47+00:00"', 'content="2025-11-30T09:20:00+00:00"')
    html = html.replace('content="2025-11-30T09:14:02+00:00"', 'content="2025-11-30T09:40:00+00:00"')
    assert html.count(DATE_LINE_TIME) == 1
    html = html.replace(DATE_LINE_TIME, "".join(f'<time datetime="{value}">x</time>' for value in line))
    if not jsonld:
        html = html.replace('"datePublished"', '"x-datePublished"').replace('"dateModified"', '"x-dateModified"')
    if not meta:
        html = html.replace('property="article:published_time"', 'property="x"')
        html = html.replace('property="article:modified_time"', 'property="x"')
    return html


@pytest.mark.parametrize(
    ("jsonld", "meta", "line", "published", "updated"),
    [
        (True, True, ("2025-11-30T09:30:00+00:00",), "2025-11-30T09:13:47+00:00", "2025-11-30T09:14:02+00:00"),
        (False, True, ("2025-11-30T09:30:00+00:00",), "2025-11-30T09:20:00+00:00", "2025-11-30T09:40:00+00:00"),
        (
            False,
            False,
            ("2025-11-30T09:30:00+00:00", "2025-11-30T10:00:00+00:00"),
            "2025-11-30T09:30:00+00:00",
            "2025-11-30T10:00:00+00:00",
        ),
        (False, False, ("2025-11-30T09:30:00+00:00",), "2025-11-30T09:30:00+00:00", None),
        (False, False, (), None, None),
    ],
)
def test_publication_and_update_come_from_jsonld_then_meta_then_the_date_line(
    jsonld: bool, meta: bool, line: tuple[str, ...], published: str | None, updated: str | None
) -> None:
    parsed = parse_page(dated_2025_page(jsonld=jsonld, meta=meta, line=line), PAGE_2025.url)
    record = parsed.record
    assert (record["published"], record["published_raw"], record["updated"]) == (published, published, updated)
    assert ("published" in parsed.missing) == (not line)


def test_an_update_that_cannot_be_read_is_kept_for_the_timestamps_pipeline() -> None:
    html = PAGE_2025.html().replace('"dateModified": "2025-11-30T09:14:02+00:00"', '"dateModified": "昨天"')
    assert parse_page(html, PAGE_2025.url).record["updated"] == "昨天"


def test_title_is_the_jsonld_headline_before_og_title() -> None:
    case = CASES["cn_2024-04-07_column-audio_short-body"]
    html = case.html().replace("<h1", "<h2").replace("</h1>", "</h2>")
    html = html.replace(
        '<meta property="og:title" content="法国报纸摘要 - 巴基斯坦极端分子为何将袭击目标锁定中国利益？">',
        '<meta property="og:title" content="另一个标题">',
    )
    assert parse_page(html, case.url).record["title"] == "法国报纸摘要 - 巴基斯坦极端分子为何将袭击目标锁定中国利益？"


def test_title_is_all_the_text_of_the_h1() -> None:
    html = '<article class="t-content__article-wrapper"><h1 class="t-content__title">台湾<span>增加</span>国防开支</h1>'
    assert parse_page(html, "https://www.rfi.fr/cn/x").record["title"] == "台湾增加国防开支"


def test_the_article_in_a_jsonld_graph_is_found() -> None:
    script = '{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {"@type": "NewsArticle", "headline": "图"}]}'
    assert read_jsonld_article([script]) == ({"@type": "NewsArticle", "headline": "图"}, [])


@pytest.mark.parametrize(
    ("img", "image", "missing"),
    [
        ('<img src="/media/display/a.jpg">', "https://www.rfi.fr/media/display/a.jpg", False),
        ('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">', None, False),
        ("", None, True),
    ],
)
def test_the_main_image_without_srcset_is_its_src(img: str, image: str | None, missing: bool) -> None:
    html = f'<article class="t-content__article-wrapper"><div class="t-content__main-media">{img}</div></article>'
    parsed = parse_page(html, "https://www.rfi.fr/cn/x")
    assert (parsed.record["image"], "image" in parsed.missing) == (image, missing)


@pytest.mark.parametrize(
    ("after", "paragraphs"),
    [
        # Nothing marks the end of the body: the text after the container runs to the end of the page.
        ("<div><p>二</p></div>", ["一", "二"]),
        ("<!-- 注释 --><div><p>二</p></div>", ["一", "二"]),
        ("<footer><p>页脚</p></footer><div><p>二</p></div>", ["一"]),
        ('<div class="m-share-bar"><p>分享</p></div>', ["一"]),
    ],
)
def test_what_follows_the_body_container_up_to_the_next_part_of_the_page(after: str, paragraphs: list[str]) -> None:
    html = (
        '<html><body><article class="t-content__article-wrapper">'
        f'<div class="t-content__body"><p>一</p></div>{after}</article></body></html>'
    )
    assert parse_page(html, "https://www.rfi.fr/cn/x").record["paragraphs"] == paragraphs


@pytest.mark.parametrize(
    ("html", "url", "detail"),
    [
        (b"<html></html>", "https://www.rfi.fr/cn/x", "page bytes, url str"),
        ("<html></html>", None, "page str, url NoneType"),
    ],
)
def test_what_is_not_text_is_refused(html: object, url: object, detail: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_page(html, url)  # type: ignore[arg-type]
    assert (caught.value.reason, caught.value.detail) == ("not_text", detail)


def test_a_page_whose_text_is_json_is_still_read_as_html() -> None:
    parsed = parse_page('[{"@type": "NewsArticle", "headline": "x"}]', "https://www.rfi.fr/cn/x")
    assert parsed.missing == ["title", "published", "lead", "authors", "tags", "image", "body"]


def test_an_author_block_with_no_name_is_a_missing_author() -> None:
    html = '<article class="t-content__article-wrapper"><div class="t-content__authors"><span></span></div></article>'
    parsed = parse_page(html, "https://www.rfi.fr/cn/x")
    assert (parsed.record["authors"], "authors" in parsed.missing) == ([], True)


def test_the_credit_of_body_text_after_the_container_is_the_credit() -> None:
    html = (
        '<article class="t-content__article-wrapper"><div class="t-content__body"><p>一</p></div>'
        '<div><p class="t-copyright">© 2025 AFP</p></div></article>'
    )
    record = parse_page(html, "https://www.rfi.fr/cn/x").record
    assert (record["paragraphs"], record["credit"]) == (["一"], "© 2025 AFP")


def test_a_page_lxml_cannot_take_is_unparseable_and_says_why() -> None:
    html = "<p>\ud800</p>"  # a lone surrogate: the page cannot be encoded for lxml
    with pytest.raises(InvalidInput) as caught:
        parse_page(html, "https://www.rfi.fr/cn/x")
    assert (caught.value.reason, caught.value.detail) == ("unparseable_page", utf8_refusal(html))
