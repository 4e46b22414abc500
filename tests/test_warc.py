"""WARC capture (``RFI_WARC_DIR``) and re-extraction (``scrapy crawl warc``), end to end (docs/warc.md).

Crawls of the reconstructed site (``rfi``, ``feedx -a follow=1``) and of the local feed (``feedx``) run with
capture on; their WARC files are then checked with the real ``warcio check`` / ``warcio index`` commands and read
back with a second, independent reader (FastWARC), and ``scrapy crawl warc`` must make the very records the live
crawls made (``crawled_at`` aside), offline. The damage tests cut and corrupt copies of the files with plain
``gzip``/``zlib``, at offsets taken from ``warcio index``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from fastwarc.warc import ArchiveIterator as FastWarcIterator
from fastwarc.warc import WarcRecordType
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from rfi_news.warc.capture import WarcCaptureMiddleware
from tests.conftest import FIXTURES
from tests.crawl import PROJECT_ROOT, CrawlResult, crawl_command, run_crawl
from tests.fixture_server import Answer, FixtureServer, RecordedRequest
from tests.fixtures.feeds.build_feeds import FEED_ITEMS
from tests.test_rfi_spider import (
    ASIA_429,
    CHINA_404,
    LISTED_RECORDS,
    LISTINGS,
    SEED,
    TAIWAN_403,
    once_429_then_file,
    record_paths,
)

WARCIO = str(Path(sys.executable).with_name("warcio"))
GZIPPED = "/cn/国际/20240204-菲律宾外长-不应将印太地区发展过度定性为美中竞争的结果"
GZIPPED_BODY = gzip.compress((FIXTURES / "site" / GZIPPED.lstrip("/")).read_bytes(), mtime=0)
MAX_SIZE = 40_000  # small enough that the fixture crawl fills several files


def moved_once(request: RecordedRequest, answered: list[str]) -> Answer:
    """301 to the same page with ``?moved=1`` the first time the path is asked for, the page after."""
    answered.append(request.path)
    if answered.count(request.path) == 1:
        return Answer(status=301, headers={"Location": quote(request.path) + "?moved=1"}, body=b"")
    return Answer(file=request.path)


def without_crawl_time(records: list[dict[str, Any]]) -> list[str]:
    """The records as sorted JSON texts without ``crawled_at``: equal lists are the same multiset of records."""
    return sorted(
        json.dumps({key: value for key, value in record.items() if key != "crawled_at"}, sort_keys=True)
        for record in records
    )


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def one_warcinfo_then_pairs(index: list[dict[str, str]]) -> list[str]:
    """What a file's record types must be: its warcinfo, then a response and its request per exchange."""
    return ["warcinfo"] + ["response", "request"] * ((len(index) - 1) // 2)


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARCIO, *args], capture_output=True, text=True, timeout=60, check=False)


def warcio_index(path: Path) -> list[dict[str, str]]:
    fields = "warc-type,warc-target-uri,http:status,offset,length,rfi-news-article-url,http:content-encoding"
    result = warcio("index", "-f", fields, str(path))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def reextract(path: Path, workdir: Path) -> CrawlResult:
    result = run_crawl("warc", workdir, args={"path": str(path)})
    assert result.returncode == 0, result.log
    return result


