"""Fuzz every pure entry point with N mutated real inputs each; print the exceptions that escaped, by function.

The targets and their inputs are tests/fuzzing.py's (the ones tests/test_fuzz.py runs a few thousand times in CI
through Hypothesis); here each input is drawn with ``random.Random(seed)``, which costs a fraction of Hypothesis's
per-input work, so that 10^5 inputs a target fit in an afternoon on a shared machine. The contract: a target
returns a result or raises ``InvalidInput``. Exit status 1 when anything else escaped.

    python benchmarks/fuzz.py                          # 10^5 inputs per target, seed 0
    python benchmarks/fuzz.py -n 2000 --only read_feed parse_page --seed 7
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzzing import TARGETS, call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="inputs per target (default 10^5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=[], help="target names (default: all)")
    parser.add_argument("--examples", type=int, default=3, help="inputs shown per kind of exception")
    options = parser.parse_args()
    targets = [target for target in TARGETS if not options.only or target.name in options.only]
    unknown = set(options.only) - {target.name for target in TARGETS}
    if unknown:
        parser.error(f"no such target: {', '.join(sorted(unknown))}")
    print(f"{len(targets)} targets, {options.n} inputs each, seed {options.seed}", flush=True)
    total = 0
    started = time.perf_counter()
    for target in targets:
        rng = random.Random(f"{options.seed}:{target.name}")
        escaped: Counter[str] = Counter()
        shown: dict[str, list[str]] = {}
        begun = time.perf_counter()
        for _ in range(options.n):
            value = target.spec.draw(rng)
            exception = call(target, value)
            if exception is not None:
                kind = f"{type(exception).__name__}: {str(exception)[:120]}"
                escaped[kind] += 1
                shown.setdefault(kind, [])
                if len(shown[kind]) < options.examples:
                    shown[kind].append(repr(value)[:400])
        count = sum(escaped.values())
        total += count
        elapsed = time.perf_counter() - begun
        print(f"{target.name:24} {count:6d} uncaught in {options.n} inputs ({elapsed:7.1f} s)", flush=True)
        for kind, times in escaped.most_common():
            print(f"    {times:6d} x {kind}")
            for example in shown[kind]:
                print(f"             e.g. {example}")
    print(f"total: {total} uncaught in {options.n * len(targets)} inputs ({time.perf_counter() - started:.0f} s)")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
