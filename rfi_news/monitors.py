"""The checks every run makes on itself when its spider closes (Spidermon monitors), and the run's report.

``RunHealthSuite`` is Spidermon's ``SPIDERMON_SPIDER_CLOSE_MONITORS``. Each monitor compares one figure of
:mod:`rfi_news.health` to a threshold setting; ``HealthReport`` (the suite's finished action) writes what they
found to a JSON file and into the stats, where the ``crawl`` command turns it into the exit status and the
``HealthSummary`` extension repeats it as the log's last paragraph. docs/monitoring.md explains the thresholds.
"""

# Spidermon monitors are unittest test cases: their checks are self.assert…() calls (a bare assert would vanish
# under python -O), so ruff's pytest-style rule does not apply here.
# ruff: noqa: PT009

from __future__ import annotations

import json
import logging
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import MonitorSuite, monitors, settings
from spidermon.contrib.scrapy.monitors import FieldCoverageMonitor, FinishReasonMonitor
from spidermon.contrib.scrapy.monitors.base import BaseScrapyMonitor
from spidermon.core.actions import Action

from rfi_news import health
from rfi_news.health import FAILED_STAT, HEALTHY, REPORT_STAT, STATUS_STAT, SUMMARY_STAT, UNHEALTHY

logger = logging.getLogger(__name__)

# Spidermon 1.27's runner still logs through Spider.log(), which Scrapy 2.19 deprecates. The call is theirs, not
# ours: silence exactly that warning from exactly that module, so a deprecation in our own code still shows (and
# fails the tests).
warnings.filterwarnings(
    "ignore",
    message=r"Spider\.log\(\) is deprecated",
    category=ScrapyDeprecationWarning,
    module=r"spidermon\.contrib\.scrapy\.runners",
)

# A skipped check (too small a sample, nothing to judge) does not make a run unhealthy.
PASSING_STATUSES = (settings.MONITOR.STATUS.SUCCESS, settings.MONITOR.STATUS.SKIPPED)


class RunMonitor(BaseScrapyMonitor):
    """Base of the project's monitors: the threshold settings and the minimum sample they share."""

    longMessage = False

    def setting(self, name: str) -> float:
        return self.crawler.settings.getfloat(name)

    def skip_small_sample(self, size: int, what: str) -> None:
        minimum = self.crawler.settings.getint("RFI_MONITOR_MIN_SAMPLE")
        if size < minimum:
            self.skipTest(f"{size} {what}, fewer than RFI_MONITOR_MIN_SAMPLE={minimum}: too few to judge")


@monitors.name("Records")
class RecordCountMonitor(RunMonitor):
    """At least SPIDERMON_MIN_ITEMS records, unless an incremental run found nothing new."""

    @monitors.name("Should write records")
    def test_records_written(self) -> None:
        if health.nothing_new(self.stats):
            self.skipTest("incremental run: nothing new since the last run")
        minimum = self.crawler.settings.getint("SPIDERMON_MIN_ITEMS")
        written = health.records(self.stats)
        self.assertGreaterEqual(written, minimum, msg=f"{written} record(s) written, expected at least {minimum}")


@monitors.name("Finish reason")
class RunFinishReasonMonitor(FinishReasonMonitor):
    """The run ended by itself ('finished'), not stopped, killed or closed by a limit."""


@monitors.name("Unhandled errors")
class UnhandledErrorsMonitor(RunMonitor):
    """No error logged (robots.txt download errors aside) and no exception raised in a callback (at most
    SPIDERMON_MAX_ERRORS of each)."""

    @monitors.name("Should log no error")
    def test_errors_logged(self) -> None:
        maximum = self.crawler.settings.getint("SPIDERMON_MAX_ERRORS")
        unhandled = health.unhandled_errors(self.stats)
        robots = health.robots_txt_errors(self.stats)
        not_counted = f" (and {robots} failed robots.txt download(s), not counted)" if robots else ""
        self.assertLessEqual(
            unhandled, maximum, msg=f"{unhandled} error(s) logged{not_counted}, at most {maximum} allowed"
        )

    @monitors.name("Should raise no exception in a callback")
    def test_spider_exceptions(self) -> None:
        maximum = self.crawler.settings.getint("SPIDERMON_MAX_ERRORS")
        raised = health.number(self.stats, "spider_exceptions/count")
        by_type = ", ".join(f"{name} x{count}" for name, count in health.spider_exception_figures(self.stats).items())
        self.assertLessEqual(raised, maximum, msg=f"{raised} exception(s) raised in callbacks: {by_type}")


@monitors.name("Schema")
class SchemaMonitor(RunMonitor):
    """Records match the JSON Schema (at most SPIDERMON_MAX_ITEM_VALIDATION_ERRORS records do not)."""

    @monitors.name("Should write only records that match the schema")
    def test_schema_errors(self) -> None:
        maximum = self.crawler.settings.getint("SPIDERMON_MAX_ITEM_VALIDATION_ERRORS")
        invalid = health.number(self.stats, "spidermon/validation/items/errors")
        errors = "; ".join(f"{key} x{count}" for key, count in health.schema_error_figures(self.stats).items())
        self.assertLessEqual(invalid, maximum, msg=f"{invalid} record(s) did not match the schema: {errors}")


@monitors.name("Field coverage")
class RunFieldCoverageMonitor(FieldCoverageMonitor, RunMonitor):
    """Enough records carry published, lead, paragraphs and image (SPIDERMON_FIELD_COVERAGE_RULES)."""

    @monitors.name("Should meet the field coverage rules")
    def test_check_if_field_coverage_rules_are_met(self) -> None:
        self.skip_small_sample(health.records(self.stats), "record(s)")
        super().test_check_if_field_coverage_rules_are_met()