@pytest.fixture(scope="module")
def rfi_capture(site_server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    """The listing crawl of tests/test_rfi_spider.py (a 403, a 404, a 429, robots.txt), plus a 301 and a
    gzip-encoded page, with capture on."""
    site_server.reset()
    site_server.routes[TAIWAN_403] = Answer(status=403, body=b"Access Denied")
    answered: list[str] = []
    site_server.routes[ASIA_429] = lambda request: once_429_then_file(request, answered)
    moved: list[str] = []
    site_server.routes[SEED] = lambda request: moved_once(request, moved)
    site_server.routes[GZIPPED] = Answer(
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"}, body=GZIPPED_BODY
    )
    workdir = tmp_path_factory.mktemp("rfi-capture")
    warc_dir = workdir / "warc"
    result = run_crawl(
        "rfi",
        workdir,
        args={"listings": LISTINGS},
        settings={"RFI_ORIGIN": site_server.origin, "RFI_WARC_DIR": str(warc_dir), "RFI_WARC_MAX_SIZE": str(MAX_SIZE)},
    )
    assert result.returncode == 0, result.log
    site_server.reset()
    return result, warc_dir


@pytest.fixture(scope="module")
def follow_capture(
    fixture_server: FixtureServer, site_server: FixtureServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlResult, Path]:
    """``feedx -a follow=1`` (two pages answered, a 403, a 404), capture switched on by the environment variable,
    in files small enough that feed items and their pages land in different files."""
    site_server.reset()
    site_server.routes[TAIWAN_403] = Answer(status=403, body=b"Access Denied")
    workdir = tmp_path_factory.mktemp("follow-capture")
    warc_dir = workdir / "warc"
    result = run_crawl(
        "feedx",
        workdir,
        args={"feed_url": fixture_server.url("/feeds/feedx_rfi_follow.xml"), "follow": "1"},
        settings={"RFI_ORIGIN": site_server.origin, "RFI_WARC_MAX_SIZE": "10000"},
        env={"RFI_WARC_DIR": str(warc_dir)},
    )
    assert result.returncode == 0, result.log
    site_server.reset()
    return result, warc_dir


@pytest.fixture(scope="module")
def feed_capture(fixture_server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    fixture_server.reset()
    workdir = tmp_path_factory.mktemp("feed-capture")
    warc_dir = workdir / "warc"
    result = run_crawl(
        "feedx",
        workdir,
        args={"feed_url": fixture_server.url("/feeds/feedx_rfi.xml")},
        settings={"RFI_WARC_DIR": str(warc_dir)},
    )
    assert result.returncode == 0, result.log
    return result, warc_dir


# --- Re-extraction gives the live crawl's records ---------------------------------------------------------------


def test_rfi_crawl_reextracted_gives_the_same_records(rfi_capture, tmp_path: Path) -> None:
    live, warc_dir = rfi_capture
    # Capture changes nothing in the crawl: the listing crawl's records (the 301 and the gzip page included).
    assert record_paths(live) == LISTED_RECORDS
    assert len(warc_files(warc_dir)) > 1  # rolled at RFI_WARC_MAX_SIZE
    again = reextract(warc_dir, tmp_path)
    assert without_crawl_time(again.records) == without_crawl_time(live.records)
    assert again.stat("rfi_news/warc/responses/page") == 10  # the 2xx article pages; not the 403/404/429/301
    assert again.stat("rfi_news/warc/damaged/unreadable") == 0


def test_feedx_follow_reextracted_gives_the_same_records(follow_capture, tmp_path: Path) -> None:
    live, warc_dir = follow_capture
    sources = {unquote(record["url"].removeprefix("https://www.rfi.fr")): record["source"] for record in live.records}
    assert sources == {
        "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密": "rfi",
        "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国": "rfi",
        TAIWAN_403: "feedx",
        CHINA_404: "feedx",
    }
    assert len(warc_files(warc_dir)) > 1
    again = reextract(warc_dir, tmp_path)
    assert without_crawl_time(again.records) == without_crawl_time(live.records)
    assert again.stat("rfi_news/follow/source/rfi") == 2
    assert again.stat("rfi_news/follow/source/feedx") == 2


def test_feed_crawl_reextracted_gives_the_same_records(feed_capture, tmp_path: Path) -> None:
    live, warc_dir = feed_capture
    assert len(live.records) == len(FEED_ITEMS) == 12
    again = reextract(warc_dir, tmp_path)
    assert without_crawl_time(again.records) == without_crawl_time(live.records)
    assert {record["source"] for record in again.records} == {"feedx"}


def test_a_single_file_can_be_reextracted(feed_capture, tmp_path: Path) -> None:
    live, warc_dir = feed_capture
    [only] = warc_files(warc_dir)
    again = reextract(only, tmp_path)
    assert without_crawl_time(again.records) == without_crawl_time(live.records)


def test_an_uncompressed_warc_is_read_too(feed_capture, tmp_path: Path) -> None:
    live, warc_dir = feed_capture
    [compressed] = warc_files(warc_dir)
    plain = tmp_path / "warc" / compressed.name.removesuffix(".gz")
    plain.parent.mkdir()
    plain.write_bytes(gzip.decompress(compressed.read_bytes()))  # every member, one after the other
    again = reextract(plain.parent, tmp_path / "re")
    assert without_crawl_time(again.records) == without_crawl_time(live.records)


def test_reextraction_sends_no_request(
    rfi_capture, site_server: FixtureServer, fixture_server: FixtureServer, tmp_path: Path
) -> None:
    _live, warc_dir = rfi_capture
    site_server.reset()
    fixture_server.reset()
    again = reextract(warc_dir, tmp_path)
    assert again.records
    assert site_server.requests == []
    assert fixture_server.requests == []
    # One data: request per file (read locally), no robots.txt, nothing else.
    assert again.stat("downloader/request_count") == len(warc_files(warc_dir))
    assert again.stat("robotstxt/request_count") == 0


# --- What is captured, checked with the real tools ---------------------------------------------------------------


def test_every_exchange_is_captured_redirects_and_errors_included(rfi_capture) -> None:
    live, warc_dir = rfi_capture
    index = [entry for path in warc_files(warc_dir) for entry in warcio_index(path)]
    responses = [entry for entry in index if entry["warc-type"] == "response"]
    requests = [entry for entry in index if entry["warc-type"] == "request"]
    assert len(responses) == len(requests) == live.stat("downloader/response_count")
    assert len(responses) == live.stat("rfi_news/warc/exchanges")
    statuses = {
        (unquote(entry["warc-target-uri"].removeprefix(live_origin(entry))), entry["http:status"])
        for entry in responses
    }
    assert ("/robots.txt", "200") in statuses
    assert (TAIWAN_403, "403") in statuses
    assert (CHINA_404, "404") in statuses
    assert (ASIA_429, "429") in statuses
    assert (ASIA_429, "200") in statuses  # the retry
    assert (SEED, "301") in statuses
    assert (SEED + "?moved=1", "200") in statuses  # the redirect's target
    assert ("/cn/中国/2/", "200") in statuses  # a listing page
    # The article requests carry the article's canonical URL (what a record's `url` is), the redirect's too.
    seed_url = "https://www.rfi.fr" + quote(SEED)
    assert [entry["http:status"] for entry in responses if entry.get("rfi-news-article-url") == seed_url] == [
        "301",
        "200",
    ]


def live_origin(entry: dict[str, str]) -> str:
    uri = entry["warc-target-uri"]
    return uri[: uri.index("/", len("http://"))]


def test_warcio_check_passes_every_file(rfi_capture, follow_capture, feed_capture) -> None:
    for _live, warc_dir in (rfi_capture, follow_capture, feed_capture):
        for path in warc_files(warc_dir):
            result = warcio("check", "-v", str(path))
            assert result.returncode == 0, result.stdout + result.stderr
            records = len(warcio_index(path))
            assert result.stdout.count("digest pass") == records, result.stdout
            assert "fail" not in result.stdout


def test_each_file_is_warc_1_1_opened_by_its_warcinfo(rfi_capture) -> None:
    _live, warc_dir = rfi_capture
    runs = set()
    for path in warc_files(warc_dir):
        with gzip.open(path) as file:  # gzip reads the file's members one after the other
            head = file.read(4096).decode("utf-8")
        block, _, body = head.partition("\r\n\r\n")
        assert block.startswith("WARC/1.1\r\nWARC-Type: warcinfo\r\n"), block
        assert f"WARC-Filename: {path.name}" in block
        fields = dict(line.split(": ", 1) for line in body.split("\r\n\r\n")[0].splitlines())
        assert fields["software"].startswith("rfi-news/0.1.0 (Scrapy 2.19")
        assert fields["rfi-news-spider"] == "rfi"
        assert fields["format"] == "WARC File Format 1.1"
        runs.add(fields["isPartOf"])
        assert path.name.startswith(fields["isPartOf"] + "-")
    assert len(runs) == 1  # the run's files, numbered 00000, 00001, …
    names = [path.name for path in warc_files(warc_dir)]
    assert [name.rsplit("-", 1)[1] for name in names] == [f"{n:05d}.warc.gz" for n in range(len(names))]


def test_files_are_gzipped_per_record_and_rolled_at_the_size_limit(rfi_capture) -> None:
    _live, warc_dir = rfi_capture
    files = warc_files(warc_dir)
    for path in files[:-1]:
        assert path.stat().st_size >= MAX_SIZE
    for path in files:
        index = warcio_index(path)
        data = path.read_bytes()
        # Each record is one gzip member: it starts at its offset and decompresses alone.
        for entry in index:
            member = data[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])]
            warc_block = zlib.decompressobj(wbits=31).decompress(member).split(b"\r\n\r\n", 1)[0].decode()
            assert warc_block.startswith("WARC/1.1\r\n")
            assert f"WARC-Type: {entry['warc-type']}" in warc_block.splitlines()
        assert [entry["warc-type"] for entry in index] == one_warcinfo_then_pairs(index)


