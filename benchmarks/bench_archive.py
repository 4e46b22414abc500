"""End-to-end benchmark of ``scrapy crawl archive -a path=DIR -O out.jsonl``: items per second and peak memory.

The corpus is the real archive fixtures (tests/fixtures/archive) copied again and again into a temporary
folder, each copy's link line given a ``-copy<N>`` suffix so that every record has its own URL and the
deduplication keeps them all. Each crawl is a fresh child process (pinned to one CPU); its peak RSS comes
from ``os.wait4``, its crawl time from Scrapy's ``elapsed_time_seconds`` stat.

In the same run, rounds interleaved with the archive crawls, a bare Scrapy spider (baseline_spider.py) yields
as many empty items through the same JSON Lines export, so the archive figure is also given as a ratio to
what Scrapy alone manages on this (shared, noisy) machine.

    python benchmarks/bench_archive.py                 # 5,000 and 20,000 items, 3 rounds
    python benchmarks/bench_archive.py --sizes 2000 10000 40000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "archive"
BASELINE_SPIDER = Path(__file__).resolve().parent / "baseline_spider.py"
TITLE_LINE_RE = re.compile(r"^(\[.*\]\([^()\s]+)\)$", re.MULTILINE)

# Targets from the project's issue 2, item 10.
TARGET_ITEMS_PER_SECOND = 2000


@dataclass
class Run:
    kind: str  # "archive" or "baseline"
    items: int  # lines in the output
    wall_seconds: float  # whole process: interpreter start, Scrapy import, crawl, shutdown
    cpu_seconds: float  # whole process, user + system CPU time: what a busy machine disturbs least
    crawl_seconds: float  # Scrapy's elapsed_time_seconds: engine start to spider closed (wall clock)
    peak_rss_mib: float

    @property
    def items_per_second(self) -> float:
        return self.items / self.crawl_seconds


def build_corpus(folder: Path, size: int) -> None:
    """``size`` archive files: the fixtures in turn, copy ``N`` of each with ``-copy<N>`` added to its link."""
    fixtures = sorted(FIXTURES.glob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in fixtures]
    folder.mkdir(parents=True)
    for index in range(size):
        copy, which = divmod(index, len(fixtures))
        text, count = TITLE_LINE_RE.subn(rf"\1-copy{copy})", texts[which], count=1)
        if count != 1:
            raise SystemExit(f"{fixtures[which]}: no [title](link) line to rewrite")
        (folder / f"copy{copy:05d}-{fixtures[which].name}").write_text(text, encoding="utf-8")


def run_child(command: list[str], cwd: Path, cpu: int | None) -> tuple[float, float, float]:
    """Run ``command``; its wall time and CPU time in seconds, its peak RSS in MiB (of this one child)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # The baseline runs outside the project but borrows its StatsFile extension.
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"exit status {os.waitstatus_to_exitcode(status)}: {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def crawl(kind: str, size: int, corpus: Path, work: Path, cpu: int | None) -> Run:
    output = work / f"{kind}-{size}.jsonl"
    stats_file = work / f"{kind}-{size}.stats.json"
    # The same StatsFile extension in both runs, so both crawl times are the same Scrapy stat.
    log_file = work / f"{kind}-{size}.log"
    settings = ["-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={log_file}", "-s", f"STATS_FILE={stats_file}"]
    if kind == "archive":
        command = [sys.executable, "-m", "scrapy", "crawl", "archive", "-a", f"path={corpus}", "-O", str(output)]
        cwd = PROJECT_ROOT
    else:
        command = [sys.executable, "-m", "scrapy", "runspider", str(BASELINE_SPIDER), "-a", f"count={size}"]
        command += ["-O", str(output), "-s", 'EXTENSIONS={"rfi_news.extensions.StatsFile": 900}']
        cwd = work  # outside the project: no scrapy.cfg, so none of rfi_news's settings or pipelines
    wall, cpu_time, peak = run_child([*command, *settings], cwd, cpu)
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    lines = output.read_text(encoding="utf-8").splitlines()
    if len(lines) != size:
        raise SystemExit(f"{kind} {size}: {len(lines)} records written, expected {size}")
    if kind == "archive" and len({json.loads(line)["url"] for line in lines}) != size:
        raise SystemExit(f"archive {size}: the records' URLs are not all distinct")
    output.unlink()
    return Run(kind, len(lines), wall, cpu_time, float(stats["elapsed_time_seconds"]), peak)


