"""WARC capture and re-extraction, end to end: what capture costs a crawl, and how fast ``warc`` re-extracts.

One invocation measures, interleaved round by round on the same machine:

1. ``scrapy crawl rfi -a sitemap=news`` of a local site of N article pages, capture off and capture on
   (``RFI_WARC_DIR``): crawl time, process CPU, bytes written (JSON Lines; WARC files). Two corpora:
   ``site``, copies of the 13 reconstructed article pages of tests/fixtures/site (6-10 KiB each: the article
   markup only), and ``real``, copies of the two real saved rfi.fr article pages of tests/fixtures/rfi (249 and
   544 KiB: every script, style and menu of the real page), which gives the realistic disk cost.
2. ``scrapy crawl warc`` over the ``site`` capture vs ``scrapy crawl archive`` over the archive items those
   pages were built from (tests/fixtures/site/build_site.py's table), copied as often: the same articles, as
   pages from a WARC and as feed items from files. Records per second and the ratio; also against the live crawl
   of those pages, and the cost of reading the WARC files alone (in this process).

Every crawl is a fresh child process (``--cpu`` pins it to one CPU); the local site is served by the tests'
fixture server (tests/fixture_server.py) in a thread of this process, the same for both modes. The best round
of each figure is kept (least disturbed by the other users of the machine).

    python benchmarks/bench_warc.py                       # 1,300 articles per corpus, 2 rounds
    python benchmarks/bench_warc.py --copies 50 --rounds 3 --cpu 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from rfi_news.warc.reading import read_warc  # noqa: E402
from tests.fixture_server import FixtureServer  # noqa: E402
from tests.fixtures.site.build_site import ARTICLES  # noqa: E402

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SITE = FIXTURES / "site"
REAL_PAGES = sorted((FIXTURES / "rfi").glob("cn_article_*.html"))
TITLE_LINE_RE = re.compile(r"^(\[.*\]\([^()\s]+)\)$", re.MULTILINE)
PAGE_NAME_RE = re.compile(r"^20\d\d(\d{4})-")
FAST_LOCAL = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "CLOSESPIDER_TIMEOUT": "0",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Run:
    records: int
    crawl_seconds: float  # Scrapy's elapsed_time_seconds
    cpu_seconds: float  # the whole child process, user + system
    output_bytes: int
    warc_bytes: int
    warc_files: int

    @property
    def records_per_second(self) -> float:
        return self.records / self.crawl_seconds


def site_pages() -> list[tuple[Path, str]]:
    """The reconstructed article pages and the archive item each was built from."""
    pages = []
    for path in sorted((SITE / "cn").rglob("*")):
        match = PAGE_NAME_RE.match(path.name)
        if path.is_file() and match and match.group(1) in ARTICLES:
            pages.append((path, ARTICLES[match.group(1)]))
    return pages


def build_site(root: Path, pages: list[Path], copies: int) -> int:
    """``copies`` of each page under its own article URL, a news sitemap listing them all, an open robots.txt."""
    root.mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")
    section = root / "cn" / "中国"
    section.mkdir(parents=True)
    urls = []
    for copy in range(copies):
        for number, page in enumerate(pages):
            name = f"20240415-bench-{copy:05d}-{number:02d}"
            shutil.copyfile(page, section / name)
            urls.append(f"https://www.rfi.fr/cn/{quote('中国')}/{name}")
    sitemap = root / "sitemaps" / "cn" / "news.xml"
    sitemap.parent.mkdir(parents=True)
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    sitemap.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>',
        encoding="utf-8",
    )
    return len(urls)


def build_archive(folder: Path, items: list[str], copies: int) -> None:
    """The archive items, ``copies`` times each, every copy's link given its own suffix (no duplicates)."""
    folder.mkdir(parents=True)
    for copy in range(copies):
        for number, name in enumerate(items):
            text = (FIXTURES / "archive" / name).read_text(encoding="utf-8")
            text, count = TITLE_LINE_RE.subn(rf"\1-bench-{copy})", text, count=1)
            if count != 1:
                raise SystemExit(f"{name}: no [title](link) line to rewrite")
            (folder / f"{copy:05d}-{number:02d}-{name}").write_text(text, encoding="utf-8")