def test_a_second_reader_reads_the_files(rfi_capture) -> None:
    """FastWARC (its own parser, in Rust) reads every record, verifies every digest, and finds the gzip-encoded
    page kept as it was served: still gzip-encoded."""
    _live, warc_dir = rfi_capture
    found_gzipped = False
    for path in warc_files(warc_dir):
        # Block digests cover the HTTP header block, payload digests the body after it: FastWARC checks the first
        # on records read whole, the second on records whose HTTP headers it parsed.
        types = []
        for record in FastWarcIterator(str(path), parse_http=False):
            types.append(record.record_type)
            assert record.verify_block_digest(), (path, record.stream_pos)
        assert types[0] == WarcRecordType.warcinfo
        assert types[1:] == [WarcRecordType.response, WarcRecordType.request] * ((len(types) - 1) // 2)
        targets = []
        for record in FastWarcIterator(str(path), parse_http=True, record_types=WarcRecordType.response):
            targets.append(record.headers["WARC-Target-URI"])
            assert record.verify_payload_digest(), (path, record.stream_pos)
            if unquote(record.headers["WARC-Target-URI"]).endswith(GZIPPED):
                assert record.http_headers["Content-Encoding"] == "gzip"
                assert record.reader.read() == GZIPPED_BODY
                found_gzipped = True
        expected = [entry["warc-target-uri"] for entry in warcio_index(path) if entry["warc-type"] == "response"]
        assert targets == expected
    assert found_gzipped


def test_captures_index_gives_each_records_response(rfi_capture) -> None:
    live, warc_dir = rfi_capture
    [index_file] = warc_dir.glob("*.captures-*.jsonl")  # one: the run published its output once, at the end
    lines = [json.loads(line) for line in index_file.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["url"] for line in lines) == sorted(live.urls)
    for line in lines:
        data = (warc_dir / line["warc"]).read_bytes()
        text = zlib.decompressobj(wbits=31).decompress(data[line["offset"] :]).decode("utf-8", errors="replace")
        warc_block, _, rest = text.partition("\r\n\r\n")
        assert "WARC-Type: response" in warc_block.splitlines()
        assert f"RFI-News-Article-URL: {line['url']}" in warc_block.splitlines()
        assert rest.startswith("HTTP/1.1 200 OK\r\n")


def test_capture_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFI_WARC_DIR", raising=False)
    with pytest.raises(NotConfigured):
        WarcCaptureMiddleware.from_crawler(get_crawler(settings_dict={}))


# --- Killed runs and damaged files ---------------------------------------------------------------------------


def test_a_killed_run_leaves_only_complete_warc_files(site: FixtureServer, tmp_path: Path) -> None:
    """SIGKILL mid-run: the published WARC files are whole, and every record the run published (in batches of
    three, Scrapy's checkpoints) has its capture published: in the captures index, and in the WARC files."""
    warc_dir = tmp_path / "warc"
    output = tmp_path / "output"
    settings = {
        "RFI_ORIGIN": site.origin,
        "RFI_WARC_DIR": str(warc_dir),
        "RFI_WARC_MAX_SIZE": "15000",
        "FEEDS": json.dumps({f"{output}/out-%(batch_id)d.jsonl": {"format": "jsonlines"}}),
        "FEED_EXPORT_BATCH_ITEM_COUNT": "3",
        "DOWNLOAD_DELAY": "0.25",
        "CONCURRENT_REQUESTS": "1",
        "LOG_FILE": str(tmp_path / "crawl.log"),
    }
    process = subprocess.Popen(
        crawl_command("rfi", args={"listings": LISTINGS}, settings=settings),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )

    def mid_run() -> bool:
        """A file being written, after others were published with a batch of records and their index."""
        return (
            len(warc_files(warc_dir)) >= 2
            and any(path.stat().st_size for path in warc_dir.glob(".*.warc.gz.part"))
            and any(output.glob("out-*.jsonl"))
            and any(warc_dir.glob("*.captures-*.jsonl"))
        )

    try:
        deadline = time.monotonic() + 60
        while not mid_run():
            assert process.poll() is None, "the crawl ended before the kill"
            assert time.monotonic() < deadline, "gave up waiting for the crawl to publish"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    published = warc_files(warc_dir)
    for path in published:
        assert warcio("check", str(path)).returncode == 0
        index = warcio_index(path)
        assert [entry["warc-type"] for entry in index] == one_warcinfo_then_pairs(index)
        assert sum(1 for _ in FastWarcIterator(str(path))) == len(index)
    indexes = sorted(warc_dir.glob("*.captures-*.jsonl"))
    # What the killed run was writing is only hidden temporary files.
    leftovers = [path.name for path in warc_dir.iterdir() if path not in published and path not in indexes]
    assert leftovers
    assert all(name.startswith(".") and name.endswith(".part") for name in leftovers), leftovers
    # Every published record's capture is published: its index line, and the response record it points to.
    records = [json.loads(line) for path in output.glob("out-*.jsonl") for line in path.read_text("utf-8").splitlines()]
    assert records
    lines = {line["url"]: line for path in indexes for line in map(json.loads, path.read_text("utf-8").splitlines())}
    for record in records:
        line = lines[record["url"]]
        data = (warc_dir / line["warc"]).read_bytes()
        warc_block = zlib.decompressobj(wbits=31).decompress(data[line["offset"] :]).split(b"\r\n\r\n", 1)[0]
        assert f"RFI-News-Article-URL: {record['url']}" in warc_block.decode().splitlines()
    # So re-extracting the published files gives back at least the published records.
    again = reextract(warc_dir, tmp_path / "re")
    assert set(without_crawl_time(records)) <= set(without_crawl_time(again.records))


@pytest.fixture
def page_members(rfi_capture, tmp_path: Path) -> tuple[CrawlResult, Path, list[tuple[Path, dict[str, str]]]]:
    """A copy of the rfi capture, and its article pages' 200 response records (file, index entry), in order."""
    live, warc_dir = rfi_capture
    copy = tmp_path / "warc"
    shutil.copytree(warc_dir, copy)
    pages = [
        (path, entry)
        for path in warc_files(copy)
        for entry in warcio_index(path)
        if entry["warc-type"] == "response" and entry.get("rfi-news-article-url") and entry["http:status"] == "200"
    ]
    return live, copy, pages


def records_except(live: CrawlResult, urls: set[str]) -> list[str]:
    return without_crawl_time([record for record in live.records if record["url"] not in urls])


def test_a_corrupt_record_costs_that_record_only(page_members, tmp_path: Path) -> None:
    live, copy, pages = page_members
    path, entry = next((path, entry) for path, entry in pages if entry is not last_in_file(pages, path))
    offset, length = int(entry["offset"]), int(entry["length"])
    data = bytearray(path.read_bytes())
    middle = offset + length // 2
    data[middle : middle + 16] = bytes(byte ^ 0xFF for byte in data[middle : middle + 16])
    path.write_bytes(bytes(data))
    again = reextract(copy, tmp_path / "re")
    # Everything else is read, the records after the damage in the same file included.
    assert without_crawl_time(again.records) == records_except(live, {entry["rfi-news-article-url"]})
    assert again.stat("rfi_news/warc/damaged/unreadable") == 1
    assert f"{path}: damaged WARC record at offset {offset} (unreadable)" in again.log


def last_in_file(pages: list[tuple[Path, dict[str, str]]], path: Path) -> dict[str, str]:
    return [entry for page_path, entry in pages if page_path == path][-1]


def test_a_record_whose_digest_fails_is_skipped(page_members, tmp_path: Path) -> None:
    live, copy, pages = page_members

    def record_of(path: Path, entry: dict[str, str]) -> bytes:
        offset, length = int(entry["offset"]), int(entry["length"])
        return gzip.decompress(path.read_bytes()[offset : offset + length])

    # A page whose body was served without Content-Encoding, so its HTML can be altered in place.
    path, entry = next((path, entry) for path, entry in pages if b"</html>" in record_of(path, entry))
    offset, length = int(entry["offset"]), int(entry["length"])
    data = path.read_bytes()
    record = record_of(path, entry)
    altered = gzip.compress(record.replace(b"</html>", b"</HTML>"), mtime=0)  # a valid member, wrong digests
    path.write_bytes(data[:offset] + altered + data[offset + length :])
    again = reextract(copy, tmp_path / "re")
    assert without_crawl_time(again.records) == records_except(live, {entry["rfi-news-article-url"]})
    assert again.stat("rfi_news/warc/damaged/digest") == 1
    assert f"{path}: damaged WARC record at offset {offset} (digest)" in again.log


def test_a_truncated_file_is_read_up_to_the_damage(page_members, tmp_path: Path) -> None:
    live, copy, pages = page_members
    path = next(path for path, _entry in pages if len([p for p, _e in pages if p == path]) >= 2)
    entry = last_in_file(pages, path)
    offset, length = int(entry["offset"]), int(entry["length"])
    # Cut inside the record: it and what followed it in the file are gone.
    lost = {
        other["rfi-news-article-url"]
        for other_path, other in pages
        if other_path == path and int(other["offset"]) >= offset
    }
    assert lost == {entry["rfi-news-article-url"]}
    path.write_bytes(path.read_bytes()[: offset + length // 2])
    again = reextract(copy, tmp_path / "re")
    assert without_crawl_time(again.records) == records_except(live, lost)
    assert again.stat("rfi_news/warc/damaged/truncated") == 1
    assert f"{path}: damaged WARC record at offset {offset} (truncated)" in again.log


def test_a_capture_that_cannot_be_written_is_loud_and_the_crawl_goes_on(server: FixtureServer, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "warc"
    not_a_folder.write_text("a file where the WARC folder should be", encoding="utf-8")
    result = run_crawl(
        "feedx",
        tmp_path / "run",
        args={"feed_url": server.url("/feeds/feedx_rfi.xml")},
        settings={"RFI_WARC_DIR": str(not_a_folder)},
    )
    assert result.returncode == 3, result.log  # the ERROR fails the run's health check
    assert len(result.records) == len(FEED_ITEMS)
    assert result.stat("rfi_news/warc/write_failed") == 1
    assert f"WARC capture stopped: cannot write to {not_a_folder}" in result.log


# --- Bad input in a capture costs what it cost live -------------------------------------------------------------

FOLLOW_FEED = (FIXTURES / "feeds" / "feedx_rfi_follow.xml").read_text(encoding="utf-8")
FOLLOW_PAGES = [
    unquote(urlsplit(link).path) for link in re.findall(r"<link>(https://www\.rfi\.fr/cn/[^<]+)</link>", FOLLOW_FEED)
]
NOT_HTML_PAGE, DEEP_PAGE, _, _ = FOLLOW_PAGES  # the first two answered (a PNG; 1,000 divs deep), then the 403, the 404
OFF_HOST_LINK = "https://evil.example/cn/中国/20240101-x"
BAD_INPUT_STATS = {  # counted once each, live and re-extracted alike
    "rfi_news/feed/unreadable": 1,  # the first mirror: an HTML page
    "rfi_news/feed/broken_xml": 1,  # the feed, cut inside its 4th item
    "rfi_news/feed/charset_mismatch": 1,
    "rfi_news/feed/items_in_document": 4,
    "rfi_news/feed/items_read": 3,
    "rfi_news/item/read": 3,
    "rfi_news/item/invalid/not_rfi_host": 1,  # the 3rd item's link
    "rfi_news/page/not_html": 1,
    "rfi_news/page/invalid/too_deep": 1,
    "rfi_news/follow/source/feedx": 2,
}


def warning_messages(log: str) -> list[str]:
    return [line.split(" WARNING: ", 1)[1] for line in log.splitlines() if " WARNING: " in line]


@pytest.fixture(scope="module")
def bad_input_capture(site_server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Path]:
    """``feedx -a follow=1`` with capture on: a mirror that is no RSS, then a feed served with the wrong charset,
    cut inside its last item, whose 3rd item links off rfi.fr and whose two answered pages are not HTML / too deep."""
    site_server.reset()
    links = re.findall(r"<link>(https://www\.rfi\.fr/cn/[^<]+)</link>", FOLLOW_FEED)
    feed = FOLLOW_FEED.replace(f"<link>{links[2]}</link>", f"<link>{OFF_HOST_LINK}</link>", 1)
    last_item = feed.rindex("<item>")
    feed = feed[: last_item + 200]  # inside the 4th item's description
    site_server.routes["/feeds/bad.xml"] = Answer(
        headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"}, body=feed.encode("utf-8")
    )
    site_server.routes["/feeds/not-rss.xml"] = Answer(
        headers={"Content-Type": "text/html; charset=utf-8"}, body=(FIXTURES / "feeds" / "not_a_feed.html").read_bytes()
    )
    site_server.routes[NOT_HTML_PAGE] = Answer(headers={"Content-Type": "image/png"}, body=b"\x89PNG\r\n\x1a\n")
    page = (FIXTURES / "site" / DEEP_PAGE.lstrip("/")).read_text(encoding="utf-8")
    body_div = '<div class="t-content__body u-clearfix">'
    assert body_div in page
    site_server.routes[DEEP_PAGE] = Answer(
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=page.replace(body_div, body_div + "<div>" * 1000, 1).encode("utf-8"),
    )
    workdir = tmp_path_factory.mktemp("bad-input-capture")
    warc_dir = workdir / "warc"
    feeds = f"{site_server.url('/feeds/not-rss.xml')},{site_server.url('/feeds/bad.xml')}"
    result = run_crawl(
        "feedx",
        workdir,
        args={"feed_url": feeds, "follow": "1"},
        settings={"RFI_ORIGIN": site_server.origin, "RFI_WARC_DIR": str(warc_dir)},
    )
    site_server.reset()
    return result, warc_dir


def test_bad_input_in_a_capture_is_logged_and_counted_as_it_was_live(
    bad_input_capture, site_server: FixtureServer, tmp_path: Path
) -> None:
    live, warc_dir = bad_input_capture
    again = reextract(warc_dir, tmp_path)
    assert without_crawl_time(again.records) == without_crawl_time(live.records)
    assert {unquote(urlsplit(record["url"]).path): record["source"] for record in live.records} == {
        NOT_HTML_PAGE: "feedx",
        DEEP_PAGE: "feedx",
    }
    assert {key: live.stat(key) for key in BAD_INPUT_STATS} == BAD_INPUT_STATS
    assert {key: again.stat(key) for key in BAD_INPUT_STATS} == BAD_INPUT_STATS
    # The same WARNINGs; re-extracted, the WARC record (file@offset, and the URL it answered) stands for the URL.
    [path] = warc_files(warc_dir)
    # The log shows URLs decoded (rfi_news.logformatter), live and re-extracted.
    fetched = {  # decoded URL -> (the URL fetched live, the WARC record's source)
        unquote(entry["warc-target-uri"]): (
            unquote(entry["warc-target-uri"]),
            f"{path}@{entry['offset']} ({unquote(entry['warc-target-uri'])})",
        )
        for entry in warcio_index(path)
        if entry["warc-type"] == "response"
    }
    mirror, feed, not_html, deep = (
        fetched[unquote(site_server.url(where))]
        for where in ("/feeds/not-rss.xml", "/feeds/bad.xml", NOT_HTML_PAGE, DEEP_PAGE)
    )
    for side, log in ((1, again.log), (0, live.log)):
        expected = [
            f"{mirror[side]!r}: not an RSS document (",
            f"{feed[side]!r}: broken XML, keeping the 3 item(s) before the break: ",
            f"{feed[side]!r}: Content-Type 'application/rss+xml; charset=ISO-8859-1' says cp1252 but the XML "
            "declares utf-8; reading it as utf-8",
            f"item {feed[side] + ' item 3'!r} skipped: ",
            f"{not_html[side]!r}: not an HTML page (b'image/png')",
            f"page {deep[side]!r} skipped: ",
        ]
        messages = warning_messages(log)
        for start in expected:
            assert sum(message.startswith(start) for message in messages) == 1, (start, messages)
