"""Every run checks itself: the monitors, the report beside the output, the exit status and the log's end.

End to end, as a user runs ``scrapy crawl``: a healthy archive and feedx run pass every check; a layout change,
a site answering 403, a callback that raises each fail the right monitor, exit 3 and say so in the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from rfi_news import health
from rfi_news import settings as project_settings
from rfi_news.commands.crawl import UNHEALTHY_EXIT_CODE
from rfi_news.items import new_article
from rfi_news.pipelines.schema import SchemaValidationPipeline
from tests.crawl import CrawlResult, run_crawl
from tests.fixture_server import Answer, FixtureServer
from tests.spiders.feedx_raising import PLANTED_ERROR

TEST_SPIDERS = {"SPIDER_MODULES": "rfi_news.spiders,tests.spiders"}


def report_of(result: CrawlResult) -> dict[str, Any]:
    return json.loads(result.output.with_name(result.output.name + ".report.json").read_text(encoding="utf-8"))


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f"{entry['monitor']}/{entry['check']}": entry["status"] for entry in report["monitors"]}


# --- Healthy runs -----------------------------------------------------------------------------------------


def test_healthy_archive_run_passes_every_monitor(archive_crawl: CrawlResult) -> None:
    report = report_of(archive_crawl)
    assert archive_crawl.returncode == 0
    assert report["status"] == "healthy"
    assert report["failed"] == []
    assert report["spider"] == "archive"
    assert report["finish_reason"] == "finished"
    # No HTTP, no pages, no feed in an archive run; Spidermon skips its error checks when nothing was counted.
    skipped = {name: status for name, status in statuses(report).items() if status != "OK"}
    assert skipped == {
        "Blocked answers/Should not be blocked": "SKIPPED",
        "Lost pages/Should lose few article pages": "SKIPPED",
        "Lost feed items/Should read every item of the feed": "SKIPPED",
        "Errors logged/test_stat_monitor": "SKIPPED",
        "Exceptions in callbacks/test_stat_monitor": "SKIPPED",
        "Schema/test_stat_monitor": "SKIPPED",
    }
    assert report["classes"] == []
    figures = report["figures"]
    assert figures["records"] == 48
    assert figures["schema_invalid_records"] == 0
    # INDEX.tsv: 26 items with a lead plus the seed item (27 of 48); 7 default cards and 2 "Array" images (39).
    assert figures["coverage"] == {"published": 1.0, "lead": 0.5625, "paragraphs": 1.0, "image": 0.8125}
    assert figures["layout"]["item date line"] == {
        "selector": "<div>DD/MM/YYYY - HH:MM</div> opening the feed item",
        "looked_for": 48,
        "missing": 0,
        "share": 0.0,
    }
    assert figures["layout"]["item body blocks"]["missing"] == 0
    assert archive_crawl.stats["rfi_news/health/status"] == "healthy"
    summary = [
        "rfi-news archive: HEALTHY (exit 0). 48 record(s) written, 0 dropped, finish reason finished.",
        f"  report: {archive_crawl.output}.report.json",
    ]
    assert archive_crawl.stderr.splitlines()[-2:] == summary  # on stderr, though the log went to LOG_FILE
    last_lines = archive_crawl.log_file_text.rstrip().splitlines()[-2:]  # and the log's last lines
    assert last_lines[0].endswith(f"[rfi_news.extensions] INFO: {summary[0]}")
    assert last_lines[1] == summary[1]


def test_healthy_feedx_run_passes_every_monitor(server: FixtureServer, tmp_path: Path) -> None:
    result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi.xml")})
    report = report_of(result)
    assert result.returncode == 0, result.log
    assert report["status"] == "healthy"
    assert {name for name, status in statuses(report).items() if status != "OK"} == {
        "Lost pages/Should lose few article pages",  # no -a follow=1: no page asked for
        "Errors logged/test_stat_monitor",
        "Exceptions in callbacks/test_stat_monitor",
        "Schema/test_stat_monitor",
    }
    assert report["figures"]["lost_feed_items"] == {"in_document": 12, "read": 12, "lost": 0, "share": 0.0}
    # robots.txt (404 on the fixture server) and the feed.
    assert report["figures"]["http"] == {"answers": 2, "blocked": 0, "share": 0.0}
    # Of the 12 feed items, 1001000 has an empty lead, 1034000 and 1045000 none; 1021000 has "Array" for its
    # image and 1034000 the default card.
    assert report["figures"]["coverage"] == {"published": 1.0, "lead": 0.75, "paragraphs": 1.0, "image": 0.8333}
    assert result.stderr.splitlines()[-2].startswith("rfi-news feedx: HEALTHY (exit 0). 12 record(s) written")


@pytest.mark.parametrize("stat", ["rfi_news/state/unchanged", "rfi_news/state/skipped", "rfi_news/feed/not_modified"])
def test_incremental_run_with_nothing_new_is_healthy(tmp_path: Path, stat: str) -> None:
    result = run_crawl("nothing_new", tmp_path, args={"stat": stat}, settings=TEST_SPIDERS)
    report = report_of(result)
    assert result.returncode == 0, result.log
    assert report["figures"]["records"] == 0
    assert report["figures"]["incremental_nothing_new"] is True
    records = next(entry for entry in report["monitors"] if entry["monitor"] == "Records")
    assert records == {
        "monitor": "Records",
        "check": "Should write records",
        "status": "SKIPPED",
        "message": "incremental run: nothing new since the last run",
    }


# --- Unhealthy runs ---------------------------------------------------------------------------------------


def test_run_with_no_records_and_no_reason_fails(tmp_path: Path) -> None:
    result = run_crawl("nothing_new", tmp_path, args={"stat": ""}, settings=TEST_SPIDERS)
    report = report_of(result)
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert report["failed"] == ["Records"]
    assert report["classes"] == ["nothing found"]
    assert report["figures"]["incremental_nothing_new"] is False
    assert result.stderr.splitlines()[-3:] == [
        "rfi-news nothing_new: UNHEALTHY: nothing found (exit 3). 0 record(s) written, 0 dropped, finish reason "
        "finished.",
        "  nothing found (Records): no record written, and no request, page or item failed: was there anything to "
        "read?",
        f"  report: {result.output}.report.json",
    ]


def test_layout_change_fails_naming_the_selectors(server: FixtureServer, tmp_path: Path) -> None:
    # The 48 real archive items with their date line removed and their p/h2/li blocks turned into divs
    # (build_feeds.py): the 27 with a chapô are still written, lead only; the 21 without are dropped.
    result = run_crawl("feedx", tmp_path, args={"feed_url": server.url("/feeds/feedx_rfi_layout_changed.xml")})
    report = report_of(result)
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert report["status"] == "unhealthy"
    assert report["failed"] == ["Field coverage", "Layout"]
    assert report["classes"] == ["layout changed"]
    figures = report["figures"]
    assert figures["records"] == 27
    assert figures["coverage"] == {"published": 0.0, "lead": 1.0, "paragraphs": 0.0, "image": 0.9259}
    layout = figures["layout"]
    assert (layout["title"]["looked_for"], layout["title"]["missing"]) == (48, 0)
    assert (layout["item date line"]["missing"], layout["item date line"]["share"]) == (48, 1.0)
    assert (layout["item body blocks"]["missing"], layout["item body blocks"]["share"]) == (48, 1.0)
    assert layout["page body"]["looked_for"] == 0
    message = next(entry["message"] for entry in report["monitors"] if entry["monitor"] == "Layout")
    assert message == (
        "RFI's layout may have changed; these selectors stopped matching (more than 20% missing): "
        "item date line (<div>DD/MM/YYYY - HH:MM</div> opening the feed item) missing on 48 of 48; "
        "item body blocks (p, h1-h6, li, blockquote blocks of the feed item's body) missing on 48 of 48"
    )
    coverage = next(entry["message"] for entry in report["monitors"] if entry["monitor"] == "Field coverage")
    assert "ArticleItem/published (expected 0.9, got 0" in coverage
    assert "ArticleItem/paragraphs (expected 0.9, got 0" in coverage
    assert "ArticleItem/lead" not in coverage
    lines = result.stderr.splitlines()
    assert lines[-3] == (
        "rfi-news feedx: UNHEALTHY: layout changed (exit 3). 27 record(s) written, 21 dropped, finish reason finished."
    )
    assert lines[-2].startswith("  layout changed (Field coverage, Layout): ")
    assert "RFI's layout may have changed; these selectors stopped matching" in lines[-2]


def test_site_answering_403_everywhere_fails_the_blocked_monitor(server: FixtureServer, tmp_path: Path) -> None:
    paths = ["/feedx-net/rfi.xml", "/feedx-top/rfi.xml", "/feedx-run/rfi.xml"]
    for path in paths:
        server.routes[path] = Answer(status=403, body=b"Forbidden")
    result = run_crawl("feedx", tmp_path, args={"feed_url": ",".join(server.url(path) for path in paths)})
    report = report_of(result)
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert [server.count(path) for path in paths] == [1, 1, 1]  # 403 is not retried
    # Nothing got through: the run closes as "blocked", and the blocked-site middleware logs each host's refusals.
    assert report["failed"] == ["Blocked answers", "Finish reason", "Records"]
    assert report["classes"] == ["blocked", "run cut short"]
    # robots.txt (404) and the three feeds.
    assert report["figures"]["http"] == {"answers": 4, "blocked": 3, "share": 0.75}
    assert report["figures"]["failed_requests"] == {"http_403": 3}
    blocked = next(entry["message"] for entry in report["monitors"] if entry["monitor"] == "Blocked answers")
    assert blocked == (
        "3 of 4 HTTP answers refused us (403/429) (share 0.75, at most 0.25 allowed): the site is refusing us"
    )
    assert result.stderr.splitlines()[-4].startswith("rfi-news feedx: UNHEALTHY: blocked, run cut short (exit 3)")
    assert "  blocked (Blocked answers, Records): 3 of 4 final HTTP answers refused us (403/429): http_403 x3" in (
        result.stderr.splitlines()
    )


def test_exception_in_a_callback_fails_the_errors_monitor(server: FixtureServer, tmp_path: Path) -> None:
    report_file = tmp_path / "reports" / "run.json"
    result = run_crawl(
        "feedx_raising",
        tmp_path,
        args={"feed_url": server.url("/feeds/feedx_rfi.xml")},
        settings={**TEST_SPIDERS, "RFI_REPORT_FILE": str(report_file)},
    )
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert not result.output.with_name(result.output.name + ".report.json").exists()  # RFI_REPORT_FILE wins
    assert len(result.records) == 12  # the items before the exception are kept
    assert report["failed"] == ["Errors logged", "Exceptions in callbacks"]
    assert report["classes"] == ["fault in the crawler"]
    assert report["figures"]["spider_exceptions"] == {"RuntimeError": 1}
    assert report["figures"]["errors_logged"] == 1
    assert statuses(report)["Exceptions in callbacks/test_stat_monitor"] == "FAIL"
    assert statuses(report)["Errors logged/test_stat_monitor"] == "FAIL"
    assert PLANTED_ERROR in result.log
    assert result.stats["rfi_news/health/failed"] == ["Errors logged", "Exceptions in callbacks"]
    assert (
        "  fault in the crawler (Errors logged, Exceptions in callbacks): 1 ERROR line(s) in the log, 1 exception(s) "
        "in callbacks: RuntimeError x1, 0 record(s) not matching the schema"
    ) in result.stderr.splitlines()


def test_a_parser_bug_fails_the_run_though_it_cost_one_record(server: FixtureServer, tmp_path: Path) -> None:
    feed_url = server.url("/feeds/feedx_rfi.xml")
    result = run_crawl("feedx_parser_bug", tmp_path, args={"feed_url": feed_url}, settings=TEST_SPIDERS)
    report = report_of(result)
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert len(result.records) == 12  # the planted bug cost its own record only
    assert result.stat("rfi_news/parser_bug") == 1
    assert report["failed"] == ["Parser bugs"]
    assert report["classes"] == ["fault in the crawler"]
    assert report["figures"]["parser_bugs"] == {"item": 1}
    assert statuses(report)["Parser bugs/Should meet no parser bug"] == "FAIL"
    [entry] = [entry for entry in report["monitors"] if entry["monitor"] == "Parser bugs"]
    assert entry["message"] == (
        "1 record(s) skipped because a parser raised something other than InvalidInput (item x1): a bug; each is a "
        "'parser bug' WARNING naming the record and the line that raised"
    )
    assert (
        f"item '{feed_url} item 13' skipped: parser bug KeyError: \"'title'\" at feedx_parser_bug.py:16 in "
        "reader_with_a_bug"
    ) in result.log
    assert (
        "  fault in the crawler (Parser bugs): 0 ERROR line(s) in the log, 0 exception(s) in callbacks, 0 record(s) "
        "not matching the schema, 1 record(s) skipped for a parser bug"
    ) in result.stderr.splitlines()


def test_report_that_cannot_be_written_makes_the_run_unhealthy(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the report's folder should be")
    settings = {**TEST_SPIDERS, "RFI_REPORT_FILE": str(tmp_path / "not-a-folder" / "report.json")}
    result = run_crawl("nothing_new", tmp_path, settings=settings)
    assert result.returncode == UNHEALTHY_EXIT_CODE
    assert result.stats["rfi_news/health/failed"] == ["Report file"]
    assert "Could not write the run's report: " in result.log
    assert result.stderr.splitlines()[-1] == "  no report file (RFI_REPORT_FILE, or a local output)"
    assert result.stderr.splitlines()[-2].startswith("  storage (Report file): ")


def test_monitoring_switched_off_gives_scrapys_exit_status(tmp_path: Path) -> None:
    result = run_crawl("nothing_new", tmp_path, args={"stat": ""}, settings={**TEST_SPIDERS, "SPIDERMON_ENABLED": "0"})
    assert result.returncode == 0
    assert not result.output.with_name(result.output.name + ".report.json").exists()
    assert "rfi-news nothing_new:" not in result.log


# --- Schema validation ------------------------------------------------------------------------------------


def schema_pipeline() -> SchemaValidationPipeline:
    project = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    crawler = get_crawler(settings_dict=project)
    crawler.stats.open_spider()
    return SchemaValidationPipeline.from_crawler(crawler)


def valid_article(**changes: Any) -> Any:
    values = {
        "url": "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-x",
        "title": "日本加强与中俄博弈",
        "section": "中国",
        "published": "2023-12-30T09:05:00Z",
        "published_raw": "30/12/2023 - 10:05",
        "paragraphs": ["中亚五国为前苏联中的国家。"],
        "language": "zh-Hans",
        "source": "archive",
        "crawled_at": "2026-01-01T00:00:00Z",
        "provenance": "tests/fixtures/archive/seed_rfi_20231230.md",
    }
    return new_article(**{**values, **changes})


def test_schema_validation_sees_the_exported_record_not_the_internal_provenance() -> None:
    pipeline = schema_pipeline()
    item = valid_article()
    assert pipeline.process_item(item) is item
    assert ItemAdapter(item)["provenance"] == "tests/fixtures/archive/seed_rfi_20231230.md"
    assert pipeline.stats.stats.get_value("spidermon/validation/items") == 1
    assert pipeline.stats.stats.get_value("spidermon/validation/items/errors") is None


def test_record_that_breaks_the_schema_is_dropped_naming_its_source() -> None:
    pipeline = schema_pipeline()
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(valid_article(image="Array"))
    assert str(dropped.value) == (
        "tests/fixtures/archive/seed_rfi_20231230.md: record does not match the JSON Schema: image: Regex not matched"
    )
    stats = pipeline.stats.stats
    assert stats.get_value("spidermon/validation/items/errors") == 1
    assert stats.get_value("spidermon/validation/items/dropped") == 1
    assert health.schema_error_figures(stats.get_stats()) == {"regex_not_matched/image": 1}


# --- Figures and the report's place -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        ({"rfi_news/state/unchanged": 1}, True),
        ({"rfi_news/state/skipped": 5}, True),
        ({"rfi_news/state/skipped": 5, "item_scraped_count": 2}, False),
        ({}, False),
    ],
)
def test_incremental_nothing_new_contract(stats: dict[str, int], expected: bool) -> None:
    assert health.nothing_new(stats) is expected


def test_blocked_share_counts_final_refusals_only() -> None:
    # 20 final answers (robots.txt included), of which a 403 and a 429 given up on; a 429 retried after its
    # Retry-After and then answered reached no callback and counts nowhere; two requests not sent to a host
    # that kept answering 403 count as refused answers.
    stats = {
        "response_received_count": 20,
        "rfi_news/page/failed/http_403": 1,
        "rfi_news/page/failed/http_429": 1,
        "rfi_news/page/failed/host_blocked": 2,
        "rfi_news/page/failed/ignored": 7,
        "retry/reason_count/429 Unknown Status": 1,
    }
    assert health.blocked_figures(stats) == {"answers": 22, "blocked": 4, "share": 0.1818}
    assert health.blocked_figures({}) == {"answers": 0, "blocked": 0, "share": None}


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        ({"rfi_news/feed/failed/CannotResolveHostError": 3}, "site unreachable"),
        ({"rfi_news/page/failed/DownloadTimeoutError": 2, "rfi_news/page/failed/http_403": 1}, "site unreachable"),
        ({"rfi_news/source/failed/http_503": 1}, "site unreachable"),
        ({"rfi_news/feed/failed/http_403": 2, "rfi_news/feed/failed/TimeoutError": 1}, "blocked"),
        ({"rfi_news/page/failed/http_429": 1}, "blocked"),
        ({"feedexport/failed_count/FileFeedStorage": 1, "rfi_news/feed/failed/http_403": 1}, "storage"),
        ({"rfi_news/storage/failed": 1}, "storage"),
        ({"rfi_news/item/read": 10, "rfi_news/item/missing/paragraphs": 10}, "layout changed"),
        ({"rfi_news/archive/invalid/no_title_line": 4}, "bad input"),
        ({"rfi_news/feed/unreadable": 1}, "bad input"),
        ({"rfi_news/page/failed/ignored": 3}, "nothing found"),
        ({}, "nothing found"),
    ],
)
def test_why_a_run_wrote_nothing(stats: dict[str, int], expected: str) -> None:
    assert health.no_records_class(stats) == expected


def test_lost_pages_leave_out_what_was_not_asked_for() -> None:
    stats = {
        "rfi_news/page/body_found": 7,
        "rfi_news/page/failed/DownloadTimeoutError": 2,
        "rfi_news/page/failed/http_500": 2,
        "rfi_news/page/failed/ignored": 5,  # already emitted: not fetched on purpose
        "rfi_news/page/failed/robots_txt": 1,  # disallowed: never asked for
    }
    assert health.lost_page_figures(stats) == {
        "asked": 11,
        "lost": 4,
        "share": 0.3636,
        "reasons": {"DownloadTimeoutError": 2, "http_500": 2},
        "class": "site unreachable",
    }


def test_page_body_share_comes_from_the_rfi_spiders_counters() -> None:
    layout = health.layout_figures({"rfi_news/page/body_found": 30, "rfi_news/page/body_missing": 10})
    assert layout["page body"] == {
        "selector": "div.t-content__body on the article page",
        "looked_for": 40,
        "missing": 10,
        "share": 0.25,
    }


@pytest.mark.parametrize(
    ("report_file", "feeds", "expected"),
    [
        (None, {"out.jsonl": {}}, "out.jsonl.report.json"),
        (None, {"/data/rfi/2024.jsonl": {}}, "/data/rfi/2024.jsonl.report.json"),
        (None, {"file:///data/rfi/%E4%B8%AD.jsonl": {}}, "/data/rfi/中.jsonl.report.json"),
        (None, {"s3://bucket/rfi.jsonl": {}, "local.jsonl": {}}, "local.jsonl.report.json"),
        (None, {"s3://bucket/rfi.jsonl": {}}, None),
        (None, {"stdout:": {}}, None),
        (None, {"out-%(time)s.jsonl": {}}, None),
        (None, {}, None),
        ("/var/log/rfi/report.json", {"out.jsonl": {}}, "/var/log/rfi/report.json"),
        ("/var/log/rfi/%(name)s-%(time)s.json", {}, "/var/log/rfi/feedx-2026-12-02T01-00-00+00-00.json"),
    ],
)
def test_report_goes_beside_a_local_output(report_file: str | None, feeds: dict, expected: str | None) -> None:
    path = health.report_path(report_file, feeds, {"name": "feedx", "time": "2026-12-02T01-00-00+00-00"})
    assert (str(path) if path else None) == expected
