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
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.misc import load_object
from scrapy.utils.serialize import ScrapyJSONEncoder
from spidermon import MonitorSuite, monitors, settings
from spidermon.contrib.scrapy.monitors import (
    ErrorCountMonitor,
    FieldCoverageMonitor,
    FinishReasonMonitor,
    ItemCountMonitor,
    ItemValidationMonitor,
)
from spidermon.contrib.scrapy.monitors.base import BaseScrapyMonitor, BaseStatMonitor
from spidermon.core.actions import Action

from rfi_news import health
from rfi_news.files import write_atomically
from rfi_news.health import (
    CLASSES_STAT,
    FAILED_STAT,
    HEALTHY,
    REPORT_STAT,
    STATUS_STAT,
    SUMMARY_STAT,
    UNHEALTHY,
    UNHEALTHY_EXIT_CODE,
)

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
    failure_class = health.FAULT

    def setting(self, name: str) -> float:
        return self.crawler.settings.getfloat(name)

    def skip_small_sample(self, size: int, what: str) -> None:
        minimum = self.crawler.settings.getint("RFI_MONITOR_MIN_SAMPLE")
        if size < minimum:
            self.skipTest(f"{size} {what}, fewer than RFI_MONITOR_MIN_SAMPLE={minimum}: too few to judge")


@monitors.name("Records")
class RecordCountMonitor(ItemCountMonitor):
    """At least SPIDERMON_MIN_ITEMS records (Spidermon's check), unless an incremental run found nothing new."""

    failure_class = health.NO_RECORDS  # refined from the stats: why nothing was written

    @classmethod
    def failure_class_of(cls, stats: Mapping[str, Any]) -> str:
        return health.no_records_class(stats)

    @monitors.name("Should write records")
    def test_stat_monitor(self) -> None:
        if health.nothing_new(self.stats):
            self.skipTest("incremental run: nothing new since the last run")
        if "item_scraped_count" not in self.stats:
            minimum = self.crawler.settings.getint("SPIDERMON_MIN_ITEMS")
            self.fail(f"0 records written, expected at least {minimum}")
        super().test_stat_monitor()


@monitors.name("Finish reason")
class RunFinishReasonMonitor(FinishReasonMonitor):
    """The run ended by itself ('finished'), not stopped, killed or closed by a limit."""

    failure_class = health.CUT_SHORT


@monitors.name("Errors logged")
class RunErrorCountMonitor(ErrorCountMonitor):
    """At most SPIDERMON_MAX_ERRORS ERROR lines in the log (Spidermon's check). What the spiders handle (a mirror
    that failed, a lost page, a robots.txt that could not be fetched) is a WARNING and a counter, never an ERROR."""

    failure_class = health.FAULT


@monitors.name("Exceptions in callbacks")
class SpiderExceptionsMonitor(BaseStatMonitor):
    """At most SPIDERMON_MAX_ERRORS exceptions raised in callbacks (Scrapy's ``spider_exceptions/count``)."""

    failure_class = health.FAULT
    stat_name = "spider_exceptions/count"
    threshold_setting = "SPIDERMON_MAX_ERRORS"
    assert_type = "<="
    fail_if_stat_missing = False


@monitors.name("Parser bugs")
class ParserBugMonitor(RunMonitor):
    """No parser raised anything but ``InvalidInput`` (``rfi_news/parser_bug``). The record it was reading was
    skipped and the run went on (rfi_news.guard), but a parser that raises anything else has a bug to fix."""

    failure_class = health.FAULT

    @monitors.name("Should meet no parser bug")
    def test_no_parser_bug(self) -> None:
        bugs = health.number(self.stats, health.PARSER_BUG_STAT)
        kinds = ", ".join(f"{kind} x{count}" for kind, count in health.parser_bug_figures(self.stats).items())
        self.assertEqual(
            bugs,
            0,
            msg=f"{bugs} record(s) skipped because a parser raised something other than InvalidInput ({kinds}): "
            "a bug; each is a 'parser bug' WARNING naming the record and the line that raised",
        )


