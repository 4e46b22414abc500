"""The garbage collector's share of an archive crawl, with Python's collector settings and with the project's
(rfi_news/heap.py: the starting heap frozen, ``RFI_GC_YOUNG_THRESHOLD``), the two taking turns; medians of the
rounds. The corpus and the measurement are bench_archive.py's (CPU from spider open to engine stop, pinned).

    python benchmarks/bench_gc.py                       # 20,000 files, 3 rounds
    python benchmarks/bench_gc.py --size 100000 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_archive import PROJECT_ROOT, Run, build_corpus, crawl

CONFIGS = {"python's": {"RFI_GC_YOUNG_THRESHOLD": "0"}, "project's": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20000, help="archive files (default 20000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin every crawl to; -1 for no pinning")
    options = parser.parse_args()
    cpu = None if options.cpu < 0 else options.cpu
    print(
        f"bench_gc {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {options.size} files, "
        f"{options.rounds} rounds, {os.cpu_count()} CPUs (load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    runs: dict[str, list[Run]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="rfi-bench-gc-") as temp:
        work = Path(temp)
        corpus = work / "corpus"
        build_corpus(corpus, options.size)
        for round_number in range(1, options.rounds + 1):
            for name, settings in CONFIGS.items():
                run = crawl(name, PROJECT_ROOT, corpus, work, cpu, extra_settings=settings)
                runs[name].append(run)
                print(
                    f"  round {round_number} {name:>10} collector: {run.us_per_record:5.0f} us/record, "
                    f"GC {run.gc_seconds:6.2f} s of {run.crawl_cpu:6.2f} s, peak RSS {run.peak_rss_mib:5.1f} MiB",
                    flush=True,
                )
    print("\nmedians:")
    for name, samples in runs.items():
        us = statistics.median(run.us_per_record for run in samples)
        gc_us = statistics.median(run.gc_seconds / run.items * 1e6 for run in samples)
        rss = statistics.median(run.peak_rss_mib for run in samples)
        print(f"{name:>10} collector: {us:5.0f} us/record, of which GC {gc_us:4.0f} us; peak RSS {rss:5.1f} MiB")


if __name__ == "__main__":
    main()
