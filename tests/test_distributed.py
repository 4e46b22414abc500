"""Distributed mode end to end: real workers (``scrapy crawl`` processes) sharing one crawl on a real Redis.

Each test starts its own redis-server (tests/redis_server.py: 127.0.0.1, a free port, a password, append-only
file on) and stops it. The site is a sitemap month of 240 article pages (tests/distributed_site.py) on a real
HTTP server that records every request, so "each page fetched once" is counted where the site sees it.
Politeness is off (no delay, 8 requests per host) except in the test of the global limiter.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request
from scrapy.utils.request import request_from_dict

from rfi_news.distributed import serializer
from rfi_news.distributed.serializer import UnsafeRequestData
from rfi_news.spiders.rfi import RfiSpider
from tests.conftest import ARCHIVE_DIR
from tests.crawl import PROJECT_ROOT, CrawlResult, crawl_command, log_text, run_crawl
from tests.distributed_site import MonthArticle, build_month_site
from tests.fixture_server import Answer, FixtureServer, RecordedRequest
from tests.redis_server import RedisServer

MONTH_ARTICLES = 240
PREFIX = "rfi_news"

# Heartbeats every half second, a worker gone after 3 s without one (production: 5 s and 30 s).
WORKER_SETTINGS = {
    "RFI_REDIS_HEARTBEAT": "0.5",
    "RFI_REDIS_WORKER_TTL": "3",
    "RFI_REDIS_POLITENESS": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    output: Path
    log: Path
    stats_file: Path

    def wait(self, timeout: float = 180) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def records(self) -> list[dict[str, Any]]:
        if not self.output.exists():
            return []
        return [json.loads(line) for line in self.output.read_text(encoding="utf-8").splitlines()]

    @property
    def stats(self) -> dict[str, Any]:
        return json.loads(self.stats_file.read_text(encoding="utf-8")) if self.stats_file.exists() else {}

    def text(self) -> str:
        return log_text(self.log)


def start_worker(
    workdir: Path,
    redis_server: RedisServer,
    origin: str,
    *,
    spider: str = "rfi",
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
) -> Worker:
    workdir.mkdir(parents=True, exist_ok=True)
    command = crawl_command(
        spider,
        args={"month": "2024-02"} if args is None else args,
        settings={
            "RFI_ORIGIN": origin,
            "RFI_REDIS_URL": redis_server.url,
            **WORKER_SETTINGS,
            "STATS_FILE": str(workdir / "stats.json"),
            "LOG_FILE": str(workdir / "crawl.log"),
            **(settings or {}),
        },
        output=workdir / "out.jsonl",
    )
    with (workdir / "stderr.txt").open("wb") as stderr:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    return Worker(process, output=workdir / "out.jsonl", log=workdir / "crawl.log", stats_file=workdir / "stats.json")


def finished(workers: list[Worker]) -> None:
    """Every worker ended by itself, healthy, and logged no deprecation warning."""
    for worker in workers:
        assert worker.wait() == 0, worker.text()[-3000:]
        assert "DeprecationWarning" not in worker.text()


def wait_for(condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def article_fetches(site: FixtureServer) -> Counter[str]:
    return Counter(request.path for request in site.requests if request.path.startswith("/cn/"))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FixtureServer, list[MonthArticle]]]:
    root = tmp_path_factory.mktemp("month-site")
    articles = build_month_site(root, MONTH_ARTICLES)
    server = FixtureServer(root, default_type="text/html; charset=utf-8").start()
    yield server, articles
    server.stop()


@pytest.fixture
def site(month: tuple[FixtureServer, list[MonthArticle]]) -> FixtureServer:
    month[0].reset()
    return month[0]


@pytest.fixture
def articles(month: tuple[FixtureServer, list[MonthArticle]]) -> list[MonthArticle]:
    return month[1]


def redis_status(redis_server: RedisServer, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "redis_status", *options],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RFI_REDIS_URL": redis_server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- Three workers, one month ------------------------------------------------------------------------------


def test_three_workers_emit_each_article_once_and_fetch_each_page_once(
    site: FixtureServer, articles: list[MonthArticle], redis_server: RedisServer, tmp_path: Path
) -> None:
    # A short delay per request, so the 240 pages outlast the later workers' start-up (on a quiet machine the first
    # worker alone could drain the queue before the others join, and the sharing would go unseen).
    workers = [
        start_worker(tmp_path / f"w{number}", redis_server, site.origin, settings={"DOWNLOAD_DELAY": "0.05"})
        for number in range(3)
    ]
    finished(workers)

    urls = Counter(record["url"] for worker in workers for record in worker.records)
    assert urls == Counter(article.url for article in articles)  # each of the 240 exactly once
    titles = {record["url"]: record["title"] for worker in workers for record in worker.records}
    assert all(titles[article.url] == article.title for article in articles)
    # The work was shared: more than one worker wrote records.
    per_worker = [len(worker.records) for worker in workers]
    assert sum(1 for count in per_worker if count) >= 2, per_worker

    # Where the site sees it: each article page once, the sitemap index and the month once, whichever worker.
    assert article_fetches(site) == Counter(article.path for article in articles)
    assert site.count("/sitemaps/cn/index.xml") == 1
    assert site.count("/sitemaps/cn/contents_202402.xml") == 1

    status = redis_status(redis_server, "rfi", "--json")
    assert status.returncode == 0, status.stderr
    figures = json.loads(status.stdout)["rfi"]
    robots = site.count("/robots.txt")  # each worker that sent a request asked for robots.txt once
    assert 2 <= robots <= 3
    assert figures["emitted"] == MONTH_ARTICLES
    assert figures["queued"] == 0
    assert figures["pending"] == 0
    assert figures["claims"] == 0
    assert figures["done"] == MONTH_ARTICLES + 2 + robots
    assert figures["workers"] == []  # all left

    # The next crawl emits nothing and fetches no article page: they are all in the shared state.
    site.reset()
    again = start_worker(tmp_path / "again", redis_server, site.origin)
    finished([again])
    assert again.records == []
    assert article_fetches(site) == Counter()
    assert again.stats["rfi_news/state/skipped"] == MONTH_ARTICLES

    # A documented reset: the state forgotten, the next crawl emits everything again.
    assert redis_status(redis_server, "--reset", "all").returncode == 0
    assert json.loads(redis_status(redis_server, "rfi", "--json").stdout)["rfi"]["emitted"] == 0


# --- A worker killed with SIGKILL ---------------------------------------------------------------------------


def test_a_killed_worker_loses_nothing_and_nothing_is_emitted_twice(
    site: FixtureServer, articles: list[MonthArticle], redis_server: RedisServer, tmp_path: Path
) -> None:
    client = redis_server.client()
    # A little slower than the other tests (each worker at most 2 pages at a time, 20 ms apart) so that the
    # victim is caught in the middle of its work.
    slow = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0.02", "DOWNLOAD_DELAY_JITTER": "0"}
    workers = [start_worker(tmp_path / f"w{number}", redis_server, site.origin, settings=slow) for number in range(3)]
    victim = workers[0]

    def victim_id() -> str | None:
        for worker_id, info in client.hgetall(f"{PREFIX}:rfi:workers").items():
            if json.loads(info)["pid"] == victim.process.pid:
                return str(worker_id)
        return None

    # Kill it once it holds records it has not published (its pending set) and the crawl is under way.
    wait_for(
        lambda: (worker_id := victim_id()) is not None and client.hlen(f"{PREFIX}:rfi:pending:{worker_id}") >= 5,
        what="the victim to hold records",
    )
    victim_worker = victim_id()
    victim.process.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    held = client.hlen(f"{PREFIX}:rfi:pending:{victim_worker}")
    assert held >= 5
    survivors = workers[1:]
    finished(survivors)

    assert not victim.output.exists()  # its output was never published (only its hidden .part file is left)
    first_run = Counter(record["url"] for worker in survivors for record in worker.records)
    assert max(first_run.values()) == 1
    assert len(first_run) < MONTH_ARTICLES  # what the victim held is missing, for now
    fetched_first = article_fetches(site)
    assert max(fetched_first.values()) == 1  # even with a death, no page fetched twice in the crawl
    print(f"\nkill: victim held {held} unpublished; survivors emitted {len(first_run)} of {MONTH_ARTICLES}")

    # The victim counts as gone once its heartbeat lapses (RFI_REDIS_WORKER_TTL); then one rerun.
    wait_for(lambda: not client.exists(f"{PREFIX}:rfi:alive:{victim_worker}"), timeout=10, what="the heartbeat")
    site.reset()
    rerun = start_worker(tmp_path / "rerun", redis_server, site.origin)
    finished([rerun])
    rerun_urls = Counter(record["url"] for record in rerun.records)
    assert not set(rerun_urls) & set(first_run)
    assert first_run + rerun_urls == Counter(article.url for article in articles)  # every article exactly once
    assert set(article_fetches(site)) == {article.path for article in articles if article.url in rerun_urls}
    print(f"kill: the rerun emitted {len(rerun_urls)}; together {sum((first_run + rerun_urls).values())} unique")

    # A second run emits nothing.
    site.reset()
    second = start_worker(tmp_path / "second", redis_server, site.origin)
    finished([second])
    assert second.records == []
    assert article_fetches(site) == Counter()
    assert client.hlen(f"{PREFIX}:rfi:claims") == 0
    assert not list(client.scan_iter(match=f"{PREFIX}:rfi:pending:*"))  # the victim's pending set was dropped


# --- Redis restarted in the middle of the crawl --------------------------------------------------------------


def test_the_crawl_completes_when_redis_restarts_mid_run(
    site: FixtureServer, articles: list[MonthArticle], redis_server: RedisServer, tmp_path: Path
) -> None:
    client = redis_server.client()
    slow = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0.02", "DOWNLOAD_DELAY_JITTER": "0"}
    workers = [start_worker(tmp_path / f"w{number}", redis_server, site.origin, settings=slow) for number in range(2)]
    wait_for(lambda: int(client.get(f"{PREFIX}:rfi:done") or 0) >= 60, what="the crawl to be under way")
    redis_server.stop()  # SIGTERM: the append-only file is complete
    time.sleep(1.0)
    redis_server.start()  # same port, password and folder: it reloads the append-only file
    finished(workers)

    urls = Counter(record["url"] for worker in workers for record in worker.records)
    assert urls == Counter(article.url for article in articles)
    assert max(article_fetches(site).values()) == 1
    assert redis_server.client().hlen(f"{PREFIX}:rfi:emitted") == MONTH_ARTICLES


# --- Politeness held in Redis for the whole crawl -------------------------------------------------------------


def test_politeness_is_global_delay_and_retry_after_across_workers(redis_server: RedisServer, tmp_path: Path) -> None:
    articles = build_month_site(tmp_path / "site", 10)
    site = FixtureServer(tmp_path / "site", default_type="text/html; charset=utf-8").start()
    arrivals: list[tuple[float, str]] = []
    lock = threading.Lock()
    answered_429 = threading.Event()

    def timed(path: str, first: Answer | None = None) -> Callable[[RecordedRequest], Answer]:
        def answer(request: RecordedRequest) -> Answer:
            with lock:
                arrivals.append((time.monotonic(), path))
            if first is not None and not answered_429.is_set():
                answered_429.set()
                return first
            return Answer(file=path)

        return answer

    for article in articles:
        site.routes[article.path] = timed(article.path)
    # The third article answers 429 once: every worker must then leave the host alone for 2 s.
    site.routes[articles[2].path] = timed(articles[2].path, Answer(status=429, headers={"Retry-After": "2"}, body=b""))
    polite = {
        "RFI_REDIS_POLITENESS": "True",
        "DOWNLOAD_DELAY": "0.4",
        "DOWNLOAD_DELAY_JITTER": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",  # per worker; the limiter allows 4 at once across all workers
        "RETRY_AFTER_MAX": "10",
    }
    try:
        workers = [start_worker(tmp_path / f"w{n}", redis_server, site.origin, settings=polite) for n in range(2)]
        finished(workers)
    finally:
        site.stop()

    urls = Counter(record["url"] for worker in workers for record in worker.records)
    assert urls == Counter(article.url for article in articles)
    times = sorted(moment for moment, _ in arrivals)
    assert len(times) == 11  # 10 pages and the retried one
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Starts are spaced by DOWNLOAD_DELAY for the crawl as a whole (a little less may show at the server: the
    # loopback and the two processes add jitter of a few milliseconds).
    assert min(gaps) >= 0.3, gaps
    refused_at = next(moment for moment, path in sorted(arrivals) if path == articles[2].path)
    after = [moment for moment in times if moment > refused_at]
    assert after[0] - refused_at >= 1.8, gaps  # Retry-After: 2 held for every worker
    stats = [worker.stats for worker in workers]
    assert sum(s.get("rfi_news/politeness/retry_after_held", 0) for s in stats) == 1
    assert sum(s.get("rfi_news/politeness/waits", 0) for s in stats) >= 5


# --- Requests in Redis are JSON, never code -----------------------------------------------------------------


def test_requests_round_trip_through_json(tmp_path: Path) -> None:
    spider = RfiSpider()
    request = Request(
        "http://127.0.0.1:1/cn/%E4%B8%AD%E5%9B%BD/",
        callback=spider.parse_listing,
        errback=spider.source_failed,
        cb_kwargs={"listing_url": "https://www.rfi.fr/cn/中国/", "page": 2},
        meta={"rfi_article_url": "https://www.rfi.fr/cn/x", "$b": "not a tag"},
        headers={"If-None-Match": '"abc"'},
        priority=3,
    )
    data = serializer.dumps(request.to_dict(spider=spider))
    json.loads(data)  # plain JSON text
    again = request_from_dict(serializer.loads(data), spider=spider)
    assert again.url == request.url
    assert again.callback == spider.parse_listing
    assert again.errback == spider.source_failed
    assert again.cb_kwargs == {"listing_url": "https://www.rfi.fr/cn/中国/", "page": 2}
    assert again.meta == {"rfi_article_url": "https://www.rfi.fr/cn/x", "$b": "not a tag"}
    assert again.headers[b"If-None-Match"] == b'"abc"'
    assert again.priority == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"url": "http://x/", "_class": "os.system"}', "class that is not allowed"),
        ('{"url": "http://x/", "callback": "close"}', "not one of the spider's callbacks"),
        ('{"url": "http://x/", "errback": "__init__"}', "not one of the spider's callbacks"),
        ('["http://x/"]', "not a request"),
    ],
)
def test_queued_data_that_is_not_a_request_is_refused(data: str, message: str) -> None:
    with pytest.raises(UnsafeRequestData, match=message):
        serializer.loads(data)


def test_a_pickle_written_to_the_queue_runs_nothing(
    site: FixtureServer, articles: list[MonthArticle], redis_server: RedisServer, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, password=redis_server.password)
    client.zadd(f"{PREFIX}:rfi:requests", {pickle.dumps(Exploit(), protocol=5): 0})
    worker = start_worker(tmp_path / "w", redis_server, site.origin)
    finished([worker])
    assert not marker.exists()
    assert worker.stats["rfi_news/distributed/refused_requests"] == 1
    assert "Refused a queued request in rfi_news:rfi:requests" in worker.text()
    assert Counter(record["url"] for record in worker.records) == Counter(article.url for article in articles)


# --- feedx and archive in distributed mode --------------------------------------------------------------------


def test_one_worker_reads_the_feed(fixture_server: FixtureServer, redis_server: RedisServer, tmp_path: Path) -> None:
    fixture_server.reset()

    def slow_feed(request: RecordedRequest) -> Answer:
        time.sleep(4)  # the reader is still at work when the other worker starts: they overlap
        return Answer(file="/feeds/feedx_rfi.xml")

    fixture_server.routes["/feeds/feedx_rfi.xml"] = slow_feed
    feed = {"feed_url": fixture_server.url("/feeds/feedx_rfi.xml")}
    workers = [
        start_worker(tmp_path / f"w{n}", redis_server, fixture_server.origin, spider="feedx", args=feed)
        for n in range(2)
    ]
    finished(workers)
    assert fixture_server.count("/feeds/feedx_rfi.xml") == 1
    readers = [worker for worker in workers if worker.stats.get("rfi_news/feed/entries")]
    assert len(readers) == 1
    (idle,) = [worker for worker in workers if worker is not readers[0]]
    assert idle.stats["rfi_news/distributed/feed_read_elsewhere"] == 1
    assert len(readers[0].records) == 12
    assert idle.records == []


def test_archive_shards_split_the_files_once(archive_crawl: CrawlResult, tmp_path: Path) -> None:
    shards = [
        run_crawl("archive", tmp_path / f"s{k}", args={"path": str(ARCHIVE_DIR), "shard": f"{k}/3"}) for k in (1, 2, 3)
    ]
    for result in shards:
        assert result.returncode == 0, result.log
        assert result.records  # 48 files in 3 shards: none is empty
    # Together, the three shards give exactly what one crawl of the whole folder gives.
    urls = Counter(record["url"] for result in shards for record in result.records)
    assert urls == Counter(record["url"] for record in archive_crawl.records)
    assert sum(result.stat("rfi_news/archive/files") for result in shards) == archive_crawl.stat(
        "rfi_news/archive/files"
    )


def test_workers_publish_once_when_they_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Redis state records a worker's articles at its end only: a checkpoint part published before a later kill
    # would be emitted again, so the distributed mode turns checkpoints off (a command-line -s still wins).
    from scrapy.settings import Settings

    from rfi_news import settings as project_settings
    from rfi_news.addons import DefaultOutput

    monkeypatch.delenv("RFI_REDIS_URL", raising=False)
    single = Settings()
    single.setmodule(project_settings, priority="project")
    DefaultOutput().update_settings(single)
    assert (single.getint("RFI_CHECKPOINT_ITEMS"), single.getint("RFI_CHECKPOINT_SECONDS")) == (500, 300)

    distributed = Settings()
    distributed.setmodule(project_settings, priority="project")
    distributed.set("RFI_REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    DefaultOutput().update_settings(distributed)
    assert (distributed.getint("RFI_CHECKPOINT_ITEMS"), distributed.getint("RFI_CHECKPOINT_SECONDS")) == (0, 0)

    chosen = Settings()
    chosen.setmodule(project_settings, priority="project")
    chosen.set("RFI_REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    chosen.set("RFI_CHECKPOINT_ITEMS", 100, priority="cmdline")
    DefaultOutput().update_settings(chosen)
    assert chosen.getint("RFI_CHECKPOINT_ITEMS") == 100