@monitors.name("Schema")
class RunItemValidationMonitor(ItemValidationMonitor):
    """Records match the JSON Schema (Spidermon's check: at most SPIDERMON_MAX_ITEM_VALIDATION_ERRORS errors)."""

    failure_class = health.FAULT


@monitors.name("Field coverage")
class RunFieldCoverageMonitor(FieldCoverageMonitor, RunMonitor):
    """Enough records carry published, lead, paragraphs and image (SPIDERMON_FIELD_COVERAGE_RULES)."""

    failure_class = health.LAYOUT

    @monitors.name("Should meet the field coverage rules")
    def test_check_if_field_coverage_rules_are_met(self) -> None:
        self.skip_small_sample(health.records(self.stats), "record(s)")
        super().test_check_if_field_coverage_rules_are_met()


@monitors.name("Blocked answers")
class BlockedAnswersMonitor(RunMonitor):
    """At most RFI_MONITOR_MAX_BLOCKED_SHARE of the final HTTP answers (after retries) refused us: 403 Forbidden,
    429 Too Many Requests, or a request not sent to a host that kept answering 403."""

    failure_class = health.BLOCKED

    @monitors.name("Should not be blocked")
    def test_blocked_share(self) -> None:
        figures = health.blocked_figures(self.stats)
        if not figures["answers"]:
            self.skipTest("no HTTP answer in this run")
        maximum = self.setting("RFI_MONITOR_MAX_BLOCKED_SHARE")
        self.assertLessEqual(
            figures["share"],
            maximum,
            msg=f"{figures['blocked']} of {figures['answers']} HTTP answers refused us (403/429) "
            f"(share {figures['share']:.2f}, at most {maximum} allowed): the site is refusing us",
        )


@monitors.name("Lost pages")
class LostPagesMonitor(RunMonitor):
    """At most RFI_MONITOR_MAX_LOST_PAGE_SHARE of the article pages asked for were lost for good (after retries:
    timeouts, refused connections, 5xx, 403/429, 404…); pages not asked for on purpose do not count."""

    failure_class = health.UNREACHABLE

    @classmethod
    def failure_class_of(cls, stats: Mapping[str, Any]) -> str:
        return health.lost_page_figures(stats)["class"] or health.UNREACHABLE

    @monitors.name("Should lose few article pages")
    def test_lost_page_share(self) -> None:
        figures = health.lost_page_figures(self.stats)
        self.skip_small_sample(figures["asked"], "article page(s) asked for")
        maximum = self.setting("RFI_MONITOR_MAX_LOST_PAGE_SHARE")
        reasons = ", ".join(f"{reason} x{count}" for reason, count in figures["reasons"].items())
        self.assertLessEqual(
            figures["share"],
            maximum,
            msg=f"{figures['lost']} of {figures['asked']} article pages lost ({reasons}; share "
            f"{figures['share']:.2f}, at most {maximum} allowed)",
        )


@monitors.name("Lost feed items")
class LostFeedItemsMonitor(RunMonitor):
    """At most RFI_MONITOR_MAX_LOST_PAGE_SHARE of a feed's items unread (a feed cut off mid-way, with no mirror
    that served it whole): the ``<item>`` tags in the fullest document against the most items read from one."""

    failure_class = health.BAD_INPUT

    @monitors.name("Should read every item of the feed")
    def test_lost_item_share(self) -> None:
        figures = health.lost_feed_item_figures(self.stats)
        self.skip_small_sample(figures["in_document"], "feed item(s)")
        maximum = self.setting("RFI_MONITOR_MAX_LOST_PAGE_SHARE")
        self.assertLessEqual(
            figures["share"],
            maximum,
            msg=f"{figures['lost']} of {figures['in_document']} feed items could not be read (broken feed; "
            f"share {figures['share']:.2f}, at most {maximum} allowed)",
        )


