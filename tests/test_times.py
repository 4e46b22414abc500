from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rfi_news.normalize.times import (
    UnparseableTime,
    format_utc,
    from_epoch_ms,
    from_paris_date_line,
    parse_timestamp,
    to_utc_string,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30/12/2023 - 10:05", "2023-12-30T09:05:00Z"),  # winter: UTC+1 (the seed item)
        ("28/08/2023 - 22:35", "2023-08-28T20:35:00Z"),  # summer: UTC+2
        ("13/06/2022 - 01:58", "2022-06-12T23:58:00Z"),  # after midnight in Paris: the day before in UTC
        ("26/03/2023 - 01:59", "2023-03-26T00:59:00Z"),  # last minute of winter time
        ("26/03/2023 - 03:00", "2023-03-26T01:00:00Z"),  # first minute of summer time
        # 02:30 does not exist that night; zoneinfo with fold=0 reads it with the offset before the change.
        ("26/03/2023 - 02:30", "2023-03-26T01:30:00Z"),
        # 02:30 happens twice when summer time ends; fold=0 is the first (summer) one.
        ("29/10/2023 - 02:30", "2023-10-29T00:30:00Z"),
        ("29/10/2023 - 03:30", "2023-10-29T02:30:00Z"),
    ],
)
def test_paris_date_lines(raw: str, expected: str) -> None:
    assert to_utc_string(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-02-06T12:48:06+00:00", "2022-02-06T12:48:06Z"),  # article:published_time
        ("2025-11-30T09:32:10+01:00", "2025-11-30T08:32:10Z"),  # a rolling-news time[datetime]
        ("2025-11-30T09:13:47Z", "2025-11-30T09:13:47Z"),
        ("Sat, 30 Dec 2023 09:15:01 GMT", "2023-12-30T09:15:01Z"),  # RSS pubDate
        ("Sat, 30 Dec 2023 10:15:01 +0100", "2023-12-30T09:15:01Z"),
        (1703927701000, "2023-12-30T09:15:01Z"),  # the seed item's <!--epoch ms-->
        (1703927701999, "2023-12-30T09:15:01Z"),  # sub-seconds dropped, not rounded
    ],
)
def test_other_forms(raw: object, expected: str) -> None:
    assert to_utc_string(raw) == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "2023-12-30T10:05:00", "32/13/2023 - 10:05", None, True])
def test_unreadable_times_are_refused(raw: object) -> None:
    with pytest.raises(UnparseableTime):
        to_utc_string(raw)


@pytest.fixture(params=["Asia/Shanghai", "America/Los_Angeles"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's local time zone really set to another one for the test (``TZ`` + ``time.tzset``)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    try:
        yield request.param
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_machine_zone_fixture_changes_the_zone(machine_zone: str) -> None:
    offset_hours = {"Asia/Shanghai": 8, "America/Los_Angeles": -8}[machine_zone]
    assert time.localtime(0).tm_hour == offset_hours % 24  # 1970-01-01T00:00Z in local time
    assert datetime.fromtimestamp(0).hour == offset_hours % 24


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30/12/2023 - 10:05", "2023-12-30T09:05:00Z"),
        ("28/08/2023 - 22:35", "2023-08-28T20:35:00Z"),
        ("2025-11-30T09:32:10+01:00", "2025-11-30T08:32:10Z"),
        ("Sat, 30 Dec 2023 09:15:01 GMT", "2023-12-30T09:15:01Z"),
        ("Sat, 30 Dec 2023 09:15:01 -0000", "2023-12-30T09:15:01Z"),  # RFC 822: UTC, local time unknown
        (1703927701000, "2023-12-30T09:15:01Z"),
    ],
)
def test_conversions_do_not_depend_on_the_machine_zone(machine_zone: str, raw: object, expected: str) -> None:
    assert to_utc_string(raw) == expected


