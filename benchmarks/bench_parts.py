"""Each per-record change of issue 15 on its own: the part as Scrapy/Spidermon does it and as the project does it now,
timed in one process on the 48 real archive records, the two taking turns, medians of the rounds.

A crawl's CPU per record moves by more than any one of these parts on a shared machine (bench_archive.py gives the
end-to-end figure); here each part is timed alone, so the change it makes can be read.

    python benchmarks/bench_parts.py            # 7 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from scrapy.exporters import JsonLinesItemExporter  # noqa: E402
from scrapy.logformatter import LogFormatter  # noqa: E402
from scrapy.pipelines import ItemPipelineManager  # noqa: E402
from scrapy.settings import Settings  # noqa: E402
from scrapy.statscollectors import MemoryStatsCollector  # noqa: E402
from scrapy.utils.log import install_scrapy_root_handler, logformatter_adapter  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402
from spidermon.contrib.scrapy.extensions import Spidermon  # noqa: E402
from spidermon.contrib.scrapy.stats import ValidationStatsManager  # noqa: E402

from rfi_news import settings as project_settings  # noqa: E402
from rfi_news.coverage import FieldCoverageSpidermon  # noqa: E402
from rfi_news.exporters import JsonLinesExporter  # noqa: E402
from rfi_news.items import RECORD_FIELDS, new_article  # noqa: E402
from rfi_news.logformatter import RecordLogFormatter  # noqa: E402
from rfi_news.parsers.archive import parse_archive_entry  # noqa: E402
from rfi_news.parsers.item import parse_feed_item  # noqa: E402

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "archive"
PROJECT = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}


class Null:
    def write(self, data: bytes) -> None:
        pass


def raw_items() -> list[Any]:
    items = []
    for path in sorted(FIXTURES.glob("*.md")):
        entry = parse_archive_entry(path.read_text(encoding="utf-8"))
        parsed = parse_feed_item(**entry.feed_item())
        items.append(new_article(**parsed.record, provenance=str(path)))
    return items


def crawler_with(stats_class: str | None = None, **settings: Any) -> Any:
    values = {**PROJECT, **settings}
    values.pop("ADDONS", None)
    if stats_class:
        values["STATS_CLASS"] = stats_class
    crawler = get_crawler(settings_dict=values)
    crawler.stats.open_spider()
    return crawler


def timed(function: Callable[[], object], count: int) -> float:
    started = time.process_time_ns()
    function()
    return (time.process_time_ns() - started) / count / 1000  # µs per record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--copies", type=int, default=10, help="passes over the 48 records per measurement")
    parser.add_argument("--cpu", type=int, default=0)
    options = parser.parse_args()
    if options.cpu >= 0:
        os.sched_setaffinity(0, {options.cpu})
    os.environ.pop("RFI_STATE_DIR", None)
    raw = raw_items()
    n = len(raw) * options.copies
    loop = asyncio.new_event_loop()

    # Records as the pipelines leave them, for the parts after the pipelines.
    done_crawler = crawler_with()
    manager = ItemPipelineManager.from_crawler(done_crawler)
    processed = [loop.run_until_complete(manager.process_item_async(copy.deepcopy(item))) for item in raw]
    records = processed * options.copies

    def fresh_items(tag: str) -> list[Any]:
        items = []
        for number in range(options.copies):
            for item in raw:
                item = copy.deepcopy(item)
                item["url"] = f"{item['url']}-{tag}{number}"
                items.append(item)
        return items

    scrapy_stats = MemoryStatsCollector(get_crawler())
    project_stats = crawler_with().stats
    calls = 25  # inc_value calls per record in an archive crawl (counted in the crawl's stats: about 24.5)

    coverage_old_crawler, coverage_new_crawler = crawler_with(), crawler_with()
    spider = __import__("scrapy").Spider.from_crawler(coverage_old_crawler, name="bench")
    coverage_old = Spidermon.from_crawler(coverage_old_crawler)
    coverage_new = FieldCoverageSpidermon.from_crawler(coverage_new_crawler)

    # Logging as a crawl sets it up: the root logger at NOTSET, its one handler at LOG_LEVEL (INFO).
    install_scrapy_root_handler(Settings({"LOG_LEVEL": "INFO", "LOG_FILE": os.devnull}))
    scraper_logger = logging.getLogger("scrapy.core.scraper")
    old_formatter, new_formatter = LogFormatter(), RecordLogFormatter()

    def old_scraped_line() -> None:
        for record in records:
            logkws = old_formatter.scraped(record, None, spider)
            scraper_logger.log(*logformatter_adapter(logkws), extra={"spider": spider, "item": record})

    def new_scraped_line() -> None:
        for record in records:
            logkws = new_formatter.scraped(record, None, spider)
            if logkws is not None:
                scraper_logger.log(*logformatter_adapter(logkws), extra={"spider": spider, "item": record})

    export_options = {"encoding": "utf-8", "fields_to_export": list(RECORD_FIELDS)}
    old_exporter = JsonLinesItemExporter(Null(), **export_options)  # type: ignore[arg-type]
    new_exporter = JsonLinesExporter(Null(), **export_options)  # type: ignore[arg-type]

    separate = dict(PROJECT["RFI_RECORD_PIPELINES"].items())

    def pipelines(setting: dict[str, int], tag: str) -> Callable[[], object]:
        crawler = crawler_with(ITEM_PIPELINES=setting)
        chain = ItemPipelineManager.from_crawler(crawler)
        items = fresh_items(tag)

        async def run() -> None:
            for item in items:
                await chain.process_item_async(item)

        return lambda: loop.run_until_complete(run())

    manager_stats = ValidationStatsManager(project_stats)
    items_key, fields_key = "spidermon/validation/items", "spidermon/validation/fields"

    parts: dict[str, tuple[Callable[[], Callable[[], object]], Callable[[], Callable[[], object]]]] = {
        f"stats: {calls} inc_value calls": (
            lambda: lambda: [scrapy_stats.inc_value("rfi_news/x") for _ in range(calls * n)],
            lambda: lambda: [project_stats.inc_value("rfi_news/x") for _ in range(calls * n)],
        ),
        "field coverage (item_scraped)": (
            lambda: lambda: [coverage_old.item_scraped(r, None, spider) for r in records],
            lambda: lambda: [coverage_new.item_scraped(r, None, spider) for r in records],
        ),
        "DEBUG 'Scraped' line at INFO": (lambda: old_scraped_line, lambda: new_scraped_line),
        "JSON Lines export": (
            lambda: lambda: [old_exporter.export_item(r) for r in records],
            lambda: lambda: [new_exporter.export_item(r) for r in records],
        ),
        "validation counts (2 a record)": (
            lambda: lambda: [(manager_stats.add_item(), manager_stats.add_fields(17)) for _ in records],
            lambda: (
                lambda: [(project_stats.inc_value(items_key), project_stats.inc_value(fields_key, 17)) for _ in records]
            ),
        ),
        "9 pipelines, separate vs as one": (
            lambda: pipelines(separate, "old"),
            lambda: pipelines(PROJECT["ITEM_PIPELINES"], "new"),
        ),
    }
    print(
        f"bench_parts {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {options.rounds} rounds of {n} records, "
        f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}, pinned to CPU {options.cpu}"
    )
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in parts}
    for round_number in range(options.rounds):
        for name, (old, new) in parts.items():
            pair = [(0, old), (1, new)] if round_number % 2 == 0 else [(1, new), (0, old)]
            for which, build in pair:
                function = build()
                samples[name][which].append(timed(function, n))
    print(f"\n{'µs per record (medians)':<36}{'before':>9}{'now':>9}{'saved':>9}")
    total = 0.0
    for name, (old, new) in samples.items():
        before, now = statistics.median(old), statistics.median(new)
        total += before - now
        print(f"{name:<36}{before:>9.1f}{now:>9.1f}{before - now:>9.1f}")
    print(f"{'together':<36}{'':>18}{total:>9.1f}")


if __name__ == "__main__":
    main()