@monitors.name("Storage")
class StorageMonitor(RunMonitor):
    """Every output was stored and the crawl state written (Scrapy's ``feedexport/failed_count/*``, the state's
    ``rfi_news/storage/failed``)."""

    failure_class = health.STORAGE

    @monitors.name("Should store the output")
    def test_storage(self) -> None:
        failed = {key: value for key, value in self.stats.items() if key.startswith(health.STORAGE_FAILURE_PREFIXES)}
        self.assertFalse(failed, msg=f"output or state not stored: {failed}")


@monitors.name("Layout")
class LayoutMonitor(RunMonitor):
    """The parsers still find each part of RFI's markup (missing on at most RFI_MONITOR_MAX_LAYOUT_MISS_SHARE)."""

    failure_class = health.LAYOUT

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


def failure_class(monitor: Any, stats: Mapping[str, Any]) -> str:
    """The failure class a failed monitor points at (some monitors tell it from the stats)."""
    of_stats = getattr(monitor, "failure_class_of", None)
    return of_stats(stats) if of_stats else getattr(monitor, "failure_class", health.FAULT)


def monitor_entry(result: Any, stats: Mapping[str, Any]) -> dict[str, Any]:
    """One monitor's line in the report."""
    monitor = result.item
    entry = {"monitor": monitor.monitor_name, "check": monitor.method_name, "status": result.status}
    message = getattr(result, "reason", None) or result.error
    if message:
        entry["message"] = " ".join(str(message).split())
    if result.status not in PASSING_STATUSES:
        entry["class"] = failure_class(monitor, stats)
    return entry


def class_detail(kind: str, figures: Mapping[str, Any], entries: list[dict[str, Any]]) -> str:
    """One line saying what made the run fall in this failure class, from its figures."""
    failed = ", ".join(f"{reason} x{count}" for reason, count in figures["failed_requests"].items())
    messages = "; ".join(entry.get("message", entry["status"]).rstrip(".") for entry in entries)
    if kind == health.UNREACHABLE:
        lost = figures["lost_pages"]
        pages = f"; {lost['lost']} of {lost['asked']} article pages lost" if lost["lost"] else ""
        return f"requests that got no answer or a server error after their retries: {failed or 'none counted'}{pages}"
    if kind == health.BLOCKED:
        http = figures["http"]
        return f"{http['blocked']} of {http['answers']} final HTTP answers refused us (403/429): {failed}"
    if kind == health.FAULT:
        exceptions = ", ".join(f"{name} x{count}" for name, count in figures["spider_exceptions"].items())
        bugs = sum(figures["parser_bugs"].values())
        return (
            f"{figures['errors_logged']} ERROR line(s) in the log, {sum(figures['spider_exceptions'].values())} "
            f"exception(s) in callbacks{': ' + exceptions if exceptions else ''}, "
            f"{figures['schema_invalid_records']} record(s) not matching the schema"
            + (f", {bugs} record(s) skipped for a parser bug" if bugs else "")
        )
    if kind == health.NO_RECORDS:
        return "no record written, and no request, page or item failed: was there anything to read?"
    return messages


def summary_text(report: dict[str, Any], path: str | None) -> str:
    """The verdict in a few lines: the summary on stderr and the log's last words about the run."""
    figures = report["figures"]
    healthy = report["status"] == HEALTHY
    verdict = "HEALTHY" if healthy else f"UNHEALTHY: {', '.join(report['classes'])}"
    lines = [
        f"rfi-news {report['spider']}: {verdict} (exit {0 if healthy else UNHEALTHY_EXIT_CODE}). "
        f"{figures['records']} record(s) written, {figures['dropped']} dropped, finish reason "
        f"{report['finish_reason']}."
    ]
    for kind in report["classes"]:
        entries = [entry for entry in report["monitors"] if entry.get("class") == kind]
        checks = ", ".join(sorted({entry["monitor"] for entry in entries}))
        lines.append(f"  {kind} ({checks}): {class_detail(kind, figures, entries)}")
    lines.append(f"  report: {path}" if path else "  no report file (RFI_REPORT_FILE, or a local output)")
    return "\n".join(lines)


