"""A run's health figures, read from its final stats: what the monitors judge and the report shows.

Pure functions over the stats dict (no Scrapy engine), so each figure can be tested with a plain dict. The
stat names other parts of the project count under are listed here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

# The incremental mode's contract (issue 4, docs/scheduling.md): a run that skipped articles it already has counts
# them here, and a feed that answered 304 Not Modified counts there. With zero records, such a run is
# "incremental, nothing new", not broken.
# In distributed mode (docs/distributed.md) a worker may find all of its work done by the others: its start
# requests were already in the shared frontier, or another worker reads the feed.
INCREMENTAL_STATS = (
    "rfi_news/state/unchanged",
    "rfi_news/state/skipped",
    "rfi_news/feed/not_modified",
    "rfi_news/distributed/already_seen",
    "rfi_news/distributed/feed_read_elsewhere",
)

# Answers that are not HTTP: the archive spider's batches of local files, each a queued ``data:`` request.
LOCAL_ANSWER_STATS = ("rfi_news/archive/batches",)

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
CLASSES_STAT = "rfi_news/health/classes"
# Set by the crawl command, which writes the summary to stderr itself.
SUMMARY_ON_STDERR_SETTING = "RFI_SUMMARY_ON_STDERR"
HEALTHY, UNHEALTHY = "healthy", "unhealthy"

# What the output really got (rfi_news.feedstorage): the first storage fault ("<path>: <reason>"), how many
# faults (a number, under the same prefix for storage_failures()), and the records in the local files published.
STORAGE_FAILED_STAT = "rfi_news/storage/failed"
STORAGE_FAILED_COUNT_STAT = "rfi_news/storage/failed_count"
PUBLISHED_RECORDS_STAT = "rfi_news/storage/published_records"

# The exit status of every run (docs/monitoring.md, "Exit status"): the one table the commands follow.
HEALTHY_EXIT_CODE = 0
COULD_NOT_START_EXIT_CODE = 1
BAD_COMMAND_LINE_EXIT_CODE = 2
UNHEALTHY_EXIT_CODE = 3


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
        "rfi_news/item/missing/published",
        ("rfi_news/item/read",),
    ),
    LayoutPart(
        "item body blocks",
        "p, h1-h6, li, blockquote blocks of the feed item's body",
        "rfi_news/item/missing/paragraphs",
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
    """Records written: those published in local files when the run had any (issue 10), else every item exported."""
    if PUBLISHED_RECORDS_STAT in stats or STORAGE_FAILED_STAT in stats:
        return number(stats, PUBLISHED_RECORDS_STAT)
    return number(stats, "item_scraped_count")


def nothing_new(stats: Mapping[str, Any]) -> bool:
    """True for an incremental run that wrote nothing because nothing had changed since the last run."""
    return records(stats) == 0 and any(number(stats, key) > 0 for key in INCREMENTAL_STATS)


def robots_txt_errors(stats: Mapping[str, Any]) -> int:
    """robots.txt downloads that failed (the host is then crawled as if it had none)."""
    return sum(number(stats, key) for key in stats if key.startswith("robotstxt/exception_count/"))


# --- Failure classes: what kind of trouble a failed check points at (the verdict names them) ---------------

UNREACHABLE = "site unreachable"
BLOCKED = "blocked"
LAYOUT = "layout changed"
STORAGE = "storage"
BAD_INPUT = "bad input"
CUT_SHORT = "run cut short"
FAULT = "fault in the crawler"
NO_RECORDS = "nothing found"
# The order the verdict names them in: the first is the likeliest root cause of the others (a site that cannot
# be reached also writes no records, and its pages also miss their body).
FAILURE_CLASSES = (STORAGE, UNREACHABLE, BLOCKED, LAYOUT, BAD_INPUT, CUT_SHORT, FAULT, NO_RECORDS)

# Where the spiders count a request that failed for good (after its retries), by ``failure_reason``:
# ``http_404``, ``host_blocked``, ``DNSLookupError``…
FAILED_REQUEST_PREFIXES = ("rfi_news/feed/failed/", "rfi_news/source/failed/", "rfi_news/page/failed/")
PAGE_FAILED_PREFIX = "rfi_news/page/failed/"
# Not lost: a request a middleware chose not to send (an article already emitted), or robots.txt disallowed.
NOT_LOST_REASONS = ("ignored", "robots_txt")
# Scrapy's (2.19 names them) and Twisted's exceptions for "no answer from the host".
NETWORK_FAILURES = frozenset(
    {
        "CannotResolveHostError",
        "DownloadConnectionRefusedError",
        "DownloadTimeoutError",
        "DownloadFailedError",
        "ResponseDataLossError",
        "DNSLookupError",
        "ConnectionRefusedError",
        "ConnectError",
        "TimeoutError",
        "TCPTimedOutError",
        "NoRouteError",
        "ConnectionLost",
        "ConnectionDone",
        "ResponseNeverReceived",
        "ResponseFailed",
        "TunnelError",
    }
)
BLOCKED_REASONS = frozenset({"http_403", "http_429", "host_blocked"})
# Issue 10's storage counters, and Scrapy's own for a feed that could not be stored.
STORAGE_FAILURE_PREFIXES = ("rfi_news/storage/failed", "feedexport/failed_count/")
BAD_INPUT_PREFIXES = ("rfi_news/archive/invalid/", "rfi_news/feed/unreadable", "rfi_news/feed/broken_xml")
# A parser raised something that is not InvalidInput (rfi_news.guard): the record was skipped and the run went on,
# but that is a bug in the crawler. Counted in total and under each kind of record (``rfi_news/<kind>/invalid/…``).
PARSER_BUG_STAT = "rfi_news/parser_bug"
PARSER_BUG_SUFFIX = "/invalid/parser_bug"


def reason_class(reason: str) -> str | None:
    """The failure class of one ``failure_reason``: a 5xx or no answer is "unreachable", 403/429 "blocked"."""
    if reason in NETWORK_FAILURES or (reason.startswith("http_5") and len(reason) == 8):
        return UNREACHABLE
    if reason in BLOCKED_REASONS:
        return BLOCKED
    return None


def failed_requests(stats: Mapping[str, Any], prefixes: tuple[str, ...] = FAILED_REQUEST_PREFIXES) -> dict[str, int]:
    """Requests that failed for good, by reason (what a middleware dropped on purpose left out)."""
    reasons: dict[str, int] = {}
    for key in sorted(stats):
        prefix = next((prefix for prefix in prefixes if key.startswith(prefix)), None)
        if prefix is None:
            continue
        reason = key.removeprefix(prefix)
        if reason and "/" not in reason and reason not in NOT_LOST_REASONS:
            reasons[reason] = reasons.get(reason, 0) + number(stats, key)
    return reasons


def storage_failures(stats: Mapping[str, Any]) -> int:
    return sum(number(stats, key) for key in stats if key.startswith(STORAGE_FAILURE_PREFIXES))


def bad_input_count(stats: Mapping[str, Any]) -> int:
    return sum(number(stats, key) for key in stats if key.startswith(BAD_INPUT_PREFIXES))


def parser_bug_figures(stats: Mapping[str, Any]) -> dict[str, int]:
    """Records skipped because a parser had a bug, by kind of record (``item``, ``page``, ``archive``…)."""
    return {
        key.removeprefix("rfi_news/").removesuffix(PARSER_BUG_SUFFIX): number(stats, key)
        for key in sorted(stats)
        if key.startswith("rfi_news/") and key.endswith(PARSER_BUG_SUFFIX)
    }


def dominant_class(reasons: Mapping[str, int]) -> str | None:
    """The class most of these failed requests fall in (``None`` when none has one)."""
    counts: dict[str, int] = {}
    for reason, count in reasons.items():
        kind = reason_class(reason)
        if kind:
            counts[kind] = counts.get(kind, 0) + count
    return max(counts, key=lambda kind: (counts[kind], -FAILURE_CLASSES.index(kind))) if counts else None


def no_records_class(stats: Mapping[str, Any]) -> str:
    """Why a run wrote nothing, as far as its stats tell."""
    if storage_failures(stats):
        return STORAGE
    kind = dominant_class(failed_requests(stats))
    if kind:
        return kind
    if any(figure["missing"] for figure in layout_figures(stats).values()):
        return LAYOUT
    if bad_input_count(stats):
        return BAD_INPUT
    return NO_RECORDS


def blocked_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Final answers (after retries: a 429 retried after its ``Retry-After`` and then answered is not one), how
    many of them refused us (403, 429, or not sent to a host that kept answering 403), and their share."""
    refused = failed_requests(stats)
    blocked = sum(refused.get(reason, 0) for reason in BLOCKED_REASONS)
    received = number(stats, "response_received_count") - sum(number(stats, key) for key in LOCAL_ANSWER_STATS)
    answers = max(received, 0) + refused.get("host_blocked", 0)
    return {"answers": answers, "blocked": blocked, "share": round(blocked / answers, 4) if answers else None}