def test_format_does_not_depend_on_the_machine_zone(machine_zone: str) -> None:
    assert format_utc(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    # An aware time in another zone is converted, not printed as it stands.
    paris = datetime(2024, 7, 1, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert format_utc(paris) == "2024-07-01T00:30:00Z"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(UnparseableTime):
        to_utc_string(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    "raw",
    [
        "30/12/2023 - 10:05",
        "2025-11-30T09:32:10+01:00",
        "Sat, 30 Dec 2023 10:15:01 +0100",
        "Sat, 30 Dec 2023 09:15:01 -0000",
        1703927701000,
        datetime(2024, 7, 1, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
    ],
)
def test_parsed_times_are_utc_whatever_the_machine_zone(machine_zone: str, raw: object) -> None:
    parsed = parse_timestamp(raw)
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.tzinfo == UTC


def test_paris_date_line_and_epoch_ms_are_utc_datetimes(machine_zone: str) -> None:
    assert from_paris_date_line("30/12/2023 - 10:05") == datetime(2023, 12, 30, 9, 5, tzinfo=UTC)
    assert from_paris_date_line("30/12/2023 - 10:05").utcoffset() == timedelta(0)
    moment = from_epoch_ms(1703927701999)
    assert (moment, moment.microsecond, moment.utcoffset()) == (
        datetime(2023, 12, 30, 9, 15, 1, tzinfo=UTC),
        0,
        timedelta(0),
    )


def test_an_aware_datetime_is_converted() -> None:
    assert parse_timestamp(datetime(2024, 7, 1, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))) == datetime(
        2024, 7, 1, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("31/02/2023 - 10:00", "impossible date: '31/02/2023 - 10:00'"),
        ("yesterday", "unknown timestamp form: 'yesterday'"),
        ("2023-12-30T10:05:00", "timestamp without an offset: '2023-12-30T10:05:00'"),
        (datetime(2024, 1, 1), "naive datetime"),
        (None, "not a timestamp"),
    ],
)
def test_unreadable_times_say_why(raw: object, message: str) -> None:
    with pytest.raises(UnparseableTime) as raised:
        to_utc_string(raw)
    assert message in str(raised.value)


def test_a_line_that_is_no_date_line_says_so() -> None:
    with pytest.raises(UnparseableTime, match="not a DD/MM/YYYY - HH:MM date line: 'x'"):
        from_paris_date_line("x")


# --- The bounds and the reasons, as the WARNING of a dropped time says them ---


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("1900-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z"),
        ("2200-12-31T00:00:00+00:00", "2200-12-31T00:00:00Z"),
        (946_684_800_000, "2000-01-01T00:00:00Z"),  # the first plausible epoch millisecond
        (4_102_444_799_999, "2099-12-31T23:59:59Z"),  # the last one
    ],
)
def test_the_plausible_range_includes_its_bounds(raw: object, utc: str) -> None:
    assert to_utc_string(raw) == utc


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("1899-12-31T23:59:59+00:00", "implausible year 1899: '1899-12-31T23:59:59+00:00'"),
        ("2201-01-01T00:00:00+00:00", "implausible year 2201: '2201-01-01T00:00:00+00:00'"),
        ("01/01/1899 - 10:00", "implausible year 1899: '01/01/1899 - 10:00'"),
        (
            datetime(1800, 1, 1, tzinfo=UTC),
            "implausible year 1800: datetime.datetime(1800, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)",
        ),
        (4_102_444_800_000, "implausible epoch milliseconds (not 2000-2100): 4102444800000"),
        (1703927701, "implausible epoch milliseconds (not 2000-2100): 1703927701"),
        (None, "not a timestamp: 'None'"),
        (b"x" * 200, "not a timestamp: \"b'" + "x" * 98 + '"'),  # str(value)[:100]
        ("x" * 100, "unknown timestamp form: '" + "x" * 100 + "'"),  # 100 characters: still read
        ("x" * 101, "too long for a timestamp: '" + "x" * 40 + "'…"),
    ],
)
def test_what_makes_a_time_unreadable_is_said(raw: object, detail: str) -> None:
    with pytest.raises(UnparseableTime) as raised:
        to_utc_string(raw)
    assert (raised.value.reason, raised.value.detail) == ("unparseable_time", detail)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [("12a", "not epoch milliseconds: '12a'"), ("1" * 50 + "a", "not epoch milliseconds: '" + "1" * 40 + "'")],
)
def test_what_is_no_epoch_is_said(raw: str, detail: str) -> None:
    with pytest.raises(UnparseableTime) as raised:
        from_epoch_ms(raw)
    assert raised.value.detail == detail


def test_a_datetime_out_of_range_is_not_formatted() -> None:
    with pytest.raises(UnparseableTime) as raised:
        format_utc(datetime(1800, 1, 1, tzinfo=UTC))
    assert raised.value.detail == (
        "implausible year 1800: datetime.datetime(1800, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)"
    )