def fastest(runs: list[Run]) -> Run:
    return max(runs, key=lambda run: run.items_per_second)


def least_cpu(runs: list[Run]) -> float:
    return min(run.cpu_seconds for run in runs)


def peak_rss(runs: list[Run]) -> float:
    return statistics.median(run.peak_rss_mib for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000], help="item counts (default 5000 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin every crawl to; -1 for no pinning")
    options = parser.parse_args()
    cpu = None if options.cpu < 0 else options.cpu
    sizes = sorted(set(options.sizes))
    if len(sizes) < 2:
        parser.error("give at least two sizes: memory and the per-item cost are read from the difference")

    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, crawls pinned to CPU {cpu}"
    print(f"bench_archive: sizes {sizes}, {options.rounds} rounds, {env_note}")
    results: dict[tuple[str, int], list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="rfi-bench-") as temp:
        work = Path(temp)
        corpora = {}
        for size in sizes:
            corpora[size] = work / f"corpus-{size}"
            build_corpus(corpora[size], size)
        for round_number in range(1, options.rounds + 1):
            for size in sizes:
                for kind in ("baseline", "archive"):
                    run = crawl(kind, size, corpora[size], work, cpu)
                    results.setdefault((kind, size), []).append(run)
                    print(
                        f"  round {round_number} {kind:8} {size:>6} items: crawl {run.crawl_seconds:6.2f} s "
                        f"({run.items_per_second:5.0f} items/s), process {run.wall_seconds:6.2f} s wall "
                        f"{run.cpu_seconds:6.2f} s CPU, peak RSS {run.peak_rss_mib:5.1f} MiB"
                    )

    print("\nBest of each (fastest crawl, least CPU; peak RSS: the median of the rounds):")
    print(f"{'':9}{'items':>7}{'crawl items/s':>15}{'vs baseline':>13}{'process CPU s':>15}{'peak RSS MiB':>14}")
    for size in sizes:
        baseline = fastest(results["baseline", size])
        for kind in ("baseline", "archive"):
            run = fastest(results[kind, size])
            ratio = run.items_per_second / baseline.items_per_second
            print(
                f"{kind:9}{size:>7}{run.items_per_second:>15.0f}{ratio:>12.2f}x"
                f"{least_cpu(results[kind, size]):>15.2f}{peak_rss(results[kind, size]):>14.1f}"
            )

    small, large = sizes[0], sizes[-1]
    # CPU time per item from the difference between the sizes: start-up and shutdown cancel out.
    marginal = {
        kind: (least_cpu(results[kind, large]) - least_cpu(results[kind, small])) / (large - small)
        for kind in ("baseline", "archive")
    }
    speed = fastest(results["archive", large]).items_per_second
    verdict = "met" if speed >= TARGET_ITEMS_PER_SECOND else "MISSED"
    print(
        f"\nEnd to end, {large} items: {speed:.0f} items/s over the crawl (target >= {TARGET_ITEMS_PER_SECOND}: "
        f"{verdict}), {speed / fastest(results['baseline', large]).items_per_second:.2f}x the bare Scrapy baseline"
    )
    print(
        f"CPU per extra item ({small} -> {large}): archive {marginal['archive'] * 1e6:.0f} us "
        f"({1 / marginal['archive']:.0f} items/s of one core), baseline {marginal['baseline'] * 1e6:.0f} us "
        f"({1 / marginal['baseline']:.0f} items/s); archive costs {marginal['archive'] / marginal['baseline']:.1f}x "
        f"the baseline per item"
    )
    peak_small, peak_large = peak_rss(results["archive", small]), peak_rss(results["archive", large])
    base_small, base_large = peak_rss(results["baseline", small]), peak_rss(results["baseline", large])
    print(
        f"Peak RSS {small} -> {large} items: archive {peak_small:.1f} -> {peak_large:.1f} MiB "
        f"(x{peak_large / peak_small:.2f}, {(peak_large - peak_small) * 1024 / (large - small):+.2f} KiB per item), "
        f"baseline {base_small:.1f} -> {base_large:.1f} MiB (x{base_large / base_small:.2f})"
    )


if __name__ == "__main__":
    main()
