"""The rfi spider against ``scrapy bench``, both crawling a server on 127.0.0.1, politeness off, interleaved.

``scrapy bench`` starts Scrapy's own benchmark server and a spider that follows its links for
``--seconds``; it is what Scrapy manages on this machine now. The rfi spider runs ``-a month=2099-01`` against a
fixture server (tests/fixture_server.py, in this process) whose sitemap index lists one monthly sitemap of
``--pages`` article URLs, each answered with one of the real article pages of tests/fixtures/site in turn, so every
page is parsed, normalised, validated and exported like a real one. Politeness is off for both (no robots.txt, no
delay, no AutoThrottle, Scrapy's default concurrency of 16 and 8 per host), so the figure is the crawler's own speed;
the project's polite defaults are not what is measured here. Each rfi configuration (``CONCURRENT_ITEMS`` values
given with ``--concurrent-items``) is a fresh child pinned to one CPU; pages per minute are responses over the
crawl's wall time (spider open to engine stop), CPU per page from ``getrusage`` in the crawl (cpu_meter.py).

    python benchmarks/bench_rfi_crawl.py                # 3,000 pages, CONCURRENT_ITEMS 100 (Scrapy's) 10 1
    python benchmarks/bench_rfi_crawl.py --pages 1000 --rounds 2 --quick
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.fixture_server import Answer, FixtureServer  # noqa: E402

SITE = PROJECT_ROOT / "tests" / "fixtures" / "site"
MONTH = "2099-01"
IMPOLITE = {
    "ROBOTSTXT_OBEY": "False",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def article_pages() -> list[Path]:
    """The real article pages of the fixture site (files named like ``20240131-<slug>``)."""
    return sorted(path for path in (SITE / "cn").rglob("*") if path.is_file() and path.name[:8].isdigit())


def serve_site(pages: int) -> FixtureServer:
    server = FixtureServer(SITE, default_type="text/html; charset=utf-8")
    files = article_pages()
    locs = []
    for number in range(pages):
        path = f"/cn/中国/20990101-bench-article-{number}"
        server.routes[path] = Answer(file=str(files[number % len(files)].relative_to(SITE)))
        locs.append(f"<url><loc>https://www.rfi.fr{quote(path)}</loc></url>")
    urlset = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    server.routes["/sitemaps/cn/contents_209901.xml"] = Answer(
        headers={"Content-Type": "application/xml"}, body=(urlset + "".join(locs) + "</urlset>").encode()
    )
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://www.rfi.fr/sitemaps/cn/contents_209901.xml</loc></sitemap></sitemapindex>"
    )
    server.routes["/sitemaps/cn/index.xml"] = Answer(headers={"Content-Type": "application/xml"}, body=index.encode())
    return server.start()


def run(command: list[str], cwd: Path, meter: Path, cpu: int | None) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("RFI_STATE_DIR", "RFI_OUTPUT_DIR")}
    env["BENCH_METER_FILE"] = str(meter)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), str(BENCH_DIR)])
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    if completed.returncode != 0:
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise SystemExit(f"exit status {completed.returncode}: {' '.join(command)}\n" + "\n".join(tail))
    figures = json.loads(meter.read_text(encoding="utf-8"))
    meter.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3000, help="article pages in the month's sitemap")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; figures are their medians")
    parser.add_argument("--seconds", type=int, default=15, help="how long scrapy bench crawls")
    parser.add_argument("--concurrent-items", type=int, nargs="+", default=[100, 10, 1])
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin the crawls to; -1 for no pinning")
    parser.add_argument("--quick", action="store_true", help="1,000 pages, scrapy bench for 8 s")
    options = parser.parse_args()
    if options.quick:
        options.pages, options.seconds = 1000, 8
    cpu = None if options.cpu < 0 else options.cpu
    runner = [sys.executable, str(BENCH_DIR / "run_crawl.py")]
    print(
        f"bench_rfi_crawl {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {options.pages} pages, "
        f"{options.rounds} rounds, python {sys.version.split()[0]}, {os.cpu_count()} CPUs "
        f"(load {os.getloadavg()[0]:.1f}), crawls pinned to CPU {cpu}",
        flush=True,
    )
    results: dict[str, list[dict[str, float]]] = {}
    server = serve_site(options.pages)
    try:
        with tempfile.TemporaryDirectory(prefix="rfi-crawl-bench-") as temp:
            work = Path(temp)
            meter = work / "meter.json"
            for round_number in range(1, options.rounds + 1):
                configs: list[tuple[str, list[str], Path]] = [
                    ("scrapy bench", [*runner, "bench", "-s", f"CLOSESPIDER_TIMEOUT={options.seconds}"], work)
                ]
                for items in options.concurrent_items:
                    settings = {**IMPOLITE, "RFI_ORIGIN": server.origin, "CONCURRENT_ITEMS": str(items)}
                    command = [*runner, "crawl", "rfi", "-a", f"month={MONTH}", "-O", str(work / "out.jsonl")]
                    for name, value in settings.items():
                        command += ["-s", f"{name}={value}"]
                    configs.append((f"rfi CONCURRENT_ITEMS={items}", command, PROJECT_ROOT))
                for name, command, cwd in configs:
                    figures = run(
                        [*command, "-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={work / 'crawl.log'}"], cwd, meter, cpu
                    )
                    if name.startswith("rfi") and figures["items"] != options.pages:
                        raise SystemExit(f"{name}: {figures['items']} records, expected {options.pages}")
                    figures["pages_per_minute"] = figures["responses"] / figures["crawl_wall_seconds"] * 60
                    figures["cpu_us_per_page"] = figures["crawl_cpu_seconds"] / figures["responses"] * 1e6
                    results.setdefault(name, []).append(figures)
                    print(
                        f"  round {round_number} {name:>24}: {figures['responses']:6.0f} responses, "
                        f"{figures['pages_per_minute']:7.0f} pages/min, {figures['cpu_us_per_page']:5.0f} us CPU/page",
                        flush=True,
                    )
    finally:
        server.stop()

    bench = statistics.median(r["pages_per_minute"] for r in results["scrapy bench"])
    print("\nMedians of the rounds (pages/min: responses over spider open to engine stop, wall clock):")
    print(f"{'':>26}{'pages/min':>11}{'x scrapy bench':>16}{'us CPU/page':>13}")
    for name, runs in results.items():
        speed = statistics.median(r["pages_per_minute"] for r in runs)
        cpu_per_page = statistics.median(r["cpu_us_per_page"] for r in runs)
        print(f"{name:>26}{speed:>11.0f}{speed / bench:>15.2f}x{cpu_per_page:>13.0f}")


if __name__ == "__main__":
    main()
