"""The feedx spider end to end against a real HTTP server on 127.0.0.1 serving reconstructed feeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rfi_news.normalize.urls import canonical_url
from tests.conftest import ARCHIVE_DIR, EXPECTED_ARCHIVE_DIR, FIXTURES, archive_link, free_port, load_expected
from tests.crawl import CrawlResult, run_crawl
from tests.fixture_server import Answer, FixtureServer
from tests.fixtures.feeds.build_feeds import FEED_ITEMS

FEED_PATH = "/feeds/feedx_rfi.xml"


@pytest.fixture(scope="module")
def feed_crawl(fixture_server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    fixture_server.reset()
    return run_crawl("feedx", tmp_path_factory.mktemp("feedx"), args={"feed_url": fixture_server.url(FEED_PATH)})


def test_feed_gives_exactly_its_items(feed_crawl: CrawlResult) -> None:
    assert feed_crawl.returncode == 0, feed_crawl.log
    assert len(FEED_ITEMS) == 12
    assert len(feed_crawl.records) == 12
    assert feed_crawl.urls == {canonical_url(archive_link(ARCHIVE_DIR / name)) for name in FEED_ITEMS}
    assert feed_crawl.stat("rfi_news/feed/entries") == 12
    # The feed, and robots.txt first: obeyed even on a feed host.
    assert feed_crawl.stat("downloader/request_count") == 2
    assert feed_crawl.stat("robotstxt/request_count") == 1


def test_records_say_they_come_from_feedx(feed_crawl: CrawlResult) -> None:
    assert {record["source"] for record in feed_crawl.records} == {"feedx"}


@pytest.mark.parametrize(
    "name", [name for name in FEED_ITEMS if (EXPECTED_ARCHIVE_DIR / name).with_suffix(".json").exists()]
)
def test_feed_records_match_the_hand_checked_records(feed_crawl: CrawlResult, name: str) -> None:
    expected = load_expected((EXPECTED_ARCHIVE_DIR / name).with_suffix(".json"))
    record = next(record for record in feed_crawl.records if record["url"] == expected["url"])
    for field, value in expected.items():
        if field != "source":
            assert record[field] == value, field


def test_feed_records_are_valid(feed_crawl: CrawlResult, schema_validator) -> None:
    for record in feed_crawl.records:
        assert list(schema_validator.iter_errors(record)) == []


@pytest.mark.parametrize("failure", ["503", "refused"])
def test_next_mirror_is_tried_only_when_one_fails(server: FixtureServer, tmp_path: Path, failure: str) -> None:
    if failure == "503":
        server.routes["/mirror-a/rfi.xml"] = Answer(status=503, body=b"busy")
        first = server.url("/mirror-a/rfi.xml")
    else:
        first = f"http://127.0.0.1:{free_port()}/rss/rfi.xml"
    third = server.url("/mirror-c/rfi.xml")
    result = run_crawl("feedx", tmp_path, args={"feed_url": f"{first},{server.url(FEED_PATH)},{third}"})
    assert result.returncode == 0
    assert len(result.records) == 12
    assert result.stat("rfi_news/feed/failed") == 1
    assert f"Trying the next feed URL: {server.url(FEED_PATH)!r}" in result.log
    assert server.count("/mirror-c/rfi.xml") == 0  # the mirror after a good one is never asked
    if failure == "503":
        assert server.count("/mirror-a/rfi.xml") == 2  # the first try and RETRY_TIMES=1 retry


def test_feed_urls_setting_lists_mirrors_in_order(server: FixtureServer, tmp_path: Path) -> None:
    server.routes["/down/rfi.xml"] = Answer(status=500)
    urls = f"{server.url('/down/rfi.xml')},{server.url(FEED_PATH)}"
    result = run_crawl("feedx", tmp_path, settings={"FEEDX_URLS": urls})
    assert len(result.records) == 12
    assert server.count("/down/rfi.xml") == 2


def test_every_mirror_failing_is_one_clear_error(server: FixtureServer, tmp_path: Path) -> None:
    server.routes["/a.xml"] = Answer(status=404)
    server.routes["/b.xml"] = Answer(status=200, file="/feeds/not_a_feed.html")
    result = run_crawl("feedx", tmp_path, args={"feed_url": f"{server.url('/a.xml')},{server.url('/b.xml')}"})
    assert result.records == []
    assert result.stat("rfi_news/feed/all_failed") == 1
    assert result.stat("rfi_news/feed/unreadable") == 1
    assert "not an RSS document" in result.log
    assert "Every feed URL failed" in result.log


def test_file_urls_work(tmp_path: Path) -> None:
    result = run_crawl("feedx", tmp_path, args={"feed_url": (FIXTURES / "feeds" / "feedx_rfi.xml").as_uri()})
    assert len(result.records) == 12


class TestBadFeeds:
    def test_broken_xml_keeps_whole_items_and_tries_the_mirror(self, server: FixtureServer, tmp_path: Path) -> None:
        broken = server.url("/feeds/feedx_rfi_broken.xml")
        result = run_crawl("feedx", tmp_path, args={"feed_url": f"{broken},{server.url(FEED_PATH)}"})
        assert result.stat("rfi_news/feed/broken_xml") == 1
        assert "feedx_rfi_broken.xml': broken XML, keeping the 3 item(s) before the break" in result.log
        # The three whole items, then the mirror's twelve; the three repeated ones are dropped.
        assert len(result.records) == 12
        assert result.stat("rfi_news/dedup/dropped") == 3

    def test_broken_xml_alone(self, server: FixtureServer, tmp_path: Path) -> None:
        result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi_broken.xml")})
        assert len(result.records) == 3
        assert "No feed URL left to try; keeping the items recovered so far" in result.log

    def test_feed_with_no_items(self, server: FixtureServer, tmp_path: Path) -> None:
        result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi_no_items.xml")})
        assert result.returncode == 3  # a run that wrote nothing is unhealthy (docs/monitoring.md)
        report = json.loads(result.output.with_name("out.jsonl.report.json").read_text(encoding="utf-8"))
        assert report["failed"] == ["Records"]
        assert result.records == []
        assert result.stat("rfi_news/feed/no_items") == 1
        assert "feedx_rfi_no_items.xml': the feed has no items" in result.log

    def test_wrong_charset_header(self, server: FixtureServer, tmp_path: Path) -> None:
        server.routes["/latin1/rfi.xml"] = Answer(
            file=FEED_PATH, headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"}
        )
        result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/latin1/rfi.xml")})
        assert result.stat("rfi_news/feed/charset_mismatch") == 1
        # w3lib resolves the header's label as browsers do: ISO-8859-1 is read as cp1252.
        assert (
            "Content-Type 'application/rss+xml; charset=ISO-8859-1' says cp1252 but the XML declares utf-8; "
            "reading it as utf-8" in result.log
        )
        titles = {record["title"] for record in result.records}
        assert "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会" in titles
        assert len(result.records) == 12

    def test_items_without_date_line_or_title(self, server: FixtureServer, tmp_path: Path) -> None:
        result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi_odd_items.xml")})
        by_url = {record["url"]: record for record in result.records}
        good = by_url[canonical_url(archive_link(ARCHIVE_DIR / "dm-news_rfi_1035000.md"))]
        assert good["published"] == "2021-02-09T13:19:00Z"
        # No date line: kept (it has the feed's time), with published null, never the feed's time.
        undated = by_url[canonical_url(archive_link(ARCHIVE_DIR / "dm-news_rfi_1036000.md"))]
        assert undated["published"] is None
        assert undated["published_raw"] is None
        assert undated["feed_published"] == "2021-01-24T12:56:14Z"  # <!--1611492974000-->
        assert result.stat("rfi_news/item/missing/published") == 1
        assert "no date line" in result.log
        # No title: dropped, with its source and the reason in the log.
        assert len(result.records) == 2
        assert result.stat("rfi_news/validation/dropped/no_title") == 1
        assert "feedx_rfi_odd_items.xml item 3" in result.log
        assert "record dropped (no_title)" in result.log
