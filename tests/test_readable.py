"""Readable logs and outputs: progress lines with done / total, rate and ETA; URLs in IRI form; CSV that keeps
paragraph boundaries."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import subprocess
from pathlib import Path

from rfi_news.logformatter import ReadableUrls, iri
from rfi_news.progress import progress_line
from tests.conftest import ARCHIVE_DIR
from tests.crawl import PROJECT_ROOT, crawl_command, run_crawl


def test_progress_line_gives_done_total_share_rate_and_eta() -> None:
    # 14,700 files to go at 1,318 a minute: 669.2 s, 0:11:09.
    assert progress_line("files", 5300, 20000, 1318.0) == (
        "Progress: 5,300 of 20,000 files (26.5%), 1,318 files/min, ETA 0:11:09"
    )
    assert progress_line("article pages", 12, None, 30.0) == "Progress: 12 article pages, 30 article pages/min"
    assert progress_line("files", 0, 480, None) == "Progress: 0 of 480 files (0.0%)"
    assert progress_line("files", 480, 480, 960.0) == "Progress: 480 of 480 files (100.0%), 960 files/min"


def test_archive_run_logs_its_progress_against_the_files_under_its_path(tmp_path: Path) -> None:
    result = run_crawl(
        "archive",
        tmp_path,
        args={"path": str(ARCHIVE_DIR)},
        settings={"RFI_PROGRESS_INTERVAL": "0.01", "ARCHIVE_BATCH_FILES": "1", "DOWNLOAD_DELAY": "0.02"},
    )
    assert result.returncode == 0, result.log
    lines = re.findall(r"INFO: Progress: (\d+) of (\d+) files \(([\d.]+)%\)", result.log)
    assert len(lines) >= 3  # while it runs, then once at the end
    assert {total for _done, total, _share in lines} == {"48"}  # every *.md under the path
    assert lines[-1] == ("48", "48", "100.0")
    assert [int(done) for done, _total, _share in lines] == sorted(int(done) for done, _total, _share in lines)


def test_rfi_run_counts_article_pages_queued_once(site, tmp_path: Path) -> None:
    result = run_crawl(
        "rfi", tmp_path, args={"listings": "/cn/,/cn/中国/,/cn/国际/"}, settings={"RFI_ORIGIN": site.origin}
    )
    # 13 article requests: 12 pages asked for (one answers 404) and one robots.txt forbids; cards linking twice
    # to a page are one request.
    assert result.stat("rfi_news/progress/total") == 13
    assert result.stat("rfi_news/page/failed/robots_txt") == 1
    assert "INFO: Progress: 13 of 13 article pages (100.0%)" in result.log


def test_urls_in_log_lines_are_shown_decoded() -> None:
    url = "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-%E6%97%A5%E6%9C%AC?q=a%20b%26c"
    assert iri(url) == "https://www.rfi.fr/cn/中国/20231230-日本?q=a%20b%26c"  # ASCII escapes stay
    assert iri("/cn/%FF%FE/x") == "/cn/%FF%FE/x"  # not UTF-8: left as it is
    record = logging.LogRecord("x", logging.WARNING, "f", 1, "%s: article page failed", (url,), None)
    ReadableUrls().filter(record)
    assert record.getMessage() == "https://www.rfi.fr/cn/中国/20231230-日本?q=a%20b%26c: article page failed"


def test_crawl_log_shows_chinese_paths(site, tmp_path: Path) -> None:
    result = run_crawl(
        "rfi",
        tmp_path,
        args={"listings": "/cn/,/cn/中国/,/cn/国际/"},
        settings={"RFI_ORIGIN": site.origin, "LOG_LEVEL": "DEBUG"},
    )
    assert re.search(r"DEBUG: Crawled \(200\) <GET http://127\.0\.0\.1:\d+/cn/中国/>", result.log)
    assert re.search(
        r"WARNING: 'http://127\.0\.0\.1:\d+/cn/中国/20220817-联合国专家报告指新疆有-强迫劳动': article page failed: HTTP 404 Not Found",
        result.log,
    )
    assert "%E4%B8%AD%E5%9B%BD" not in result.log_file_text


def test_csv_keeps_paragraph_boundaries_one_entry_per_line(tmp_path: Path) -> None:
    seed = ARCHIVE_DIR / "seed_rfi_20231230.md"
    result = run_crawl("archive", tmp_path, args={"path": str(seed)}, output_name="out.jsonl")
    (record,) = result.records
    output = tmp_path / "out.csv"
    command = crawl_command("archive", args={"path": str(seed)}, settings={}, output=output)
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"), newline="")))
    assert row["paragraphs"].split("\n") == record["paragraphs"]
    assert len(record["paragraphs"]) == 5
    assert row["title"] == record["title"]
    assert json.dumps(record["tags"]) == "[]"
    assert row["tags"] == ""