def crawl(spider: str, workdir: Path, args: dict[str, str], settings: dict[str, str], cpu: int | None) -> Run:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    output = workdir / "out.jsonl"
    stats_file = workdir / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(output)]
    for name, value in args.items():
        command += ["-a", f"{name}={value}"]
    all_settings = {**FAST_LOCAL, "STATS_FILE": str(stats_file), "LOG_FILE": str(workdir / "crawl.log"), **settings}
    for name, value in all_settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{spider} crawl failed ({os.waitstatus_to_exitcode(status)}): see {workdir}/crawl.log")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    warc_dir = Path(settings["RFI_WARC_DIR"]) if "RFI_WARC_DIR" in settings else None
    warcs = sorted(warc_dir.glob("*.warc.gz")) if warc_dir else []
    return Run(
        records=len(output.read_text(encoding="utf-8").splitlines()),
        crawl_seconds=stats["elapsed_time_seconds"],
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        output_bytes=output.stat().st_size,
        warc_bytes=sum(path.stat().st_size for path in warcs),
        warc_files=len(warcs),
    )


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.crawl_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100, help="copies of each site page (13 pages)")
    parser.add_argument("--real-copies", type=int, default=None, help="copies of each real page (2 pages)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cpu", type=int, default=None, help="pin each crawl to this CPU")
    options = parser.parse_args()
    pages = site_pages()
    real_copies = options.real_copies or options.copies * len(pages) // len(REAL_PAGES)
    with tempfile.TemporaryDirectory(prefix="bench-warc-") as temporary:
        work = Path(temporary)
        corpora = {
            "site": build_site(work / "site", [page for page, _item in pages], options.copies),
            "real": build_site(work / "real", REAL_PAGES, real_copies),
        }
        build_archive(work / "archive", [item for _page, item in pages], options.copies)
        servers = {
            name: FixtureServer(work / name, default_type="text/html; charset=utf-8").start() for name in corpora
        }
        results: dict[str, list[Run]] = {}
        reading: list[tuple[int, float]] = []
        try:
            for round_number in range(options.rounds):
                for name in corpora:
                    origin = {"RFI_ORIGIN": servers[name].origin}
                    args = {"sitemap": "news"}
                    results.setdefault(f"{name}/off", []).append(
                        crawl("rfi", work / f"{name}-off", args, origin, options.cpu)
                    )
                    warc_dir = work / f"{name}-on" / "warc"
                    on = {**origin, "RFI_WARC_DIR": str(warc_dir)}
                    results.setdefault(f"{name}/on", []).append(
                        crawl("rfi", work / f"{name}-on", args, on, options.cpu)
                    )
                    if name == "site":
                        captured = work / "site-capture"
                        if captured.exists():
                            shutil.rmtree(captured)
                        shutil.copytree(warc_dir, captured)
                results.setdefault("warc", []).append(
                    crawl("warc", work / "warc", {"path": str(work / "site-capture")}, {}, options.cpu)
                )
                reading.append(read_seconds(work / "site-capture"))
                results.setdefault("archive", []).append(
                    crawl("archive", work / "archive-run", {"path": str(work / "archive")}, {}, options.cpu)
                )
                print(f"round {round_number + 1}/{options.rounds} done", file=sys.stderr)
        finally:
            for server in servers.values():
                server.stop()
    report(corpora, results, min(reading, key=lambda sample: sample[1]))


def read_seconds(folder: Path) -> tuple[int, float]:
    """Reading the capture alone (every record, digests checked), in this process: (records, CPU seconds)."""
    started = time.process_time()
    records = 0
    for path in sorted(folder.glob("*.warc.gz")):
        for _record in read_warc(path, lambda offset, reason, detail: None):
            records += 1
    return records, time.process_time() - started


def report(corpora: dict[str, int], results: dict[str, list[Run]], reading: tuple[int, float]) -> None:
    print("| corpus | articles | capture | records | crawl s | process CPU s | JSONL bytes | WARC bytes | WARC files |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, articles in corpora.items():
        for mode in ("off", "on"):
            run = best(results[f"{name}/{mode}"])
            if run.records != articles:
                raise SystemExit(f"{name}/{mode}: {run.records} records for {articles} articles")
            print(
                f"| {name} | {articles} | {mode} | {run.records} | {run.crawl_seconds:.2f} | {run.cpu_seconds:.2f} |"
                f" {run.output_bytes} | {run.warc_bytes} | {run.warc_files} |"
            )
    print()
    for name, articles in corpora.items():
        off, on = best(results[f"{name}/off"]), best(results[f"{name}/on"])
        cpu_off = min(run.cpu_seconds for run in results[f"{name}/off"])
        cpu_on = min(run.cpu_seconds for run in results[f"{name}/on"])
        per_thousand = on.warc_bytes / articles * 1000
        print(
            f"{name}: capture on/off crawl time {on.crawl_seconds / off.crawl_seconds:.2f}x,"
            f" process CPU {cpu_on / cpu_off:.2f}x;"
            f" WARC bytes / JSONL bytes {on.warc_bytes / on.output_bytes:.2f}x;"
            f" disk per 1,000 articles {per_thousand / 2**20:.1f} MiB of WARC (+ {on.output_bytes / articles * 1000 / 2**20:.1f} MiB of JSONL)"
        )
    warc, archive = best(results["warc"]), best(results["archive"])
    if warc.records != corpora["site"] or archive.records != corpora["site"]:
        raise SystemExit(f"re-extraction: warc {warc.records}, archive {archive.records}, for {corpora['site']}")
    print(
        f"re-extraction: warc {warc.records_per_second:.0f} records/s, archive {archive.records_per_second:.0f}"
        f" records/s on the same {warc.records} articles: warc/archive {warc.records_per_second / archive.records_per_second:.2f}x"
    )
    live = best(results["site/off"])
    print(
        f"re-extraction vs the live crawl of the same pages (rfi, capture off, local server):"
        f" {warc.records_per_second:.0f} vs {live.records_per_second:.0f} records/s,"
        f" {warc.records_per_second / live.records_per_second:.2f}x"
    )
    records, seconds = reading
    print(
        f"reading the WARC files alone (zlib + warcio, digests checked): {seconds / records * 1e6:.0f} µs CPU per WARC"
        f" record ({records} records), {seconds / warc.records * 1e6:.0f} µs per article;"
        f" warc's process CPU per article {warc.cpu_seconds / warc.records * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
