"""Operating a run: exit status and a summary on stderr on every path, the verdict's failure class, checked
spider arguments, the report's place. Each test runs ``scrapy crawl`` as cron or a person would.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ARCHIVE_DIR, FIXTURES, free_port
from tests.crawl import PROJECT_ROOT, TEST_SETTINGS, CrawlResult, run_crawl
from tests.fixture_server import Answer, FixtureServer, RecordedRequest
from tests.test_rfi_spider import LISTED_RECORDS, LISTINGS, TAIWAN_403

ONE_ITEM = ARCHIVE_DIR / "seed_rfi_20231230.md"


def report_of(result: CrawlResult) -> dict[str, Any]:
    return json.loads(result.output.with_name(result.output.name + ".report.json").read_text(encoding="utf-8"))


def scrapy(*arguments: str, cwd: Path = PROJECT_ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    settings = [part for name, value in TEST_SETTINGS.items() for part in ("-s", f"{name}={value}")]
    command = [sys.executable, "-m", "scrapy", *arguments]
    if len(arguments) > 1 and arguments[0] == "crawl":
        command += settings
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **(env or {})}
    )


# --- The verdict names the failure class --------------------------------------------------------------------


def test_unreachable_feed_is_site_unreachable_in_a_few_lines(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/rss/rfi.xml"  # nothing listens: connection refused
    result = run_crawl("feedx", tmp_path, args={"feed_url": dead})
    report = report_of(result)
    assert result.returncode == 3
    assert report["classes"] == ["site unreachable"]
    assert report["failed"] == ["Records"]
    assert report["figures"]["failed_requests"] == {"DownloadConnectionRefusedError": 1}
    assert result.stderr.splitlines()[-3:] == [
        "rfi-news feedx: UNHEALTHY: site unreachable (exit 3). 0 record(s) written, 0 dropped, finish reason finished.",
        "  site unreachable (Records): requests that got no answer or a server error after their retries: "
        "DownloadConnectionRefusedError x1",
        f"  report: {result.output}.report.json",
    ]
    # The robots.txt that could not be fetched is one line, not an ERROR and a traceback; the handled failure of
    # the feed is no ERROR either.
    robots = [line for line in result.log_file_text.splitlines() if "robots.txt" in line and "INFO" not in line]
    assert len(robots) == 1, robots
    assert "WARNING: robots.txt of 127.0.0.1:" in robots[0]
    assert "crawling it as if it had none" in robots[0]
    assert "Traceback" not in result.log_file_text.split("[Spidermon]")[0]
    assert " ERROR: " not in result.log_file_text.split("[Spidermon]")[0]


def test_run_that_loses_a_third_of_its_article_pages_is_unhealthy(site: FixtureServer, tmp_path: Path) -> None:
    # The fixture site's listings lead to 12 article pages: a 403 and a 404 (healthy, see test_rfi_spider);
    # here two more answer 500 every time: 4 of 12 lost.
    failing = sorted(LISTED_RECORDS)[:2]
    for path in failing:
        site.routes[path] = Answer(status=500, body=b"Internal Server Error")
    site.routes[TAIWAN_403] = Answer(status=403, body=b"Access Denied")
    result = run_crawl("rfi", tmp_path, args={"listings": LISTINGS}, settings={"RFI_ORIGIN": site.origin})
    report = report_of(result)
    assert result.returncode == 3, result.log
    assert report["failed"] == ["Lost pages"]
    assert report["classes"] == ["site unreachable"]
    assert report["figures"]["lost_pages"] == {
        "asked": 12,
        "lost": 4,
        "share": 0.3333,
        "reasons": {"http_403": 1, "http_404": 1, "http_500": 2},
        "class": "site unreachable",
    }
    assert [site.count(path) for path in failing] == [2, 2]  # retried once (RETRY_TIMES=1), then lost
    lost = next(entry for entry in report["monitors"] if entry["monitor"] == "Lost pages")
    assert lost["message"] == (
        "4 of 12 article pages lost (http_403 x1, http_404 x1, http_500 x2; share 0.33, at most 0.2 allowed)"
    )
    # Log lines name the status, and show the path as a reader of Chinese reads it.
    assert re.search(
        r"WARNING: 'http://127\.0\.0\.1:\d+/cn/.+': article page failed: HTTP 500 Internal Server Error", result.log
    )
    assert "article page failed: HTTP 404 Not Found" in result.log


def test_feed_broken_midway_that_loses_most_items_is_bad_input(server: FixtureServer, tmp_path: Path) -> None:
    # Ten items of the real feed, with the fourth one's markup broken: the items after the break are lost.
    feed = (FIXTURES / "feeds" / "feedx_rfi.xml").read_text(encoding="utf-8")
    head, *items = feed.split("<item>")
    tail = items[-1][items[-1].index("</item>") + len("</item>") :]
    items = [item[: item.index("</item>") + len("</item>")] for item in items][:10]
    items[3] = items[3].replace("</title>", "</titel>", 1)
    server.routes["/cut/rfi.xml"] = Answer(body=(head + "".join("<item>" + item for item in items) + tail).encode())
    result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/cut/rfi.xml")})
    report = report_of(result)
    assert result.returncode == 3, result.log
    assert report["failed"] == ["Lost feed items"]
    assert report["classes"] == ["bad input"]
    assert report["figures"]["lost_feed_items"] == {"in_document": 10, "read": 3, "lost": 7, "share": 0.7}
    assert len(result.records) == 3


def test_retry_after_honoured_then_answered_is_healthy(server: FixtureServer, tmp_path: Path) -> None:
    asked: list[str] = []

    def once_429(request: RecordedRequest) -> Answer:
        asked.append(request.path)
        if len(asked) == 1:
            return Answer(status=429, headers={"Retry-After": "1"}, body=b"Too Many Requests")
        return Answer(file="/feeds/feedx_rfi.xml")

    server.routes["/slow/rfi.xml"] = once_429
    result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/slow/rfi.xml")})
    report = report_of(result)
    assert result.returncode == 0, result.stderr
    assert asked == ["/slow/rfi.xml", "/slow/rfi.xml"]
    assert result.stat("rfi_news/retry_after/waited") == 1
    assert report["figures"]["http"] == {"answers": 2, "blocked": 0, "share": 0.0}  # robots.txt and the feed
    assert report["classes"] == []


# --- Exit status and stderr on every path -------------------------------------------------------------------


def test_lock_refusal_exits_1_saying_so_on_stderr_though_the_log_goes_to_a_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with (state / "archive.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = scrapy(
            "crawl", "archive", "-a", f"path={ONE_ITEM}", "-s", f"RFI_STATE_DIR={state}", "-s",
            f"LOG_FILE={tmp_path / 'run.log'}",
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("rfi-news archive: could not start (exit 1): another run of this spider holds ")
    assert "Traceback" not in (tmp_path / "run.log").read_text(encoding="utf-8")


def test_missing_log_folder_is_made(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "rfi-news" / "archive.log"
    done = scrapy(
        "crawl", "archive", "-a", f"path={ONE_ITEM}", "-O", str(tmp_path / "out.jsonl"), "-s", f"LOG_FILE={log_file}"
    )
    assert done.returncode == 0, done.stderr
    assert "Spider closed (finished)" in log_file.read_text(encoding="utf-8")
    assert done.stderr.splitlines()[0] == (
        "rfi-news archive: HEALTHY (exit 0). 1 record(s) written, 0 dropped, finish reason finished."
    )


def test_log_folder_that_cannot_be_made_exits_1_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    done = scrapy("crawl", "archive", "-a", f"path={ONE_ITEM}", "-s", f"LOG_FILE={tmp_path / 'a-file' / 'x.log'}")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"rfi-news: could not start (exit 1): cannot make the log folder of {tmp_path / 'a-file' / 'x.log'}: "
        f"[Errno 17] File exists: '{tmp_path / 'a-file'}'"
    ]


def last_line(done: subprocess.CompletedProcess) -> str:
    return done.stderr.rstrip().splitlines()[-1]


def test_bad_arguments_exit_2_naming_the_argument_and_the_valid_ones() -> None:
    typo = scrapy("crawl", "rfi", "-a", "pagse=3")
    assert typo.returncode == 2
    assert last_line(typo) == (
        "rfi-news rfi: bad command line (exit 2): unknown argument -a pagse; rfi takes: edition, pages, since, "
        "listings, columns, sitemap, month, rss (see `scrapy spiders`)"
    )
    follow = scrapy("crawl", "feedx", "-a", "folow=1")
    assert (follow.returncode, last_line(follow)) == (
        2,
        "rfi-news feedx: bad command line (exit 2): unknown argument -a folow; feedx takes: feed_url, follow "
        "(see `scrapy spiders`)",
    )
    missing = scrapy("crawl", "archive")
    assert (missing.returncode, last_line(missing)) == (
        2,
        "rfi-news archive: bad command line (exit 2): -a path is required: an archive item, or a folder walked for "
        "*.md and *.txt; archive takes: path, shard",
    )
    pages = scrapy("crawl", "rfi", "-a", "pages=two")
    assert (pages.returncode, last_line(pages)) == (
        2,
        "rfi-news rfi: bad command line (exit 2): -a pages='two': expected a whole number (listing pages read per "
        "listing (default: the RFI_PAGES setting, 2))",
    )
    modes = scrapy("crawl", "rfi", "-a", "rss=1", "-a", "month=2024-02")
    assert modes.returncode == 2
    assert last_line(modes).endswith("choose one of -a sitemap, -a month, -a rss (got month, rss)")
    for done in (typo, follow, missing, pages, modes):
        assert len(done.stderr.splitlines()) == 1  # the one line: refused before Scrapy logs anything
    unknown = scrapy("crawl", "rfii")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "rfi-news: unknown spider 'rfii' (exit 2); the spiders are: archive, feedx, rfi, warc\n",
    )


def test_schedulers_private_arguments_pass(tmp_path: Path) -> None:
    done = scrapy("crawl", "archive", "-a", f"path={ONE_ITEM}", "-a", "_job=6487ec7a", "-O", str(tmp_path / "o.jsonl"))
    assert done.returncode == 0, done.stderr


def test_spiders_command_lists_every_spider_with_its_arguments() -> None:
    done = scrapy("spiders")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "archive: Saved feed items, one file each (Markdown archives): a backfill of years."
    assert "    -a path=<existing path>  an archive item, or a folder walked for *.md and *.txt (required)" in lines
    assert "    -a follow=<flag>  also fetch each item's article page and use its text (default False)" in lines
    assert "    -a edition=<cn|tw>  cn (simplified) or tw (traditional) (default 'cn')" in lines
    assert [line.split(":")[0] for line in lines if line and not line.startswith(" ")] == [
        "archive",
        "feedx",
        "rfi",
        "warc",
    ]


# --- The report's place -------------------------------------------------------------------------------------


def test_report_beside_the_per_run_default_file_and_templated_report_file(tmp_path: Path) -> None:
    done = scrapy("crawl", "archive", "-a", f"path={ONE_ITEM}", "-s", f"RFI_OUTPUT_DIR={tmp_path / 'out'}")
    assert done.returncode == 0, done.stderr
    (output,) = (tmp_path / "out" / "archive").glob("*.jsonl")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00-00001\.jsonl", output.name)  # start time, part 1
    report = output.with_name(output.name + ".report.json")
    assert json.loads(report.read_text(encoding="utf-8"))["status"] == "healthy"
    assert done.stderr.splitlines()[-1] == f"  report: {report}"

    templated = scrapy(
        "crawl", "archive", "-a", f"path={ONE_ITEM}", "-O", str(tmp_path / "x.jsonl"),
        "-s", f"RFI_REPORT_FILE={tmp_path}/reports/%(name)s-%(time)s.json",
    )  # fmt: skip
    assert templated.returncode == 0, templated.stderr
    (named,) = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"archive-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00\.json", named.name)