def lost_page_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Article pages asked for, how many were lost for good (by reason), the share, and its failure class."""
    lost = failed_requests(stats, (PAGE_FAILED_PREFIX,))
    fetched = sum(
        number(stats, key)
        for key in ("rfi_news/page/body_found", "rfi_news/page/body_missing", "rfi_news/page/not_html")
    )
    total = fetched + sum(lost.values())
    return {
        "asked": total,
        "lost": sum(lost.values()),
        "share": round(sum(lost.values()) / total, 4) if total else None,
        "reasons": lost,
        "class": dominant_class(lost),
    }


def lost_feed_item_figures(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Feed items in the fullest feed document (its ``<item>`` tags), the most read from one, and the share lost."""
    in_document = number(stats, "rfi_news/feed/items_in_document")
    read = min(number(stats, "rfi_news/feed/items_read"), in_document)
    lost = in_document - read
    return {
        "in_document": in_document,
        "read": read,
        "lost": lost,
        "share": round(lost / in_document, 4) if in_document else None,
    }


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
        "spider_exceptions": spider_exception_figures(stats),
        "parser_bugs": parser_bug_figures(stats),
        "failed_requests": failed_requests(stats),
        "http": blocked_figures(stats),
        "lost_pages": lost_page_figures(stats),
        "lost_feed_items": lost_feed_item_figures(stats),
        "storage_failures": storage_failures(stats),
        "bad_input": bad_input_count(stats),
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


def report_path(report_file: str | None, feed_uris: Iterable[str], params: Mapping[str, str]) -> Path | None:
    """``RFI_REPORT_FILE`` (its ``%(name)s``, ``%(time)s`` filled in as ``FEEDS`` does) when set, else
    ``<output>.report.json`` beside the first local output file (the per-run default file included)."""
    if report_file:
        return Path(report_file % params)
    for uri in feed_uris:
        path = local_feed_path(uri)
        if path is not None:
            return path.with_name(path.name + ".report.json")
    return None
