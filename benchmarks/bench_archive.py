"""End-to-end benchmark of ``scrapy crawl archive -a path=DIR -O out.jsonl``: CPU per record, scheduled runs with
nothing new, peak memory, and the ratios to a floor spider and to trafilatura measured in the same run.

The corpus is the real archive fixtures (tests/fixtures/archive) copied again and again into a temporary
folder, each copy's link line given a ``-copy<N>`` suffix so that every record has its own URL and the
deduplication keeps them all. Each crawl is a fresh child process pinned to one CPU (``--cpu``). Its CPU time is
measured inside it, with ``getrusage`` between ``spider_opened`` and ``engine_stopped`` (benchmarks/cpu_meter.py:
the crawl without the interpreter's start-up), and its peak RSS comes from ``os.wait4``. The configurations
take turns within each round, and every figure is the median of the rounds.

- ``floor``: benchmarks/floor_spider.py, a bare Scrapy spider that reads the same files in the same batches,
  splits each into its lines and exports a dict: what Scrapy alone costs per record on this machine, now.
- ``trafilatura``: ``trafilatura.extract`` on the HTML of the 48 fixtures, in this process, pinned to the same CPU.
- nothing new: a run with ``RFI_STATE_DIR`` over the largest corpus (the first run), then the same run again
  (nothing new), then again with 1 % more files; each as a share of the first run's CPU.

    python benchmarks/bench_archive.py --quick              # 2,000 and 5,000 files, 3 rounds: a few minutes
    python benchmarks/bench_archive.py                      # 5,000, 20,000 and 100,000 files, 3 rounds
    python benchmarks/bench_archive.py --sizes 5000 --sections cpu --rounds 5 \\
        --project before=/tmp/old-checkout --project after=.  # two trees of the project, interleaved
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "archive"
TITLE_LINE_RE = re.compile(r"^(\[.*\]\([^()\s]+)\)$", re.MULTILINE)

# The project's targets (issue 15).
TARGET_US_PER_RECORD = 500.0
TARGET_NOTHING_NEW_SHARE = 0.10
TARGET_ONE_PERCENT_NEW_SHARE = 0.12
TARGET_PEAK_RSS_MIB = 150.0


@dataclass
class Run:
    config: str
    items: int  # records written
    crawl_cpu: float  # CPU seconds between spider_opened and engine_stopped (cpu_meter.py)
    process_cpu: float  # CPU seconds of the whole child process (start-up included)
    peak_rss_mib: float
    gc_seconds: float = 0.0  # of crawl_cpu, in the cyclic garbage collector

    @property
    def us_per_record(self) -> float:
        return self.crawl_cpu / self.items * 1e6


def build_corpus(folder: Path, size: int, first_copy: int = 0, prefix: str = "copy") -> None:
    """``size`` archive files: the fixtures in turn, copy ``N`` of each with ``-copy<N>`` added to its link."""
    fixtures = sorted(FIXTURES.glob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in fixtures]
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(size):
        copy, which = divmod(index, len(fixtures))
        copy += first_copy
        text, count = TITLE_LINE_RE.subn(rf"\1-{prefix}{copy})", texts[which], count=1)
        if count != 1:
            raise SystemExit(f"{fixtures[which]}: no [title](link) line to rewrite")
        (folder / f"{prefix}{copy:05d}-{fixtures[which].name}").write_text(text, encoding="utf-8")


def run_child(command: list[str], cwd: Path, cpu: int | None, env: dict[str, str]) -> tuple[float, float]:
    """Run ``command``; its CPU seconds and its peak RSS in MiB (of this one child)."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        tail = errors.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise SystemExit(f"exit status {os.waitstatus_to_exitcode(status)}: {' '.join(command)}\n" + "\n".join(tail))
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def crawl(
    config: str,
    project: Path | None,
    corpus: Path,
    work: Path,
    cpu: int | None,
    state_dir: Path | None = None,
    extra_settings: dict[str, str] | None = None,
) -> Run:
    """One crawl of ``corpus``: the archive spider of the project at ``project``, or the floor spider (``None``)."""
    output = work / "out.jsonl"
    meter = work / "meter.json"
    log_file = work / f"{config}.log"
    runner = [sys.executable, str(BENCH_DIR / "run_crawl.py")]
    settings = ["-s", "LOG_LEVEL=INFO", "-s", f"LOG_FILE={log_file}"]
    for name, value in (extra_settings or {}).items():
        settings += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k not in ("RFI_STATE_DIR", "RFI_OUTPUT_DIR")}
    env["BENCH_METER_FILE"] = str(meter)
    if project is not None:
        command = [*runner, "crawl", "archive", "-a", f"path={corpus}", "-O", str(output)]
        env["PYTHONPATH"] = os.pathsep.join([str(project), str(BENCH_DIR)])
        if state_dir is not None:
            settings += ["-s", f"RFI_STATE_DIR={state_dir}"]
        cwd = project
    else:
        command = [*runner, "runspider", str(BENCH_DIR / "floor_spider.py"), "-a", f"path={corpus}", "-O", str(output)]
        env["PYTHONPATH"] = str(BENCH_DIR)
        cwd = work  # outside the project: no scrapy.cfg, so none of rfi_news's settings or pipelines
    process_cpu, peak = run_child([*command, *settings], cwd, cpu, env)
    figures = json.loads(meter.read_text(encoding="utf-8"))
    with output.open("rb") as lines:
        written = sum(1 for _ in lines)
    if written != figures["items"]:
        raise SystemExit(f"{config}: {written} lines written, {figures['items']} items scraped")
    output.unlink()
    meter.unlink()
    return Run(config, written, figures["crawl_cpu_seconds"], process_cpu, peak, figures.get("gc_seconds", 0.0))


