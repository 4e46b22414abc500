"""A run's health figures, read from its final stats: what the monitors judge and the report shows.

Pure functions over the stats dict (no Scrapy engine), so each figure can be tested with a plain dict. The
stat names other parts of the project count under are listed here, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

# The incremental mode's contract (issue 4, docs/scheduling.md): a run that skipped articles it already has counts
# them here, and a feed that answered 304 Not Modified counts there. With zero records, such a run is
# "incremental, nothing new", not broken.
INCREMENTAL_STATS = ("rfi_news/state/unchanged", "rfi_news/state/skipped", "rfi_news/feed/not_modified")

# Answers that are not HTTP: the archive spider's batches of local files, each a queued ``data:`` request.
LOCAL_ANSWER_STATS = ("rfi_news/archive/batches",)

# Answers that mean "go away": forbidden, too many requests.
BLOCKED_STATUSES = (403, 429)

# The record fields whose coverage is watched (spidermon counts a field when it is neither null nor empty).
COVERED_FIELDS = ("published", "lead", "paragraphs", "image")
ITEM_CLASS = "ArticleItem"

SCHEMA_ERRORS_PREFIX = "spidermon/validation/fields/errors/"

# The verdict of the run's monitors, kept in its stats (rfi_news.monitors.HealthReport writes them; the crawl
# command and the HealthSummary extension read them).
STATUS_STAT = "rfi_news/health/status"
FAILED_STAT = "rfi_news/health/failed"
SUMMARY_STAT = "rfi_news/health/summary"
REPORT_STAT = "rfi_news/health/report"
HEALTHY, UNHEALTHY = "healthy", "unhealthy"


@dataclass(frozen=True)
class LayoutPart:
    """A part of RFI's markup the parsers look for, with the stats that say how often it was missing.

    ``total_stats`` count how often it was looked for; a name ending in ``/`` stands for every stat under it.
    """

    name: str
    selector: str
    missed_stat: str
    total_stats: tuple[str, ...]

    def looked_for(self, stats: Mapping[str, Any]) -> int:
        return sum(
            number(stats, key)
            for key in stats
            if any(key.startswith(name) if name.endswith("/") else key == name for name in self.total_stats)
        )


LAYOUT_PARTS = (
    LayoutPart(
        "title",
        "the feed item's <title>; the page's h1 / og:title",
        "rfi_news/validation/dropped/no_title",
        ("rfi_news/validation/",),  # every record the validation saw: kept, or dropped for some reason
    ),
    LayoutPart(
        "item date line",
        "<div>DD/MM/YYYY - HH:MM</div> opening the feed item",
        "rfi_news/item/no_date_line",
        ("rfi_news/item/read",),
    ),
    LayoutPart(
        "item body blocks",
        "p, h1-h6, li, blockquote blocks of the feed item's body",
        "rfi_news/item/no_paragraphs",
        ("rfi_news/item/read",),
    ),
    LayoutPart(
        "page body",
        "div.t-content__body on the article page",
        "rfi_news/page/body_missing",
        ("rfi_news/page/body_found", "rfi_news/page/body_missing"),
    ),
)


def number(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key) or 0
    return int(value) if isinstance(value, int | float) else 0


def records(stats: Mapping[str, Any]) -> int:
    return number(stats, "item_scraped_count")


def nothing_new(stats: Mapping[str, Any]) -> bool:
    """True for an incremental run that wrote nothing because nothing had changed since the last run."""
    return records(stats) == 0 and any(number(stats, key) > 0 for key in INCREMENTAL_STATS)


def robots_txt_errors(stats: Mapping[str, Any]) -> int:
    """robots.txt downloads that failed: Scrapy logs each as an ERROR, then crawls the host as if it had none."""
    return sum(number(stats, key) for key in stats if key.startswith("robotstxt/exception_count/"))


def unhandled_errors(stats: Mapping[str, Any]) -> int:
    """Errors in the log, less the robots.txt ones (the unreachable host shows in the other checks)."""
    return max(number(stats, "log_count/ERROR") - robots_txt_errors(stats), 0)


def blocked_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """HTTP answers, how many of them were 403/429, and their share (``None`` when there was no answer)."""
    answers = max(number(stats, "downloader/response_count") - sum(number(stats, key) for key in LOCAL_ANSWER_STATS), 0)
    blocked = sum(number(stats, f"downloader/response_status_count/{status}") for status in BLOCKED_STATUSES)
    return {"answers": answers, "blocked": blocked, "share": round(blocked / answers, 4) if answers else None}


def layout_figures(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """For each layout part: how many times it was looked for, how many times it was missing, the share."""
    figures = {}
    for part in LAYOUT_PARTS:
        total = part.looked_for(stats)
        missed = number(stats, part.missed_stat)
        figures[part.name] = {
            "selector": part.selector,
            "looked_for": total,
            "missing": missed,
            "share": round(missed / total, 4) if total else None,
        }
    return figures


def coverage_figures(stats: Mapping[str, Any]) -> dict[str, float | None]:
    """Share of records with each watched field, from spidermon's field coverage stats."""
    if not records(stats):
        return dict.fromkeys(COVERED_FIELDS)
    return {
        name: round(float(stats.get(f"spidermon_field_coverage/{ITEM_CLASS}/{name}", 0.0)), 4)
        for name in COVERED_FIELDS
    }


