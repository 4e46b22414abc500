"""The library API gives the record the crawl writes: compared, key for key, with real crawls' output lines."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from rfi_news.api import InvalidInput, archive_record, feed_record, page_record
from tests.conftest import ARCHIVE_DIR, FIXTURES
from tests.crawl import CrawlResult, run_crawl
from tests.fixture_server import FixtureServer


def without_crawl_time(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "crawled_at"}


def test_archive_record_is_the_line_the_crawl_writes(archive_crawl: CrawlResult) -> None:
    # The crawl reads the files in sorted order and keeps the first record of each url.
    by_url: dict[str, dict[str, Any]] = {}
    for path in sorted(ARCHIVE_DIR.glob("*.md")):
        record = archive_record(path.read_text(encoding="utf-8"), provenance=str(path))
        by_url.setdefault(record["url"], record)
    assert len(archive_crawl.records) == 48
    for line in archive_crawl.records:
        assert list(line) == list(by_url[line["url"]])  # the same keys in the same order
        assert without_crawl_time(line) == without_crawl_time(by_url[line["url"]])
    assert set(by_url) == archive_crawl.urls


def feed_items(path: Path) -> list[dict[str, str]]:
    """The feed's items read with the standard library's XML parser, not the project's."""
    channel = ElementTree.parse(path).getroot().find("channel")
    assert channel is not None
    return [
        {name: item.findtext(name) or "" for name in ("link", "title", "description", "pubDate")}
        for item in channel.iter("item")
    ]


def test_feed_record_is_the_line_the_crawl_writes(server: FixtureServer, tmp_path: Path) -> None:
    crawl = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi.xml")})
    assert crawl.returncode == 0
    items = feed_items(FIXTURES / "feeds" / "feedx_rfi.xml")
    records = [
        feed_record(
            link=item["link"], title=item["title"], description=item["description"], feed_published=item["pubDate"]
        )
        for item in items
    ]
    assert len(records) == len(crawl.records) == 12
    for line, record in zip(crawl.records, records, strict=True):
        assert without_crawl_time(line) == without_crawl_time(record)


def test_page_record_is_the_line_the_crawl_writes(site: FixtureServer, tmp_path: Path) -> None:
    crawl = run_crawl(
        "rfi", tmp_path, args={"listings": "/cn/中国/", "pages": "1"}, settings={"RFI_ORIGIN": site.origin}
    )
    assert crawl.returncode == 0, crawl.log
    assert len(crawl.records) == 2  # the 中国 listing's first page: two articles, and the 404
    for line in crawl.records:
        page = FIXTURES / "site" / unquote(urlsplit(line["url"]).path).lstrip("/")
        record = page_record(page.read_text(encoding="utf-8"), line["url"])
        assert without_crawl_time(line) == without_crawl_time(record)


def test_input_that_makes_no_record_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        archive_record("no archive item here")
    with pytest.raises(InvalidInput) as dropped:
        feed_record(link="https://www.rfi.fr/cn/中国/20240101-x", title="", description="")
    assert "no title" in str(dropped.value) or "no_title" in str(dropped.value)
