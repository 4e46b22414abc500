"""Timestamps: every form the sources use, to UTC ``YYYY-MM-DDTHH:MM:SSZ``.

Never depends on the machine's time zone: RFI's visible dates are Paris local time, read with zoneinfo.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from rfi_news.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")
_PARIS_DATE_LINE_RE = re.compile(r"^\s*(\d{2})/(\d{2})/(\d{4}) - (\d{2}):(\d{2})\s*$")
# Times outside these years are no news article's (a year 0001 or 9999 also overflows on conversion to UTC).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
# Epoch milliseconds an archive line may hold: 2000-01-01 to 2100-01-01. Seconds (10 digits: January 1970 read
# as ms) and 14-digit values (year 5138) are refused, not taken.
EARLIEST_EPOCH_MS = 946_684_800_000
LATEST_EPOCH_MS = 4_102_444_800_000
_MAX_TIMESTAMP_LENGTH = 100


class UnparseableTime(InvalidInput):
    """A timestamp in none of the forms this project knows (``reason``: ``unparseable_time``)."""

    def __init__(self, detail: str) -> None:
        super().__init__("unparseable_time", detail)


def _checked(moment: datetime, text: object) -> datetime:
    """``moment`` in UTC, when its year is plausible and the conversion cannot overflow."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise UnparseableTime(f"implausible year {moment.year}: {text!r}")
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise UnparseableTime(f"cannot convert to UTC: {text!r}") from exc


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
    return _checked(local, text)


def is_plausible_epoch_ms(value: int) -> bool:
    """True for epoch milliseconds from 2000 to 2100 (not seconds, not a 14-digit value)."""
    return EARLIEST_EPOCH_MS <= value < LATEST_EPOCH_MS


def from_epoch_ms(value: int | str) -> datetime:
    """Milliseconds since the epoch (the archive's ``<!--1703927701000-->``) → UTC, sub-seconds dropped."""
    try:
        milliseconds = int(value)
    except (TypeError, ValueError) as exc:
        raise UnparseableTime(f"not epoch milliseconds: {str(value)[:40]!r}") from exc
    if not is_plausible_epoch_ms(milliseconds):
        raise UnparseableTime(f"implausible epoch milliseconds (not 2000-2100): {milliseconds}")
    return datetime.fromtimestamp(milliseconds // 1000, tz=UTC)


def parse_timestamp(value: object) -> datetime:
    """Any supported form → aware UTC datetime.

    Accepted: an aware ``datetime``; an ``int`` of epoch milliseconds; a Paris ``DD/MM/YYYY - HH:MM`` line;
    ISO 8601 with an offset or ``Z`` (``time[datetime]``, JSON-LD, ``article:published_time``); RFC 822
    (RSS ``pubDate``). A string without any offset is refused rather than guessed.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UnparseableTime(f"naive datetime: {value!r}")
        return _checked(value, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return from_epoch_ms(value)
    if not isinstance(value, str) or not value.strip():
        raise UnparseableTime(f"not a timestamp: {str(value)[:100]!r}")
    text = value.strip()
    if len(text) > _MAX_TIMESTAMP_LENGTH:
        raise UnparseableTime(f"too long for a timestamp: {text[:40]!r}…")
    if is_paris_date_line(text):
        return from_paris_date_line(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        # The email parser raises more than it documents on odd input (an overflowing year, a bad offset).
        except (TypeError, ValueError, IndexError, OverflowError, AttributeError) as exc:
            raise UnparseableTime(f"unknown timestamp form: {text!r}") from exc
        if parsed.tzinfo is None:
            # RFC 822 "-0000" means UTC with no information about local time.
            parsed = parsed.replace(tzinfo=UTC)
    if parsed.tzinfo is None:
        raise UnparseableTime(f"timestamp without an offset: {text!r}")
    return _checked(parsed, text)


def format_utc(moment: datetime) -> str:
    """Aware datetime → ``YYYY-MM-DDTHH:MM:SSZ``."""
    utc = _checked(moment, moment)
    # strftime's %Y does not pad years before 1000 on every platform: the fields are formatted by hand.
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def to_utc_string(value: object) -> str:
    """:func:`parse_timestamp` then :func:`format_utc`."""
    return format_utc(parse_timestamp(value))
