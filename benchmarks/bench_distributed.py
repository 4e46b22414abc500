"""Distributed mode: 1 vs 2 vs 3 workers on one sitemap month of a local site, in one run, as ratios.

A local redis-server (127.0.0.1, a free port, a password, its own folder) and a local HTTP server playing
www.rfi.fr with a month of ``--pages`` article pages (tests/distributed_site.py: written by text substitution from
a reconstructed page). For each number of workers, the Redis database is emptied, the workers are started together
(``scrapy crawl rfi -a month=2024-02``, each a process) and the site records when each article page was asked for.

Part 1, politeness off (no delay, 16 requests per host per worker, no shared limiter): pages per minute as the site
sees them (first to last article request) and from the start of the workers to the end of the last one; ratios to
one worker. Part 2, the shared limiter on with ``DOWNLOAD_DELAY=--delay``: the request rate the site sees with 1,
2 and 3 workers (it should not grow with the workers).

The machine is shared and small (2 cores): process start-up and parsing compete for CPU with the other workers,
so the ratios say what more workers buy *here*; on separate machines the CPU-bound part scales further.

    python benchmarks/bench_distributed.py                    # 600 pages; 40 pages at 0.1 s for part 2
    python benchmarks/bench_distributed.py --pages 1200 --workers 1 2 3 4
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.crawl import crawl_command  # noqa: E402
from tests.distributed_site import MonthArticle, build_month_site  # noqa: E402
from tests.fixture_server import Answer, FixtureServer, RecordedRequest  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


@dataclass
class Round:
    workers: int
    pages: int
    site_seconds: float  # first to last article request, at the site
    wall_seconds: float  # workers started to the last one ended

    @property
    def site_pages_per_minute(self) -> float:
        return self.pages / self.site_seconds * 60 if self.site_seconds else float("inf")

    @property
    def wall_pages_per_minute(self) -> float:
        return self.pages / self.wall_seconds * 60


class TimedSite:
    def __init__(self, root: Path, articles: list[MonthArticle]) -> None:
        self.server = FixtureServer(root, default_type="text/html; charset=utf-8").start()
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        for article in articles:
            self.server.routes[article.path] = self.timed(article.path)

    def timed(self, path: str):
        def answer(request: RecordedRequest) -> Answer:
            with self.lock:
                self.arrivals.append(time.monotonic())
            return Answer(file=path)

        return answer

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()


def crawl(workers: int, site: TimedSite, redis_server: RedisServer, workdir: Path, settings: dict[str, str]) -> float:
    redis_server.client().flushdb()
    site.reset()
    started = time.monotonic()
    processes = []
    for number in range(workers):
        folder = workdir / f"{workers}-{number}-{time.monotonic_ns()}"
        folder.mkdir(parents=True)
        command = crawl_command(
            "rfi",
            args={"month": "2024-02"},
            settings={
                "RFI_ORIGIN": site.server.origin,
                "RFI_REDIS_URL": redis_server.url,
                "LOG_FILE": str(folder / "crawl.log"),
                "LOG_LEVEL": "WARNING",
                **settings,
            },
            output=folder / "out.jsonl",
        )
        processes.append(subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL))
    codes = [process.wait() for process in processes]
    wall = time.monotonic() - started
    if any(codes):
        raise SystemExit(f"a worker failed: exit statuses {codes}; see {workdir}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--polite-pages", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.1)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as temporary:
        root = Path(temporary)
        redis_server = RedisServer(root / "redis").start()
        try:
            fast_site = TimedSite(root / "site", build_month_site(root / "site", options.pages))
            off = {
                "RFI_REDIS_POLITENESS": "False",
                "DOWNLOAD_DELAY": "0",
                "AUTOTHROTTLE_ENABLED": "False",
                "CONCURRENT_REQUESTS": "16",
                "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
                "RFI_REDIS_HEARTBEAT": "0.5",
                "RFI_REDIS_WORKER_TTL": "3",
            }
            rounds = []
            for workers in options.workers:
                wall = crawl(workers, fast_site, redis_server, root / "runs", off)
                times = sorted(fast_site.arrivals)
                assert len(times) == options.pages, f"{len(times)} article requests, expected {options.pages}"
                rounds.append(Round(workers, options.pages, times[-1] - times[0], wall))
            fast_site.server.stop()

            polite_site = TimedSite(root / "polite", build_month_site(root / "polite", options.polite_pages))
            polite = {
                **off,
                "RFI_REDIS_POLITENESS": "True",
                "DOWNLOAD_DELAY": str(options.delay),
                "DOWNLOAD_DELAY_JITTER": "0",
                "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
            }
            rates = []
            for workers in options.workers:
                crawl(workers, polite_site, redis_server, root / "polite-runs", polite)
                times = sorted(polite_site.arrivals)
                # From the second arrival: the first request of a worker also opens its connection, so its arrival
                # lags its start and would shorten the span.
                gaps = [later - earlier for earlier, later in itertools.pairwise(times[1:])]
                rates.append((workers, len(gaps) / sum(gaps), min(gaps)))
            polite_site.server.stop()
        finally:
            redis_server.stop()

    base = rounds[0]
    print(f"Part 1: {options.pages} article pages, politeness off (local site, local Redis)")
    print(f"{'workers':>7} {'site pages/min':>15} {'ratio':>6} {'wall pages/min':>15} {'ratio':>6}")
    for result in rounds:
        print(
            f"{result.workers:>7} {result.site_pages_per_minute:>15.0f} "
            f"{result.site_pages_per_minute / base.site_pages_per_minute:>6.2f} "
            f"{result.wall_pages_per_minute:>15.0f} {result.wall_pages_per_minute / base.wall_pages_per_minute:>6.2f}"
        )
    print(f"\nPart 2: {options.polite_pages} pages, shared limiter on, DOWNLOAD_DELAY={options.delay}")
    print(
        f"{'workers':>7} {'requests/s at the site':>23} {'ratio':>6} {'shortest gap, s':>16}  (limit {1 / options.delay:.1f}/s)"
    )
    for workers, rate, shortest in rates:
        print(f"{workers:>7} {rate:>23.2f} {rate / rates[0][1]:>6.2f} {shortest:>16.3f}")
    print(json.dumps({"part1": [r.__dict__ for r in rounds], "part2": rates}))


if __name__ == "__main__":
    main()
