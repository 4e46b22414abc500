"""Scheduled crawls end to end: incremental runs, conditional feed requests, killed runs, overlapping runs, resume.

Every crawl is a real ``scrapy crawl`` subprocess; the feed comes from the local fixture server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import ARCHIVE_DIR, FIXTURES
from tests.crawl import PROJECT_ROOT, CrawlResult, crawl_command, run_crawl
from tests.fixture_server import Answer, FixtureServer, RecordedRequest
from tests.test_rfi_spider import CHINA_404, LISTED_RECORDS, TAIWAN_403

# The seed item's link, as its archive file and the feed give it (already canonical).
SEED_URL = (
    "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-%E6%97%A5%E6%9C%AC%E5%8A%A0%E5%BC%BA%E4%B8%8E%E4%B8%AD"
    "%E4%BF%84%E5%8D%9A%E5%BC%88-%E6%8E%A8%E8%BF%9B%E6%98%8E%E5%B9%B4%E4%B8%BE%E8%A1%8C%E6%97%A5%E6%9C%AC%E4%B8%8E"
    "%E4%B8%AD%E4%BA%9A%E4%BA%94%E5%9B%BD%E9%A6%96%E8%84%91%E5%B3%B0%E4%BC%9A"
)
# The seed's first paragraph starts with this; an edit of it is a content change.
SEED_FIRST_PARAGRAPH = "中亚五国为前苏联中的国家"
SEED_EDITED_PARAGRAPH = "中亚五国均为前苏联加盟共和国"

# Eight archive items held back from the first run, to appear before the second.
LATER_ITEMS = [
    "dm-news_fagu_1042083.md",
    "dm-news_rfi_1000000.md",
    "dm-news_rfi_1010000.md",
    "dm-news_rfi_1020000.md",
    "dm-news_rfi_1030000.md",
    "dm-news_rfi_1040000.md",
    "dutymachine-news_rfi_1000008.md",
    "zll0257-news_rfi_999988.md",
]


def edit_seed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert SEED_FIRST_PARAGRAPH in text
    path.write_text(text.replace(SEED_FIRST_PARAGRAPH, SEED_EDITED_PARAGRAPH), encoding="utf-8")


def test_archive_runs_emit_only_what_is_new_or_changed(
    tmp_path: Path, archive_crawl: CrawlResult, schema_validator
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for source in ARCHIVE_DIR.glob("*.md"):
        if source.name not in LATER_ITEMS:
            shutil.copy(source, archive / source.name)
    state = {"RFI_STATE_DIR": str(tmp_path / "state")}

    first = run_crawl("archive", tmp_path / "run1", args={"path": str(archive)}, settings=state)
    assert first.returncode == 0, first.log
    assert len(first.records) == 40
    assert first.stat("rfi_news/state/new") == 40
    assert "Crawl state committed" in first.log

    for name in LATER_ITEMS:
        shutil.copy(ARCHIVE_DIR / name, archive / name)
    edit_seed(archive / "seed_rfi_20231230.md")
    second = run_crawl("archive", tmp_path / "run2", args={"path": str(archive)}, settings=state)
    assert second.returncode == 0, second.log
    assert (second.stat("rfi_news/state/new"), second.stat("rfi_news/state/changed")) == (8, 1)
    # The 39 files emitted by the first run and not touched since are known by their bytes: not even parsed.
    assert second.stat("rfi_news/state/skipped") == 39
    assert second.stat("rfi_news/item/read") == 9
    assert second.stat("rfi_news/state/unchanged") == 0
    assert second.urls == (archive_crawl.urls - first.urls) | {SEED_URL}
    assert len(second.records) == 9
    (seed,) = (record for record in second.records if record["url"] == SEED_URL)
    assert seed["paragraphs"][0].startswith(SEED_EDITED_PARAGRAPH)
    for record in second.records:
        schema_validator.validate(record)

    third = run_crawl("archive", tmp_path / "run3", args={"path": str(archive)}, settings=state)
    assert third.returncode == 0, third.log  # 0: the health checks passed (nothing new is a healthy run)
    assert third.records == []
    assert third.stat("rfi_news/state/skipped") == 48
    assert third.stat("rfi_news/item/read") == 0
    assert third.stat("rfi_news/state/new") == third.stat("rfi_news/state/changed") == 0


def test_archive_files_are_known_by_their_bytes_once_their_record_is_published(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(ARCHIVE_DIR, archive)
    state_dir = tmp_path / "state"
    state = {"RFI_STATE_DIR": str(state_dir)}
    first = run_crawl("archive", tmp_path / "run1", args={"path": str(archive)}, settings=state)
    assert first.returncode == 0, first.log
    assert first.stat("rfi_news/state/new") == 48
    with sqlite3.connect(state_dir / "archive.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM archive_files").fetchone() == (48,)
        # A state written before file digests were kept: the articles only.
        db.execute("DELETE FROM archive_files")

    # The seed's epoch line is the feed's time: a change there is not a change of the article's content.
    seed = archive / "seed_rfi_20231230.md"
    seed.write_text(re.sub(r"^<!--\d+-->", "<!--1703927702000-->", seed.read_text(encoding="utf-8")), encoding="utf-8")
    second = run_crawl("archive", tmp_path / "run2", args={"path": str(archive)}, settings=state)
    assert second.returncode == 0, second.log
    assert second.records == []
    assert second.stat("rfi_news/state/unchanged") == 48  # every file read, each article already published
    assert second.stat("rfi_news/state/skipped") == 0

    third = run_crawl("archive", tmp_path / "run3", args={"path": str(archive)}, settings=state)
    assert third.returncode == 0, third.log
    assert third.records == []
    assert third.stat("rfi_news/state/skipped") == 48  # the second run recorded what it found unchanged
    assert third.stat("rfi_news/state/unchanged") == 0


def test_without_state_every_run_emits_everything_and_only_where_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RFI_STATE_DIR", raising=False)
    default_output = {"RFI_OUTPUT_DIR": str(tmp_path / "default-output")}
    for run in ("run1", "run2"):
        result = run_crawl("archive", tmp_path / run, args={"path": str(ARCHIVE_DIR)}, env=default_output)
        assert result.returncode == 0, result.log
        assert len(result.records) == 48
        assert result.stat("rfi_news/state/new") == 0  # the incremental pipeline is off
    assert not (tmp_path / "default-output").exists()  # -O replaces the default per-run file


# --- feedx: a feed that changes between runs, served with an ETag, answered 304 when unchanged ---------------

FEED_XML = (FIXTURES / "feeds" / "feedx_rfi.xml").read_text(encoding="utf-8")
FEED_ITEMS = re.findall(r"<item>.*?</item>", FEED_XML, flags=re.DOTALL)
FEED_HEAD = FEED_XML[: FEED_XML.index("<item>")]
FEED_TAIL = FEED_XML[FEED_XML.rindex("</item>") + len("</item>") :]
LAST_MODIFIED = "Sat, 30 Dec 2023 09:15:01 GMT"


def feed_of(items: list[str]) -> bytes:
    return (FEED_HEAD + "\n".join(items) + FEED_TAIL).encode("utf-8")


class ChangingFeed:
    """A feed route that answers like a web server with ETags: 200 with the body, or 304 when it is unchanged."""

    def __init__(self) -> None:
        self.body = b""

    def __call__(self, request: RecordedRequest) -> Answer:
        etag = '"' + hashlib.sha1(self.body).hexdigest() + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": "application/rss+xml"}
        if request.headers.get("If-None-Match") == etag:
            return Answer(status=304, headers=headers)
        return Answer(headers=headers, body=self.body)


def test_feedx_runs_emit_only_what_is_new_or_changed_and_poll_with_etag(tmp_path: Path, server: FixtureServer) -> None:
    assert len(FEED_ITEMS) == 12
    assert SEED_URL in FEED_ITEMS[0]
    feed = ChangingFeed()
    server.routes["/rss/rfi.xml"] = feed
    args = {"feed_url": server.url("/rss/rfi.xml")}
    state = {"RFI_STATE_DIR": str(tmp_path / "state")}

    feed.body = feed_of(FEED_ITEMS[:8])
    first = run_crawl("feedx", tmp_path / "run1", args=args, settings=state)
    assert first.returncode == 0, first.log
    assert len(first.records) == 8
    assert first.stat("rfi_news/state/new") == 8
    assert "If-None-Match" not in server.requests[-1].headers

    feed.body = feed_of([FEED_ITEMS[0].replace(SEED_FIRST_PARAGRAPH, SEED_EDITED_PARAGRAPH), *FEED_ITEMS[1:]])
    second = run_crawl("feedx", tmp_path / "run2", args=args, settings=state)
    assert second.returncode == 0, second.log
    assert (second.stat("rfi_news/state/new"), second.stat("rfi_news/state/changed")) == (4, 1)
    assert second.stat("rfi_news/state/unchanged") == 7
    assert len(second.records) == 5
    assert second.urls - {SEED_URL} == {url for url in second.urls if url not in first.urls}
    (seed,) = (record for record in second.records if record["url"] == SEED_URL)
    assert seed["paragraphs"][0].startswith(SEED_EDITED_PARAGRAPH)
    # The first run's validators were sent; the feed had changed, so it came whole.
    assert server.requests[-1].headers.get("If-Modified-Since") == LAST_MODIFIED

    server.requests.clear()
    third = run_crawl("feedx", tmp_path / "run3", args=args, settings=state)
    assert third.returncode == 0, third.log
    assert third.records == []
    assert third.stat("rfi_news/feed/not_modified") == 1
    assert third.stat("rfi_news/feed/failed") == 0  # a 304 is "nothing new", not a reason to try a mirror
    assert third.stat("downloader/response_status_count/304") == 1
    assert third.stat("item_scraped_count") == 0
    assert server.count("/rss/rfi.xml") == 1
    assert [request.path for request in server.requests] == ["/robots.txt", "/rss/rfi.xml"]
    assert "not modified since the last run" in third.log


def test_a_broken_feed_is_not_remembered(tmp_path: Path, server: FixtureServer) -> None:
    """A feed the spider could not read must be fetched whole next time (so the mirrors are tried again)."""
    feed = ChangingFeed()
    feed.body = (FIXTURES / "feeds" / "not_a_feed.html").read_bytes()
    server.routes["/rss/rfi.xml"] = feed
    state = {"RFI_STATE_DIR": str(tmp_path / "state")}
    for run in ("run1", "run2"):
        result = run_crawl("feedx", tmp_path / run, args={"feed_url": server.url("/rss/rfi.xml")}, settings=state)
        assert result.returncode == 3, result.log  # unhealthy (every feed URL failed), as the monitors say
        assert result.stat("rfi_news/feed/unreadable") == 1
        assert result.stat("rfi_news/feed/not_modified") == 0
    assert "If-None-Match" not in server.requests[-1].headers


# --- rfi: article pages already emitted are not requested ---------------------------------------------------


def test_rfi_runs_do_not_request_article_pages_already_emitted(tmp_path: Path, site: FixtureServer) -> None:
    settings = {"RFI_ORIGIN": site.origin, "RFI_STATE_DIR": str(tmp_path / "state")}
    args = {"listings": "/cn/,/cn/中国/,/cn/国际/"}
    first = run_crawl("rfi", tmp_path / "run1", args=args, settings=settings)
    assert first.returncode == 0, first.log
    emitted = {unquote(url.removeprefix("https://www.rfi.fr")) for url in first.urls}
    # The listed articles (hand-checked in test_rfi_spider), with the Taiwan one, which answers here: no 403 scripted.
    assert emitted == {*LISTED_RECORDS, TAIWAN_403}
    assert first.stat("rfi_news/state/new") == len(emitted)
    assert emitted <= {request.path for request in site.requests}

    site.requests.clear()
    second = run_crawl("rfi", tmp_path / "run2", args=args, settings=settings)
    assert second.returncode == 0, second.log  # nothing new is a healthy run
    assert second.records == []
    assert second.stat("rfi_news/state/skipped") == len(emitted)
    requested = {request.path for request in site.requests}
    assert not requested & emitted  # no article page already emitted was fetched
    assert {"/cn/", "/cn/中国/", "/cn/国际/"} <= requested  # the listings were
    assert CHINA_404 in requested  # a page that gave no record is asked for again


# --- killed runs, overlapping runs -------------------------------------------------------------------------

COPIES = 30  # 30 copies of the 48 archive items: 1440 articles, each under its own url


def copy_archive(destination: Path, copies: range) -> None:
    """Copies of the archive items, each copy's link made distinct (``…-c<n>``) so each is its own article."""
    destination.mkdir(parents=True, exist_ok=True)
    for source in sorted(ARCHIVE_DIR.glob("*.md")):
        lines = source.read_text(encoding="utf-8").split("\n", 2)
        assert lines[1].endswith(")")
        for copy in copies:
            linked = lines[1][:-1] + f"-c{copy})"
            (destination / f"c{copy:03d}-{source.name}").write_text(
                "\n".join([lines[0], linked, lines[2]]), encoding="utf-8"
            )


