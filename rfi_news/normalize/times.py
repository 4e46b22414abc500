"""Timestamps: every form the sources use, to UTC ``YYYY-MM-DDTHH:MM:SSZ``.

Never depends on the machine's time zone: RFI's visible dates are Paris local time, read with zoneinfo.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_PARIS_DATE_LINE_RE = re.compile(r"^\s*(\d{2})/(\d{2})/(\d{4}) - (\d{2}):(\d{2})\s*$")


class UnparseableTime(ValueError):
    """A timestamp in none of the forms this project knows."""


def is_paris_date_line(text: str) -> bool:
    """True for the ``DD/MM/YYYY - HH:MM`` line that opens a feed item."""
    return bool(_PARIS_DATE_LINE_RE.match(text))


def from_paris_date_line(text: str) -> datetime:
    """``30/12/2023 - 10:05`` (Paris local time) → aware UTC datetime.

    An ambiguous or skipped local time (the night summer time ends or starts) is read with ``fold=0``,
    as zoneinfo reads it.
    """
    match = _PARIS_DATE_LINE_RE.match(text)
    if not match:
        raise UnparseableTime(f"not a DD/MM/YYYY - HH:MM date line: {text!r}")
    day, month, year, hour, minute = (int(part) for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=PARIS, fold=0)
    except ValueError as exc:
        raise UnparseableTime(f"impossible date: {text!r}") from exc
    return local.astimezone(UTC)


def from_epoch_ms(value: int | str) -> datetime:
    """Milliseconds since the epoch (the archive's ``<!--1703927701000-->``) → UTC, sub-seconds dropped."""
    return datetime.fromtimestamp(int(value) // 1000, tz=UTC)


def parse_timestamp(value: object) -> datetime:
    """Any supported form → aware UTC datetime.

    Accepted: an aware ``datetime``; an ``int`` of epoch milliseconds; a Paris ``DD/MM/YYYY - HH:MM`` line;
    ISO 8601 with an offset or ``Z`` (``time[datetime]``, JSON-LD, ``article:published_time``); RFC 822
    (RSS ``pubDate``). A string without any offset is refused rather than guessed.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UnparseableTime(f"naive datetime: {value!r}")
        return value.astimezone(UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return from_epoch_ms(value)
    if not isinstance(value, str) or not value.strip():
        raise UnparseableTime(f"not a timestamp: {value!r}")
    text = value.strip()
    if is_paris_date_line(text):
        return from_paris_date_line(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise UnparseableTime(f"unknown timestamp form: {text!r}") from exc
        if parsed.tzinfo is None:
            # RFC 822 "-0000" means UTC with no information about local time.
            parsed = parsed.replace(tzinfo=UTC)
    if parsed.tzinfo is None:
        raise UnparseableTime(f"timestamp without an offset: {text!r}")
    return parsed.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """Aware datetime → ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_utc_string(value: object) -> str:
    """:func:`parse_timestamp` then :func:`format_utc`."""
    return format_utc(parse_timestamp(value))
