"""The item parser alone, against a bare lxml parse and against trafilatura, on the real archive fixtures.

Every contender reads the same input: the description HTML of each of the 48 items in tests/fixtures/archive.

- ``lxml``: ``lxml.html.fragment_fromstring(html, create_parent="div")``, the parse the parser itself starts with;
- ``read_item_html``: rfi_news.parsers.item.read_item_html (parse, date line, image, lead, body, authors, credit);
- ``parse_feed_item``: rfi_news.parsers.item.parse_feed_item, the spider's whole parsing step (the record);
- ``trafilatura``: ``trafilatura.extract(html)``, a general-purpose main-text extractor.

``--against PATH`` adds another checkout's ``read_item_html`` and record function (``parse_feed_item``, or
``feed_item_record`` in checkouts before 2026-12-02), loaded into the same process, as ``…@before``: a change's
cost measured against the code before it, in the same turns, on the same noisy machine.

Timing: each contender runs over all items ``--loops`` times per measurement (trafilatura once); the contenders
take turns (in a rotating order) for ``--repeat`` short measurements, and the best measurement of each is kept,
all in one process: on a shared, noisy machine the fastest of many short samples is the least disturbed one,
and the ratios compare like with like.

    python benchmarks/bench_parser.py
    python benchmarks/bench_parser.py --against /tmp/before   # git archive <commit> | tar -x -C /tmp/before
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from rfi_news.parsers.archive import ArchiveEntry, parse_archive_entry  # noqa: E402
from rfi_news.parsers.item import parse_feed_item, read_item_html  # noqa: E402

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "archive"
# Targets from the project's issue 2, item 10.
MAX_TIMES_LXML = 3.0
MIN_TIMES_FASTER_THAN_TRAFILATURA = 10.0


def load_entries() -> list[ArchiveEntry]:
    return [parse_archive_entry(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.md"))]


def other_checkout(project: Path) -> tuple[Callable[[str], object], Callable[..., object]]:
    """``read_item_html`` and the record function of the checkout at ``project``, imported beside this one's."""
    ours = {name: module for name, module in sys.modules.items() if name.partition(".")[0] == "rfi_news"}
    for name in ours:
        del sys.modules[name]
    sys.path.insert(0, str(project))
    try:
        item = importlib.import_module("rfi_news.parsers.item")
    finally:
        sys.path.remove(str(project))
        for name in [name for name in sys.modules if name.partition(".")[0] == "rfi_news"]:
            del sys.modules[name]
        sys.modules.update(ours)
    if not str(item.__file__).startswith(str(project.resolve())):
        raise SystemExit(f"--against {project}: imported {item.__file__} instead")
    record = getattr(item, "parse_feed_item", None) or item.feed_item_record
    return item.read_item_html, record


def contenders(entries: list[ArchiveEntry], against: Path | None = None) -> dict[str, Callable[[], object]]:
    descriptions = [entry.description for entry in entries]
    items = [entry.feed_item() for entry in entries]

    def over_descriptions(read: Callable[[str], object]) -> Callable[[], None]:
        def run() -> None:
            for markup in descriptions:
                read(markup)

        return run

    def over_items(parse: Callable[..., object]) -> Callable[[], None]:
        def run() -> None:
            for arguments in items:
                parse(**arguments)

        return run

    def bare_lxml(markup: str) -> object:
        return lxml.html.fragment_fromstring(markup, create_parent="div")

    functions = {
        "lxml": over_descriptions(bare_lxml),
        "read_item_html": over_descriptions(read_item_html),
        "parse_feed_item": over_items(parse_feed_item),
    }
    if against is not None:
        other_item_html, other_record = other_checkout(against)
        functions["read_item_html@before"] = over_descriptions(other_item_html)
        functions["parse_feed_item@before"] = over_items(other_record)
    functions["trafilatura"] = over_descriptions(trafilatura.extract)
    return functions


def best_times(functions: dict[str, Callable[[], object]], loops: dict[str, int], repeat: int) -> dict[str, float]:
    """Best seconds per pass over all items, for each function; the functions take turns, in rotating order."""
    best = dict.fromkeys(functions, float("inf"))
    names = list(functions)
    for turn in range(repeat):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            gc.collect()
            started = time.perf_counter()
            for _ in range(loops[name]):
                functions[name]()
            best[name] = min(best[name], (time.perf_counter() - started) / loops[name])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=40, help="measurements per contender; the best is kept")
    parser.add_argument("--loops", type=int, default=5, help="passes over all items per measurement")
    parser.add_argument("--against", type=Path, help="another checkout of the project, measured in the same turns")
    options = parser.parse_args()

    entries = load_entries()
    functions = contenders(entries, options.against)
    # trafilatura is much slower: one pass is a long enough measurement.
    loops = dict.fromkeys(functions, options.loops) | {"trafilatura": 1}
    for function in functions.values():  # warm up: imports, lxml's parser, regex caches
        function()
    extracted = sum(trafilatura.extract(entry.description) is not None for entry in entries)
    html_bytes = sum(len(entry.description.encode("utf-8")) for entry in entries)

    best = best_times(functions, loops, options.repeat)
    items = len(entries)
    print(
        f"bench_parser: {items} real archive items ({html_bytes / items / 1024:.1f} KiB of HTML each on average), "
        f"best of {options.repeat}, python {sys.version.split()[0]}, lxml {lxml.etree.__version__}, "
        f"trafilatura {trafilatura.__version__} (gave text for {extracted}/{items})"
    )
    print(f"{'':24}{'µs/item':>10}{'items/s':>10}{'x lxml':>9}")
    for name, seconds in best.items():
        per_item = seconds / items
        print(f"{name:24}{per_item * 1e6:>10.1f}{1 / per_item:>10.0f}{seconds / best['lxml']:>8.2f}x")
    if options.against is not None:
        for name in ("read_item_html", "parse_feed_item"):
            print(f"{name}: {best[name] / best[name + '@before']:.3f}x the time of {options.against}'s")

    for name in ("read_item_html", "parse_feed_item"):
        times_lxml = best[name] / best["lxml"]
        times_faster = best["trafilatura"] / best[name]
        print(
            f"{name}: {times_lxml:.2f}x a bare lxml parse (target <= {MAX_TIMES_LXML:g}x: "
            f"{'met' if times_lxml <= MAX_TIMES_LXML else 'MISSED'}), "
            f"{times_faster:.1f}x faster than trafilatura (target >= {MIN_TIMES_FASTER_THAN_TRAFILATURA:g}x: "
            f"{'met' if times_faster >= MIN_TIMES_FASTER_THAN_TRAFILATURA else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