def start_crawl(
    spider: str, workdir: Path, args: dict[str, str], settings: dict[str, str], env: dict[str, str] | None = None
) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        crawl_command(spider, args=args, settings={"LOG_FILE": str(workdir / "crawl.log"), **settings}),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def wait_until(condition, process: subprocess.Popen, what: str) -> None:
    """Poll until ``condition()`` holds; fail if the crawl ended first (bounded: no test waits forever)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"the crawl ended before {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def lock_held_by(state_dir: Path, spider: str, process: subprocess.Popen) -> bool:
    lock = state_dir / f"{spider}.lock"
    return lock.exists() and f"pid {process.pid}," in lock.read_text(encoding="utf-8")


def part_lines(output_dir: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in output_dir.glob(".*.part"))


def published_records(output_dir: Path) -> list[dict]:
    """Every line of every published ``*.jsonl``, each parsed (a partial line fails the test)."""
    records = []
    for path in sorted(output_dir.glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return records


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("big") / "archive"
    copy_archive(archive, range(COPIES))
    return archive


def test_killed_runs_never_publish_a_partial_line_nor_lose_an_article(tmp_path: Path, big_archive: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    first_files = sorted(big_archive.iterdir())[:480]
    for path in first_files:
        shutil.copy(path, archive / path.name)
    state_dir = tmp_path / "state"
    output = tmp_path / "output"
    settings = {
        "RFI_STATE_DIR": str(state_dir),
        "FEEDS": json.dumps({f"{output}/%(name)s/%(time)s.jsonl": {"format": "jsonlines", "store_empty": False}}),
    }
    spider_output = output / "archive"

    complete = start_crawl("archive", tmp_path / "complete1", {"path": str(archive)}, settings)
    assert complete.wait(timeout=120) == 0
    assert len(published_records(spider_output)) == 480

    for path in big_archive.iterdir():
        if not (archive / path.name).exists():
            shutil.copy(path, archive / path.name)
    # Kill points: holding the lock with nothing written yet; the first line written; several hundred lines in.
    kill_points = [
        ("the lock is held", lambda process: lock_held_by(state_dir, "archive", process)),
        ("a first line is written", lambda process: part_lines(spider_output) >= 1),
        ("300 lines are written", lambda process: part_lines(spider_output) >= 300),
    ]
    for number, (what, condition) in enumerate(kill_points):
        process = start_crawl("archive", tmp_path / f"killed{number}", {"path": str(archive)}, settings)
        wait_until(lambda process=process, condition=condition: condition(process), process, what)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
        # Only whole files were published: the first run's; the killed run's lines are in a hidden temp file.
        assert len(published_records(spider_output)) == 480, what
        assert all(path.name.startswith(".") for path in spider_output.glob("*.part"))

    final = start_crawl("archive", tmp_path / "complete2", {"path": str(archive)}, settings)
    assert final.wait(timeout=120) == 0
    urls = Counter(record["url"] for record in published_records(spider_output))
    assert len(urls) == COPIES * 48
    assert set(urls.values()) == {1}  # every article exactly once across the published files


def test_a_second_run_on_the_same_state_is_refused(tmp_path: Path, big_archive: Path) -> None:
    state_dir = tmp_path / "state"
    settings = {"RFI_STATE_DIR": str(state_dir)}
    # One file per batch, half a second apart: the first run is still busy when the second starts.
    slow = {**settings, "FEEDS": "{}", "ARCHIVE_BATCH_FILES": "1", "DOWNLOAD_DELAY": "0.5"}
    first = start_crawl("archive", tmp_path / "first", {"path": str(big_archive)}, slow)
    try:
        wait_until(lambda: lock_held_by(state_dir, "archive", first), first, "the first run holds the lock")
        second = run_crawl("archive", tmp_path / "second", args={"path": str(big_archive)}, settings=settings)
    finally:
        first.send_signal(signal.SIGINT)  # a graceful stop: the first run is not needed to the end
        # Stopped before its end: its monitors call the run unhealthy (exit status 3), as for any stopped run.
        assert first.wait(timeout=60) == 3
    assert second.returncode == 1
    assert "Not running archive: another run of this spider holds" in second.log
    assert f"pid {first.pid}" in second.log
    assert "Traceback" not in second.log  # the one clear line, not an exception dump
    assert not second.output.exists()  # refused before opening any output
    assert second.stats == {}


# --- resume with JOBDIR ------------------------------------------------------------------------------------


def test_a_stopped_backfill_resumes_with_jobdir(tmp_path: Path) -> None:
    # Ten batches of five, one at a time: the first run stops after two or three, with the rest still queued.
    jobdir = {"JOBDIR": str(tmp_path / "job"), "ARCHIVE_BATCH_FILES": "5", "CONCURRENT_REQUESTS": "1"}
    stop_after_ten = {**jobdir, "CLOSESPIDER_ITEMCOUNT": "10"}
    stopped = run_crawl("archive", tmp_path / "run1", args={"path": str(ARCHIVE_DIR)}, settings=stop_after_ten)
    assert stopped.returncode == 3, stopped.log  # a stopped run: unhealthy for the monitors
    assert stopped.stats["finish_reason"] == "closespider_itemcount"
    assert 10 <= len(stopped.records) < 48
    resumed = run_crawl("archive", tmp_path / "run2", args={"path": str(ARCHIVE_DIR)}, settings=jobdir)
    assert resumed.returncode == 0, resumed.log
    # How far along it starts: the files the stopped run read, of the 48 under the path (issue 11).
    read_before = stopped.stats["rfi_news/archive/files"]
    assert f": {read_before} of 48 files read before ({100 * read_before / 48:.1f}%), {48 - read_before} to go" in (
        resumed.log
    )
    assert resumed.stats["rfi_news/progress/done_before"] == read_before
    assert "INFO: Progress: 48 of 48 files (100.0%)" in resumed.log
    urls = Counter(record["url"] for record in stopped.records + resumed.records)
    assert len(urls) == 48
    assert set(urls.values()) == {1}


def test_a_backfill_stopped_with_sigterm_resumes_with_jobdir(tmp_path: Path, big_archive: Path) -> None:
    output = tmp_path / "output"
    settings = {
        "JOBDIR": str(tmp_path / "job"),
        "ARCHIVE_BATCH_FILES": "20",
        "FEEDS": json.dumps({f"{output}/%(name)s/%(time)s.jsonl": {"format": "jsonlines"}}),
    }
    stopped = start_crawl("archive", tmp_path / "run1", {"path": str(big_archive)}, settings)
    wait_until(lambda: part_lines(output / "archive") >= 100, stopped, "100 lines are written")
    stopped.send_signal(signal.SIGTERM)  # what systemd, Scrapyd's cancel and `kill` send: a graceful stop
    assert stopped.wait(timeout=60) == 3  # a stopped run: finish reason "shutdown", unhealthy for the monitors
    first = published_records(output / "archive")
    assert 100 <= len(first) < COPIES * 48

    resumed = start_crawl("archive", tmp_path / "run2", {"path": str(big_archive)}, settings)
    assert resumed.wait(timeout=120) == 0
    assert "Resuming after" in (tmp_path / "run2" / "crawl.log").read_text(encoding="utf-8")
    urls = Counter(record["url"] for record in published_records(output / "archive"))
    assert len(urls) == COPIES * 48
    assert set(urls.values()) == {1}


def test_scheduled_runs_write_one_file_per_run_where_the_environment_says(tmp_path: Path) -> None:
    """As a cron line runs it: no -O, state and output folders from the environment."""
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(tmp_path / "output")}
    first = start_crawl("archive", tmp_path / "run1", {"path": str(ARCHIVE_DIR)}, {}, env=env)
    assert first.wait(timeout=60) == 0
    (published,) = (tmp_path / "output" / "archive").glob("*.jsonl")  # and its report beside it (issue 11)
    assert published.with_name(published.name + ".report.json").is_file()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00-00001\.jsonl", published.name)  # start time, part 1
    assert len(published.read_text(encoding="utf-8").splitlines()) == 48
    assert (tmp_path / "state" / "archive.sqlite3").is_file()

    second = start_crawl("archive", tmp_path / "run2", {"path": str(ARCHIVE_DIR)}, {}, env=env)
    assert second.wait(timeout=60) == 0
    assert list((tmp_path / "output" / "archive").glob("*.jsonl")) == [published]  # nothing new: no new file
    assert len(list((tmp_path / "output" / "archive").glob("*.report.json"))) == 2  # every run has its report