def median(values: list[float]) -> float:
    return statistics.median(values)


def trafilatura_us_per_item(rounds: int) -> float | None:
    """``trafilatura.extract`` on the HTML of the 48 fixtures: CPU µs per item, the median of ``rounds`` passes."""
    try:
        import trafilatura  # optional: benchmarks/requirements.txt
    except ImportError:
        return None
    htmls = [path.read_text(encoding="utf-8").split("\n", 3)[3] for path in sorted(FIXTURES.glob("*.md"))]
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        for html in htmls:
            trafilatura.extract(html)
        samples.append((time.process_time() - started) / len(htmls) * 1e6)
    return median(samples)


def parse_projects(values: list[str]) -> dict[str, Path]:
    projects = {}
    for value in values or [f"project={PROJECT_ROOT}"]:
        label, _, folder = value.rpartition("=")
        projects[label or "project"] = Path(folder).resolve()
    return projects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", help="file counts (default 5000 20000 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; figures are their medians")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin every crawl to; -1 for no pinning")
    parser.add_argument("--quick", action="store_true", help="2,000 and 5,000 files (unless --sizes)")
    parser.add_argument(
        "--project", action="append", default=[], metavar="LABEL=DIR", help="a tree of the project (repeatable)"
    )
    parser.add_argument(
        "--sections", nargs="+", default=["cpu", "state", "trafilatura"], choices=["cpu", "state", "trafilatura"]
    )
    options = parser.parse_args()
    cpu = None if options.cpu < 0 else options.cpu
    sizes = sorted(set(options.sizes or ([2000, 5000] if options.quick else [5000, 20000, 100000])))
    projects = parse_projects(options.project)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # trafilatura runs here, on the crawls' CPU

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"bench_archive {started}: sizes {sizes}, {options.rounds} rounds, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f}), crawls pinned to CPU {cpu}; "
        f"projects {', '.join(f'{k}={v}' for k, v in projects.items())}",
        flush=True,
    )
    runs: dict[tuple[str, int], list[Run]] = {}
    state_runs: dict[tuple[str, str], list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="rfi-bench-") as temp:
        work = Path(temp)
        corpora = {}
        for size in sizes:
            corpora[size] = work / f"corpus-{size}"
            build_corpus(corpora[size], size)
        configs: list[tuple[str, Path | None]] = [("floor", None), *projects.items()]
        for round_number in range(1, options.rounds + 1):
            if "cpu" in options.sections:
                for size in sizes:
                    for config, project in configs:
                        run = crawl(config, project, corpora[size], work, cpu)
                        runs.setdefault((config, size), []).append(run)
                        print(
                            f"  round {round_number} {config:>10} {size:>6} files: {run.us_per_record:5.0f} us/record "
                            f"({run.crawl_cpu:6.2f} s crawl CPU, {run.process_cpu:6.2f} s process), "
                            f"peak RSS {run.peak_rss_mib:5.1f} MiB, GC {run.gc_seconds:5.2f} s",
                            flush=True,
                        )
            if "state" in options.sections:
                size = sizes[-1]
                corpus = corpora[size]
                for config, project in projects.items():
                    state_dir = work / "state"
                    shutil.rmtree(state_dir, ignore_errors=True)
                    extra = max(1, size // 100)
                    for step in ("first", "nothing new", "1% new"):
                        if step == "1% new":
                            build_corpus(corpus, extra, first_copy=0, prefix="new")
                        run = crawl(config, project, corpus, work, cpu, state_dir=state_dir)
                        state_runs.setdefault((config, step), []).append(run)
                        print(
                            f"  round {round_number} {config:>10} state, {step:>11}: {run.items:6} records, "
                            f"{run.crawl_cpu:6.2f} s crawl CPU, {run.process_cpu:6.2f} s process",
                            flush=True,
                        )
                    for path in corpus.glob("new*.md"):
                        path.unlink()
                    shutil.rmtree(state_dir, ignore_errors=True)

    if "cpu" in options.sections:
        print("\nCPU per record (crawl CPU from spider open to engine stop / records; medians of the rounds):")
        print(f"{'':>10}{'files':>8}{'us/record':>11}{'records/s':>11}{'x floor':>9}{'peak RSS MiB':>14}")
        for size in sizes:
            floor = median([run.us_per_record for run in runs["floor", size]])
            for config, _ in configs:
                us = median([run.us_per_record for run in runs[config, size]])
                rss = median([run.peak_rss_mib for run in runs[config, size]])
                print(f"{config:>10}{size:>8}{us:>11.0f}{1e6 / us:>11.0f}{us / floor:>9.2f}{rss:>14.1f}")
        large = sizes[-1]
        for config in projects:
            us = median([run.us_per_record for run in runs[config, large]])
            verdict = "met" if us <= TARGET_US_PER_RECORD else "MISSED"
            print(f"{config}: {us:.0f} us per record end to end at {large} files (target <= 500: {verdict})")
            rss = {size: median([run.peak_rss_mib for run in runs[config, size]]) for size in sizes}
            growth = (rss[large] - rss[sizes[0]]) * 1024 / (large - sizes[0]) if len(sizes) > 1 else 0.0
            verdict = "met" if max(rss.values()) <= TARGET_PEAK_RSS_MIB else "MISSED"
            print(
                f"{config}: peak RSS {', '.join(f'{s}: {v:.1f} MiB' for s, v in rss.items())} "
                f"({growth:+.2f} KiB per file; target <= 150 MiB: {verdict})"
            )
        print(f"floor: {median([run.us_per_record for run in runs['floor', large]]):.0f} us per record")

    if "trafilatura" in options.sections:
        traf = trafilatura_us_per_item(max(3, options.rounds))
        if traf is None:
            print("\ntrafilatura: not installed (pip install -r benchmarks/requirements.txt)")
        else:
            print(f"\ntrafilatura.extract on the 48 fixtures' HTML: {traf:.0f} us per item")
            if "cpu" in options.sections:
                for config in projects:
                    us = median([run.us_per_record for run in runs[config, sizes[-1]]])
                    print(f"{config}: a whole record end to end costs 1/{traf / us:.1f} of trafilatura.extract alone")

    if "state" in options.sections:
        print(f"\nScheduled runs with RFI_STATE_DIR over {sizes[-1]} files (medians; share of the first run's CPU):")
        for config in projects:
            first = state_runs[config, "first"]
            for step, target in (("nothing new", TARGET_NOTHING_NEW_SHARE), ("1% new", TARGET_ONE_PERCENT_NEW_SHARE)):
                these = state_runs[config, step]
                crawl_share = median([b.crawl_cpu / a.crawl_cpu for a, b in zip(first, these, strict=True)])
                process_share = median([b.process_cpu / a.process_cpu for a, b in zip(first, these, strict=True)])
                verdict = "met" if process_share <= target else "MISSED"
                print(
                    f"{config}: {step}: {median([r.items for r in these]):.0f} records, process CPU "
                    f"{process_share:.1%} of the first run's ({median([r.process_cpu for r in these]):.2f} s of "
                    f"{median([r.process_cpu for r in first]):.2f} s; crawl only {crawl_share:.1%}); "
                    f"target <= {target:.0%}: {verdict}"
                )


if __name__ == "__main__":
    main()
