"""Scrapy's own commands on the project: ``check`` runs real contracts on the fixtures, ``parse`` gives an article
page's record, ``fetch`` and ``bench`` run with their own settings, unjudged by the crawl's monitors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.crawl import PROJECT_ROOT
from tests.fixture_server import FixtureServer

SEED = "/cn/中国/20231230-日本加强与中俄博弈-推进明年举行日本与中亚五国首脑峰会"
SEED_URL = (
    "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-%E6%97%A5%E6%9C%AC%E5%8A%A0%E5%BC%BA%E4%B8%8E%E4%B8%AD%E4%BF%84"
    "%E5%8D%9A%E5%BC%88-%E6%8E%A8%E8%BF%9B%E6%98%8E%E5%B9%B4%E4%B8%BE%E8%A1%8C%E6%97%A5%E6%9C%AC%E4%B8%8E%E4%B8%AD%E4%BA"
    "%9A%E4%BA%94%E5%9B%BD%E9%A6%96%E8%84%91%E5%B3%B0%E4%BC%9A"
)


def scrapy(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=os.environ.copy(),
    )


def test_check_runs_every_callbacks_contracts_on_the_fixtures() -> None:
    listed = scrapy("check", "-l")
    assert listed.stdout.split() == [
        "archive", "*", "read_batch", "feedx", "*", "parse", "*", "parse_feed", "rfi", "*", "parse", "*",
        "parse_article",
    ]  # fmt: skip
    done = scrapy("check", "-v")
    assert done.returncode == 0, done.stderr
    assert "Ran 10 contracts" in done.stderr
    assert done.stderr.rstrip().endswith("OK")
    assert "[rfi] parse_article (@scrapes post-hook) ... ok" in done.stderr
    assert "[archive] read_batch (@returns post-hook) ... ok" in done.stderr


def test_parse_gives_an_article_pages_record_without_hand_made_meta(site: FixtureServer) -> None:
    done = scrapy("parse", "--nolog", "--spider=rfi", "--pipelines", site.url(SEED))
    assert done.returncode == 0, done.stderr
    assert f"'url': '{SEED_URL}'" in done.stdout  # the canonical URL, though fetched from 127.0.0.1
    assert "'title': '日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会'" in done.stdout
    assert "'section': '中国'" in done.stdout
    assert "'published': '2023-12-30T09:05:00Z'" in done.stdout
    assert "rfi-news rfi:" not in done.stderr  # no run verdict for a one-off command
    by_callback = scrapy("parse", "--nolog", "--spider=rfi", "-c", "parse_article", site.url(SEED))
    assert by_callback.returncode == 0, by_callback.stderr
    assert f"'url': '{SEED_URL}'" in by_callback.stdout


def test_parse_a_feed_with_the_feedx_spider(server: FixtureServer) -> None:
    done = scrapy("parse", "--nolog", "--spider=feedx", server.url("/feeds/feedx_rfi.xml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("'source': 'feedx'") == 12


def test_fetch_is_not_judged_by_the_crawls_monitors(site: FixtureServer) -> None:
    done = scrapy("fetch", site.url("/robots.txt"))
    assert done.returncode == 0
    assert done.stdout.startswith("# RECONSTRUCTED for rfi-news's tests")
    assert "Spidermon" not in done.stderr
    assert "UNHEALTHY" not in done.stderr
    # Scrapy lists the settings that differ from its defaults: the crawl's delay and time limit are not among them.
    assert "'CLOSESPIDER_TIMEOUT'" not in done.stderr
    assert "'DOWNLOAD_DELAY'" not in done.stderr
    assert "'USER_AGENT': 'rfi-news/" in done.stderr  # the project's settings are still there


def test_bench_runs_with_its_own_time_limit_and_concurrency(tmp_path: Path) -> None:
    done = scrapy("bench", timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Spider closed (closespider_timeout)" in done.stderr
    assert "'CLOSESPIDER_TIMEOUT': 10" in done.stderr
    assert "UNHEALTHY" not in done.stderr
    crawled = [int(number) for number in re.findall(r"Crawled (\d+) pages", done.stderr)]
    assert crawled
    assert crawled[-1] > 50  # one request at a time with a 1 s delay would have crawled about 10