def schema_error_figures(stats: Mapping[str, Any]) -> dict[str, int]:
    """Spidermon's schema validation errors by ``message/field`` (e.g. ``"… is not of type 'string'/title"``)."""
    return {
        key.removeprefix(SCHEMA_ERRORS_PREFIX): number(stats, key)
        for key in sorted(stats)
        if key.startswith(SCHEMA_ERRORS_PREFIX) and "/" in key.removeprefix(SCHEMA_ERRORS_PREFIX)
    }


def spider_exception_figures(stats: Mapping[str, Any]) -> dict[str, int]:
    """Exceptions raised in callbacks, by type (Scrapy counts them as ``spider_exceptions/<Type>``)."""
    return {
        key.removeprefix("spider_exceptions/"): number(stats, key)
        for key in sorted(stats)
        if key.startswith("spider_exceptions/") and key != "spider_exceptions/count"
    }


def run_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report shows about a run, as JSON-ready values."""
    return {
        "records": records(stats),
        "incremental_nothing_new": nothing_new(stats),
        "dropped": number(stats, "item_dropped_count"),
        "schema_invalid_records": number(stats, "spidermon/validation/items/errors"),
        "schema_errors": schema_error_figures(stats),
        "errors_logged": number(stats, "log_count/ERROR"),
        "robots_txt_errors": robots_txt_errors(stats),
        "unhandled_errors": unhandled_errors(stats),
        "spider_exceptions": spider_exception_figures(stats),
        "http": blocked_figures(stats),
        "coverage": coverage_figures(stats),
        "layout": layout_figures(stats),
    }


def local_feed_path(uri: object) -> Path | None:
    """The local file a ``FEEDS`` key writes to, or ``None`` (a remote URI, stdout, or a templated name)."""
    text = str(uri)
    if "%(" in text:  # %(time)s and friends are expanded by the feed exporter when the slot opens
        return None
    parts = urlsplit(text)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if parts.scheme == "" or (len(parts.scheme) == 1 and text[1:3] in (":\\", ":/")):  # a path, or C:\ on Windows
        return Path(text)
    return None


def report_path(report_file: str | None, feeds: Mapping[object, Any]) -> Path | None:
    """``RFI_REPORT_FILE`` when set, else ``<output>.report.json`` beside the first local output file."""
    if report_file:
        return Path(report_file)
    for uri in feeds:
        path = local_feed_path(uri)
        if path is not None:
            return path.with_name(path.name + ".report.json")
    return None
