"""JOBDIR after a SIGKILL (issues 10 and 16): a job a killed run left is restarted with the crawl state, or
refused in one line without it; never resumed into a loop of queuelib errors or with its in-flight requests lost.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest

from rfi_news.jobdir import lifo_queue_damage
from tests.conftest import ARCHIVE_DIR, FIXTURES
from tests.fixture_server import Answer, FixtureServer
from tests.test_crash_safety import Crawl, crawl_to_end, published

# A real article page of the reconstructed site, served under 49 urls: 49 distinct articles.
ARTICLE = "/cn/中国/20240415-中国称因间谍罪被处决的男子曾向美国出售机密"
ARTICLES = 49


@pytest.fixture
def news_site(site: FixtureServer) -> FixtureServer:
    body = (FIXTURES / "site" / ARTICLE.lstrip("/")).read_bytes()
    locs = []
    for number in range(ARTICLES):
        path = f"{ARTICLE}-{number:02d}"
        site.routes[path] = Answer(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
        locs.append(f"<url><loc>https://www.rfi.fr{quote(path)}</loc></url>")
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(locs)
        + "</urlset>"
    )
    site.routes["/sitemaps/cn/news.xml"] = Answer(body=sitemap.encode(), headers={"Content-Type": "application/xml"})
    return site


def pages_fetched(site: FixtureServer) -> int:
    return sum(1 for request in site.requests if request.path.startswith(ARTICLE + "-"))


def test_a_paused_then_killed_sitemap_job_finishes_when_resumed_with_every_article_once(
    tmp_path: Path, news_site: FixtureServer
) -> None:
    """Issue 16's three steps, as an operator runs them, with real signals."""
    jobdir = tmp_path / "job"
    env = {"RFI_STATE_DIR": str(tmp_path / "state"), "RFI_OUTPUT_DIR": str(tmp_path / "output")}
    settings = {"RFI_ORIGIN": news_site.origin, "JOBDIR": str(jobdir), "DOWNLOAD_DELAY": "0.5"}
    args = {"sitemap": "news"}

    paused = Crawl("rfi", tmp_path / "run1", args, settings, env)
    paused.wait_for(lambda: pages_fetched(news_site) >= 10, "10 pages fetched")
    paused.process.send_signal(signal.SIGTERM)  # the documented pause
    assert paused.wait(timeout=60) == 3  # stopped (finish reason shutdown): unhealthy, as documented
    assert "requests.queue" in {path.name for path in jobdir.iterdir()}

    resumed = Crawl("rfi", tmp_path / "run2", args, settings, env)
    start = pages_fetched(news_site)
    resumed.wait_for(lambda: pages_fetched(news_site) >= start + 12, "12 more pages fetched")
    resumed.kill()
    # What queuelib's LIFO disk queue looks like now: its header still counts the requests of the pause.
    (queue_file,) = [path for path in (jobdir / "requests.queue").rglob("*") if path.is_file() and path.suffix == ""]
    damage = lifo_queue_damage(queue_file)
    assert damage is not None
    assert damage.startswith("its header counts ")

    third = crawl_to_end("rfi", tmp_path / "run3", args, env, settings)
    log = third.log_text()
    assert third.returncode == 0, log[-3000:]  # it finishes by itself, healthy
    assert f"The job folder {jobdir} was left by a killed run (pid {resumed.process.pid}," in log
    assert damage in log  # the line says what was wrong in the queue
    assert "OSError" not in log
    urls = Counter(record["url"] for record in published(tmp_path / "output" / "rfi"))
    assert len(urls) == ARTICLES
    assert set(urls.values()) == {1}


def test_a_job_left_by_a_killed_run_is_refused_without_the_crawl_state(tmp_path: Path) -> None:
    jobdir = tmp_path / "job"
    settings = {"JOBDIR": str(jobdir), "ARCHIVE_BATCH_FILES": "1", "DOWNLOAD_DELAY": "0.2"}
    output = tmp_path / "out.jsonl"
    args = {"path": str(ARCHIVE_DIR)}
    killed = Crawl("archive", tmp_path / "killed", args, settings, {}, output=output)
    killed.wait_for(lambda: any(jobdir.glob("requests.queue/*")) and pages_written(tmp_path) >= 3, "3 records")
    killed.kill()

    refused = crawl_to_end("archive", tmp_path / "refused", args, {}, settings, output=output)
    assert refused.returncode == 1
    (line,) = [line for line in refused.log_text().splitlines() if "ERROR" in line]
    assert f"Not running archive: the job folder {jobdir} was left by a killed run (pid {killed.process.pid}," in line
    assert f"run with RFI_STATE_DIR to restart the job safely, or remove the folder (rm -r {jobdir})" in line
    assert "Traceback" not in refused.log_text()

    restarted = crawl_to_end(
        "archive", tmp_path / "restarted", args, {"RFI_STATE_DIR": str(tmp_path / "s")}, settings, output=output
    )
    assert restarted.returncode == 0, restarted.log_text()
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len({record["url"] for record in records}) == len(records) == 48


def pages_written(folder: Path) -> int:
    return sum(path.read_bytes().count(b"\n") for path in folder.glob(".*.part"))