@monitors.name("Blocked answers")
class BlockedAnswersMonitor(RunMonitor):
    """At most RFI_MONITOR_MAX_BLOCKED_SHARE of the HTTP answers are 403 Forbidden or 429 Too Many Requests."""

    @monitors.name("Should not be blocked")
    def test_blocked_share(self) -> None:
        figures = health.blocked_figures(self.stats)
        if not figures["answers"]:
            self.skipTest("no HTTP answer in this run")
        maximum = self.setting("RFI_MONITOR_MAX_BLOCKED_SHARE")
        self.assertLessEqual(
            figures["share"],
            maximum,
            msg=f"{figures['blocked']} of {figures['answers']} HTTP answers were 403/429 "
            f"(share {figures['share']:.2f}, at most {maximum} allowed): the site is refusing us",
        )


@monitors.name("Layout")
class LayoutMonitor(RunMonitor):
    """The parsers still find each part of RFI's markup (missing on at most RFI_MONITOR_MAX_LAYOUT_MISS_SHARE)."""

    @monitors.name("Should find every part of the layout")
    def test_layout_parts_found(self) -> None:
        minimum = self.crawler.settings.getint("RFI_MONITOR_MIN_SAMPLE")
        maximum = self.setting("RFI_MONITOR_MAX_LAYOUT_MISS_SHARE")
        judged = {
            name: part
            for name, part in health.layout_figures(self.stats).items()
            if part["looked_for"] and part["looked_for"] >= minimum
        }
        if not judged:
            self.skipTest(f"no part of the layout looked for at least RFI_MONITOR_MIN_SAMPLE={minimum} times")
        broken = [
            f"{name} ({part['selector']}) missing on {part['missing']} of {part['looked_for']}"
            for name, part in judged.items()
            if part["share"] > maximum
        ]
        self.assertFalse(
            broken,
            msg=f"RFI's layout may have changed; these selectors stopped matching (more than {maximum:.0%} "
            f"missing): {'; '.join(broken)}",
        )


def monitor_entry(result: Any) -> dict[str, Any]:
    """One monitor's line in the report."""
    monitor = result.item
    entry = {"monitor": monitor.monitor_name, "check": monitor.method_name, "status": result.status}
    message = getattr(result, "reason", None) or result.error
    if message:
        entry["message"] = str(message).strip()
    return entry


def summary_paragraph(report: dict[str, Any], path: str | None) -> str:
    """The report in one paragraph: the log's last words about the run."""
    figures = report["figures"]
    http = figures["http"]
    coverage = ", ".join(f"{name} {share:.0%}" for name, share in figures["coverage"].items() if share is not None)
    parts = [
        f"Run health: {report['status'].upper()} ({report['spider']}, finish reason {report['finish_reason']}).",
        f"{figures['records']} record(s) written, {figures['dropped']} dropped, {figures['unhandled_errors']} "
        f"unhandled error(s); {http['blocked']} of {http['answers']} HTTP answer(s) were 403/429.",
    ]
    if coverage:
        parts.append(f"Coverage: {coverage}.")
    for entry in report["monitors"]:
        if entry["status"] not in PASSING_STATUSES:
            message = " ".join(str(entry.get("message", entry["status"])).split())  # one paragraph: no line breaks
            parts.append(f"FAILED {entry['monitor']}: {message.rstrip('.')}.")
    parts.append(f"Report: {path}." if path else "No report file (set RFI_REPORT_FILE or a local -o/-O output).")
    return " ".join(parts)


class HealthReport(Action):
    """Writes the run's verdict, figures and monitor results to the report file and to the stats."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        stats = self.data.stats
        entries = [monitor_entry(result) for result in self.result.monitor_results]
        failed = sorted({entry["monitor"] for entry in entries if entry["status"] not in PASSING_STATUSES})
        report = {
            "spider": self.data.spider.name,
            "status": UNHEALTHY if failed else HEALTHY,
            "failed": failed,
            "finish_reason": stats.get("finish_reason"),
            "start_time": _jsonable(stats.get("start_time")),
            "finish_time": _jsonable(stats.get("finish_time")),
            "figures": health.run_figures(stats),
            "monitors": entries,
        }
        path = health.report_path(crawler.settings.get("RFI_REPORT_FILE"), crawler.settings.getdict("FEEDS"))
        if path is not None:
            try:
                write_atomically(path, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
            except OSError as exc:
                # A scheduler that reads the report must not take a missing one for a healthy run.
                logger.error("Could not write the run's report to %s: %s", path, exc)
                report.update(status=UNHEALTHY, failed=[*failed, "Report file"])
                failed, path = report["failed"], None
        crawler.stats.set_value(STATUS_STAT, report["status"])
        crawler.stats.set_value(FAILED_STAT, failed)
        crawler.stats.set_value(REPORT_STAT, str(path) if path else None)
        crawler.stats.set_value(SUMMARY_STAT, summary_paragraph(report, str(path) if path else None))


def write_atomically(path: Path, text: str) -> None:
    """Write under a temporary name, then rename: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class RunHealthSuite(MonitorSuite):
    """Every check a run makes on itself when its spider closes."""

    monitors: ClassVar[list[type]] = [
        RecordCountMonitor,
        RunFinishReasonMonitor,
        UnhandledErrorsMonitor,
        SchemaMonitor,
        RunFieldCoverageMonitor,
        BlockedAnswersMonitor,
        LayoutMonitor,
    ]
    monitors_finished_actions: ClassVar[list[type]] = [HealthReport]