class HealthReport(Action):
    """Writes the run's verdict, failure classes, figures and monitor results to the report file and the stats."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        stats = self.data.stats
        entries = [monitor_entry(result, stats) for result in self.result.monitor_results]
        failed = sorted({entry["monitor"] for entry in entries if entry["status"] not in PASSING_STATUSES})
        report = {
            "spider": self.data.spider.name,
            "status": UNHEALTHY if failed else HEALTHY,
            "classes": ordered_classes(entries),
            "failed": failed,
            "finish_reason": stats.get("finish_reason"),
            "start_time": stats.get("start_time"),
            "finish_time": stats.get("finish_time"),
            "figures": health.run_figures(stats),
            "monitors": entries,
        }
        try:
            path = health.report_path(
                crawler.settings.get("RFI_REPORT_FILE"), feed_uris(crawler), uri_params(self.data.spider, stats)
            )
            if path is not None:
                write_atomically(path, json.dumps(report, cls=ScrapyJSONEncoder, ensure_ascii=False, indent=1) + "\n")
        except (OSError, ValueError, KeyError) as exc:
            # A scheduler that reads the report must not take a missing one for a healthy run.
            logger.error("Could not write the run's report: %s", exc)
            entries.append({"monitor": "Report file", "check": "written", "status": "FAIL", "class": health.STORAGE})
            report.update(status=UNHEALTHY, failed=[*failed, "Report file"], classes=ordered_classes(entries))
            failed, path = report["failed"], None
        crawler.stats.set_value(STATUS_STAT, report["status"])
        crawler.stats.set_value(FAILED_STAT, failed)
        crawler.stats.set_value(CLASSES_STAT, report["classes"])
        crawler.stats.set_value(REPORT_STAT, str(path) if path else None)
        crawler.stats.set_value(SUMMARY_STAT, summary_text(report, str(path) if path else None))


def ordered_classes(entries: list[dict[str, Any]]) -> list[str]:
    found = {entry["class"] for entry in entries if "class" in entry}
    return [kind for kind in health.FAILURE_CLASSES if kind in found]


def feed_uris(crawler: Any) -> list[str]:
    """The run's output URIs as the feed exporter expanded them (``%(name)s``, ``%(time)s`` filled in)."""
    for extension in getattr(crawler.extensions, "middlewares", ()):
        if isinstance(extension, FeedExporter):
            return [slot.uri for slot in extension.slots]
    return [str(uri) for uri in crawler.settings.getdict("FEEDS")]


def uri_params(spider: Any, stats: Mapping[str, Any]) -> dict[str, str]:
    """``%(name)s`` and ``%(time)s`` for ``RFI_REPORT_FILE``, as the feed exporter spells the start time."""
    start = stats.get("start_time")
    moment = start if isinstance(start, datetime) else datetime.now(UTC)
    return {"name": spider.name, "time": moment.replace(microsecond=0).isoformat().replace(":", "-")}


class RunHealthSuite(MonitorSuite):
    """Every check a run makes on itself when its spider closes; ``RFI_ALERT_ACTIONS`` adds Spidermon actions
    (mail, Slack: the ``alerts`` extra) run when a check failed."""

    monitors: ClassVar[list[type]] = [
        RecordCountMonitor,
        RunFinishReasonMonitor,
        RunErrorCountMonitor,
        SpiderExceptionsMonitor,
        ParserBugMonitor,
        RunItemValidationMonitor,
        RunFieldCoverageMonitor,
        BlockedAnswersMonitor,
        LostPagesMonitor,
        LostFeedItemsMonitor,
        StorageMonitor,
        LayoutMonitor,
    ]
    monitors_finished_actions: ClassVar[list[type]] = [HealthReport]

    def __init__(self, *args: Any, crawler: Any = None, **kwargs: Any) -> None:
        alerts = [load_object(path) for path in crawler.settings.getlist("RFI_ALERT_ACTIONS")] if crawler else []
        if alerts:
            kwargs["monitors_failed_actions"] = [*(kwargs.get("monitors_failed_actions") or ()), *alerts]
        super().__init__(*args, crawler=crawler, **kwargs)
