from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.srs.days import day_start_utc, local_day, overdue_ratio, sort_key
from tests.property import examples

NY = "America/New_York"
BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_around_midnight_and_the_four_oclock_boundary() -> None:
    # Berlin in winter is UTC+1.
    assert local_day(utc(2026, 1, 14, 22, 59), BERLIN) == date(2026, 1, 14)  # 23:59 local
    assert local_day(utc(2026, 1, 14, 23, 0), BERLIN) == date(2026, 1, 14)  # 00:00 local
    assert local_day(utc(2026, 1, 15, 1, 30), BERLIN) == date(2026, 1, 14)  # 02:30 local
    assert local_day(utc(2026, 1, 15, 2, 59, 59), BERLIN) == date(2026, 1, 14)  # 03:59:59
    assert local_day(utc(2026, 1, 15, 3, 0), BERLIN) == date(2026, 1, 15)  # 04:00 local


def test_configurable_start_hour() -> None:
    moment = utc(2026, 1, 15, 1, 30)  # 02:30 in Berlin
    assert local_day(moment, BERLIN, 0) == date(2026, 1, 15)
    assert local_day(moment, BERLIN, 2) == date(2026, 1, 15)
    assert local_day(moment, BERLIN, 3) == date(2026, 1, 14)


def test_accepts_any_aware_datetime_but_not_naive() -> None:
    plus9 = datetime(2026, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=9)))  # 01:30 UTC
    assert local_day(plus9, BERLIN) == date(2026, 1, 14)
    with pytest.raises(ValueError):
        local_day(datetime(2026, 1, 15, 12), BERLIN)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "not a zone"])
def test_unknown_time_zone(tz: str) -> None:
    with pytest.raises(ValueError):
        local_day(utc(2026, 1, 1), tz)
    with pytest.raises(ValueError):
        day_start_utc(date(2026, 1, 1), tz)


@pytest.mark.parametrize("hour", [-1, 24])
def test_bad_start_hour(hour: int) -> None:
    with pytest.raises(ValueError):
        local_day(utc(2026, 1, 1), NY, hour)


def test_new_york_spring_forward() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); the day is 23 hours long.
    assert local_day(utc(2026, 3, 8, 7, 59), NY) == date(2026, 3, 7)  # 03:59 EDT
    assert local_day(utc(2026, 3, 8, 8, 0), NY) == date(2026, 3, 8)  # 04:00 EDT
    assert day_start_utc(date(2026, 3, 8), NY) == utc(2026, 3, 8, 8)
    assert day_start_utc(date(2026, 3, 9), NY) - day_start_utc(date(2026, 3, 8), NY) == timedelta(
        hours=24
    )
    assert day_start_utc(date(2026, 3, 8), NY) - day_start_utc(date(2026, 3, 7), NY) == timedelta(
        hours=23
    )


def test_new_york_fall_back() -> None:
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00 UTC); the day is 25 hours long.
    assert local_day(utc(2026, 11, 1, 8, 59), NY) == date(2026, 10, 31)  # 03:59 EST
    assert local_day(utc(2026, 11, 1, 9, 0), NY) == date(2026, 11, 1)  # 04:00 EST
    assert local_day(utc(2026, 11, 1, 5, 30), NY) == date(2026, 10, 31)  # 01:30 EDT
    assert local_day(utc(2026, 11, 1, 6, 30), NY) == date(2026, 10, 31)  # 01:30 EST
    assert day_start_utc(date(2026, 11, 1), NY) - day_start_utc(date(2026, 10, 31), NY) == (
        timedelta(hours=25)
    )


def test_berlin_dst_changes() -> None:
    # 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    assert day_start_utc(date(2026, 3, 29), BERLIN) == utc(2026, 3, 29, 2)  # 04:00 CEST
    assert local_day(utc(2026, 3, 29, 1, 59), BERLIN) == date(2026, 3, 28)  # 03:59 CEST
    assert day_start_utc(date(2026, 10, 25), BERLIN) == utc(2026, 10, 25, 3)  # 04:00 CET
    assert local_day(utc(2026, 10, 25, 2, 30), BERLIN) == date(2026, 10, 24)  # 03:30 CET


def test_start_hour_in_a_dst_gap_begins_when_the_clock_jumps() -> None:
    # 02:00 does not exist in New York on 2026-03-08: the day starts at 03:00 EDT = 07:00 UTC.
    start = day_start_utc(date(2026, 3, 8), NY, 2)
    assert start == utc(2026, 3, 8, 7)
    assert local_day(start, NY, 2) == date(2026, 3, 8)
    assert local_day(start - timedelta(microseconds=1), NY, 2) == date(2026, 3, 7)


def test_repeated_start_hour_begins_at_first_occurrence() -> None:
    # 01:00 happens twice in New York on 2026-11-01; the first is 05:00 UTC (EDT).
    start = day_start_utc(date(2026, 11, 1), NY, 1)
    assert start == utc(2026, 11, 1, 5)
    assert local_day(start - timedelta(seconds=1), NY, 1) == date(2026, 10, 31)
    assert local_day(utc(2026, 11, 1, 6, 30), NY, 1) == date(2026, 11, 1)  # second 01:30


def test_half_hour_dst_gap() -> None:
    # Lord Howe Island springs forward 02:00 -> 02:30 local on 2026-10-04 (15:30 UTC, Oct 3).
    start = day_start_utc(date(2026, 10, 4), "Australia/Lord_Howe", 2)
    assert start == utc(2026, 10, 3, 15, 30)
    assert local_day(start, "Australia/Lord_Howe", 2) == date(2026, 10, 4)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31)),
    st.sampled_from([NY, BERLIN, "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia"]),
    st.integers(0, 23),
)
def test_day_start_is_the_first_instant_of_the_local_day(day: date, tz: str, hour: int) -> None:
    start = day_start_utc(day, tz, hour)
    assert start.tzinfo is UTC
    assert local_day(start, tz, hour) >= day
    assert local_day(start - timedelta(microseconds=1), tz, hour) < day


def test_overdue_ratio() -> None:
    today = date(2026, 5, 10)
    assert overdue_ratio(date(2026, 5, 7), today, 2) == 1.5
    assert overdue_ratio(date(2026, 4, 30), today, 100) == 0.1
    assert overdue_ratio(today, today, 10) == 0.0
    assert overdue_ratio(date(2026, 5, 8), today, 0) == 2.0  # interval 0 counts as 1
    assert overdue_ratio(date(2026, 5, 12), today, 4) == -0.5  # not due yet


def test_sort_most_overdue_relative_first_then_new() -> None:
    today = date(2026, 5, 10)
    items = [
        ("new-a", None, 0),
        ("long", date(2026, 4, 30), 100),  # 10 days late on 100: 0.1
        ("short", date(2026, 5, 7), 2),  # 3 days late on 2: 1.5
        ("new-b", None, 0),
        ("today", today, 6),  # 0.0
        ("mid", date(2026, 5, 5), 10),  # 0.5
    ]
    ordered = sorted(items, key=lambda it: sort_key(it[1], today, it[2]))
    assert [name for name, _, _ in ordered] == ["short", "mid", "long", "today", "new-a", "new-b"]
