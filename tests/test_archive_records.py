"""The archive spider over every real archive item: hand-checked records, the schema, and invariants."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rfi_news.items import RECORD_FIELDS
from rfi_news.normalize.urls import canonical_url
from tests.conftest import ARCHIVE_DIR, EXPECTED_ARCHIVE_DIR, archive_link, load_expected
from tests.crawl import CrawlResult

EXPECTED_FILES = sorted(EXPECTED_ARCHIVE_DIR.glob("*.json"))
ARCHIVE_FILES = sorted(ARCHIVE_DIR.glob("*.md"))
CONTRACT_FIELDS = [name for name in RECORD_FIELDS if name != "crawled_at"]
UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff]"
CJK_SPACE_CJK_RE = re.compile(f"({CJK}) ({CJK})")
BOILERPLATE = ("分享 :", "获取更多RSS", "feedx.", "whatsapp:", "data:image")


def records_by_file(crawl: CrawlResult) -> dict[str, dict[str, Any]]:
    """Each record keyed by the archive file it came from (found through its link line)."""
    by_url = {record["url"]: record for record in crawl.records}
    records = {}
    for path in ARCHIVE_FILES:
        records[path.stem] = by_url[canonical_url(archive_link(path))]
    return records


def test_every_fixture_gives_one_record(archive_crawl: CrawlResult) -> None:
    assert len(ARCHIVE_FILES) == 48
    assert len(archive_crawl.records) == 48
    assert len(archive_crawl.urls) == 48
    assert archive_crawl.stat("rfi_news/archive/files") == 48
    assert archive_crawl.stat("rfi_news/validation/kept") == 48
    assert archive_crawl.stat("item_scraped_count") == 48


def test_the_template_of_each_item_and_what_it_lacked_are_counted(archive_crawl: CrawlResult) -> None:
    # From INDEX.tsv, written by hand: 11 items with a share block plus the seed's, and the two column items of
    # 2024 (no share block, dated after 2023-06-02), are item-2023; 18 have no chapô (lead=none), 2 print
    # "Array" for the image; every one has its date line and paragraphs.
    assert archive_crawl.stat("rfi_news/item/template/item-2023") == 14
    assert archive_crawl.stat("rfi_news/item/template/item-2020") == 34
    assert archive_crawl.stat("rfi_news/item/missing/lead") == 18
    assert archive_crawl.stat("rfi_news/item/missing/image") == 2
    assert not archive_crawl.stat("rfi_news/item/missing/published")
    assert not archive_crawl.stat("rfi_news/item/missing/paragraphs")


def test_a_run_over_the_real_items_logs_no_warning(archive_crawl: CrawlResult) -> None:
    """A WARNING means something to look at: none of these items is bad, and the run's own settings are sound
    (the redirect middlewares once warned on every archive run, finding no RefererMiddleware)."""
    warnings = [line for line in archive_crawl.log.splitlines() if re.search(r"\] (WARNING|ERROR): ", line)]
    assert warnings == []
    assert archive_crawl.stat("log_count/WARNING") == 0


def test_enough_hand_checked_records() -> None:
    assert len(EXPECTED_FILES) >= 13
    assert "seed_rfi_20231230.json" in {path.name for path in EXPECTED_FILES}


@pytest.mark.parametrize("field", CONTRACT_FIELDS)
@pytest.mark.parametrize("expected_path", EXPECTED_FILES, ids=lambda path: path.stem)
def test_record_field_matches_hand_checked_value(archive_crawl: CrawlResult, expected_path: Path, field: str) -> None:
    expected = load_expected(expected_path)
    record = records_by_file(archive_crawl)[expected_path.stem]
    assert record[field] == expected[field]


def test_seed_item_as_output_md_describes_it(archive_crawl: CrawlResult) -> None:
    seed = records_by_file(archive_crawl)["seed_rfi_20231230"]
    assert seed["title"] == "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会"
    assert seed["section"] == "中国"
    assert seed["published"] == "2023-12-30T09:05:00Z"
    assert seed["published_raw"] == "30/12/2023 - 10:05"
    assert seed["feed_published"] == "2023-12-30T09:15:01Z"
    assert seed["lead"].startswith("据多方人士透露，")
    assert seed["lead"].endswith("展开协商与调整。")
    assert len(seed["paragraphs"]) == 5
    assert seed["paragraphs"][-1].endswith("的领导人会晤")
    assert seed["image"] == (
        "https://s.rfi.fr/media/display/6654e986-0e53-11ea-baec-005056a9aa4d/w:1280/p:16x9/2014-09-03_JAPAN-POLITICS-1.JPG"
    )
    assert seed["source"] == "archive"


def test_output_lines_are_utf8_with_keys_in_contract_order(archive_crawl: CrawlResult) -> None:
    lines = archive_crawl.output.read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 48
    for line in lines:
        assert "\\u" not in line  # UTF-8 text, not escapes
    for record in archive_crawl.records:
        assert list(record) == list(RECORD_FIELDS)


def test_every_record_is_valid_against_the_schema(archive_crawl: CrawlResult, schema_validator: Any) -> None:
    for record in archive_crawl.records:
        errors = [error.message for error in schema_validator.iter_errors(record)]
        assert errors == [], record["url"]


@pytest.mark.parametrize("stem", [path.stem for path in ARCHIVE_FILES])
def test_invariants(archive_crawl: CrawlResult, stem: str) -> None:
    record = records_by_file(archive_crawl)[stem]
    source_text = (ARCHIVE_DIR / f"{stem}.md").read_text(encoding="utf-8")
    texts = [record["title"], record["lead"] or "", record["credit"] or "", *record["paragraphs"], *record["authors"]]
    for text in texts:
        for boilerplate in BOILERPLATE:
            assert boilerplate not in text
        # A space between two CJK characters only where the source had white space there.
        for left, right in CJK_SPACE_CJK_RE.findall(text):
            assert re.search(f"{left}\\s+{right}", source_text), f"{left} {right}"
    for value in (record["url"], record["image"] or ""):
        assert "feedx." not in value
        assert not value.startswith(("whatsapp:", "data:"))
    assert all(paragraph for paragraph in record["paragraphs"])
    assert len(set(record["paragraphs"])) == len(record["paragraphs"])
    assert not any(paragraph.startswith("延伸阅读") for paragraph in record["paragraphs"])
    assert record["lead"] not in record["paragraphs"]
    for name in ("published", "updated", "feed_published", "crawled_at"):
        assert record[name] is None or UTC_RE.match(record[name])
    assert record["url"] == canonical_url(record["url"])
    assert record["url"].startswith("https://www.rfi.fr/cn/")
