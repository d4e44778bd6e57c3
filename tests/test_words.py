"""The shared words: counts, shares, numbers, changes and time windows as people read them."""

import datetime as dt

import pytest

from driftline.words import (
    capital,
    change,
    count_of,
    during,
    listing,
    names,
    number,
    numbers,
    percent,
    plural,
    span,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 columns"), (1, "1 column"), (2, "2 columns"), (12345, "12,345 columns")],
)
def test_plural(n: int, expected: str) -> None:
    assert plural(n, "column") == expected


def test_irregular_plural_and_count_of() -> None:
    assert plural(1, "class", "classes") == "1 class"
    assert plural(3, "class", "classes") == "3 classes"
    assert count_of(0, 20, "column") == "0 of 20 columns"
    assert count_of(1, 1, "column") == "1 of 1 column"
    assert count_of(1200, 5000, "row") == "1,200 of 5,000 rows"


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0.0, "0%"),
        (0.0009, "under 0.1%"),
        (0.001, "0.1%"),
        (0.012, "1.2%"),
        (0.05, "5%"),
        (0.0996, "10%"),
        (0.1, "10%"),
        (0.456, "46%"),
        (0.99, "99%"),
        (0.994, "99.4%"),
        (0.9991, "over 99.9%"),
        (1.0, "100%"),
    ],
)
def test_percent_never_rounds_to_none_or_all(share: float, expected: str) -> None:
    assert percent(share) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (1.0, "1"),
        (0.9437, "0.944"),
        (0.91, "0.91"),
        (0.0142, "0.0142"),
        (0.00001234, "0.000012"),
        (12.43, "12.4"),
        (999.7, "1,000"),
        (1250.3, "1,250"),
        (-0.05, "-0.05"),
        (float("nan"), "n/a"),
        (None, "n/a"),
    ],
)
def test_number_shows_three_significant_digits(value: float | None, expected: str) -> None:
    assert number(value) == expected


def test_numbers_side_by_side_share_their_decimals() -> None:
    assert numbers(0.944, 0.93) == ("0.944", "0.930")
    assert numbers(0.91, 0.84) == ("0.91", "0.84")
    assert numbers(1250.0, 2000.0) == ("1,250", "2,000")
    assert numbers(1250.3, 0.5) == ("1,250.3", "0.5")


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0.91, 0.84, "fell from 0.91 to 0.84"),
        (3.2, 4.1, "rose from 3.2 to 4.1"),
        (0.9101, 0.9099, "stayed at 0.91"),
        (0.944, 0.93, "fell from 0.944 to 0.930"),
    ],
)
def test_change(before: float, after: float, expected: str) -> None:
    assert change(before, after) == expected


def test_listing_and_names() -> None:
    assert listing([]) == ""
    assert listing(["a", "b", "c"]) == "a, b and c"
    assert listing(["a", "b", "c", "d"]) == "a, b, c and 1 more"
    assert names(["age", "income", "region", "x", "y"], limit=2) == "`age`, `income` and 3 more"
    assert capital("estimated accuracy") == "Estimated accuracy"
    assert capital("`age` moved") == "`age` moved"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, 12, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(3, 14), at(3, 15), "Tue 3 Dec 14:00 to 15:00 UTC"),
        (at(3, 14, 0, 4), at(3, 14, 0, 8), "Tue 3 Dec 14:00:04 to 14:00:08 UTC"),
        # A daily window: the day, never "00:00 to 00:00".
        (at(3), at(4), "Tue 3 Dec"),
        (at(5), at(12), "Thu 5 Dec to Wed 11 Dec"),
        (at(3, 23), at(4), "Tue 3 Dec 23:00 to midnight UTC"),
        (at(3, 22), at(4, 2), "Tue 3 Dec 22:00 to Wed 4 Dec 02:00 UTC"),
        (at(3, 12), at(5, 12), "Tue 3 Dec 12:00 to Thu 5 Dec 12:00 UTC"),
        # Across a new year the year shows.
        (
            at(31, 22),
            dt.datetime(2025, 1, 1, 2, tzinfo=UTC),
            "Tue 31 Dec 2024 22:00 to Wed 1 Jan 2025 02:00 UTC",
        ),
        (at(31), dt.datetime(2025, 1, 2, tzinfo=UTC), "Tue 31 Dec 2024 to Wed 1 Jan 2025"),
        (at(31), dt.datetime(2025, 1, 1, tzinfo=UTC), "Tue 31 Dec"),
    ],
)
def test_span_names_the_day_whenever_it_changes(
    start: dt.datetime, end: dt.datetime, expected: str
) -> None:
    assert span(start, end) == expected


def test_span_reads_naive_and_other_zones_as_utc() -> None:
    naive = dt.datetime(2024, 12, 3, 14)
    assert span(naive, naive + dt.timedelta(hours=1)) == "Tue 3 Dec 14:00 to 15:00 UTC"
    paris = dt.timezone(dt.timedelta(hours=1))
    local = dt.datetime(2024, 12, 3, 15, tzinfo=paris)
    assert span(local, local + dt.timedelta(hours=1)) == "Tue 3 Dec 14:00 to 15:00 UTC"


def test_during_is_a_time_phrase() -> None:
    assert during(at(3), at(4)) == "on Tue 3 Dec"
    assert during(at(3, 14), at(3, 15)) == "from Tue 3 Dec 14:00 to 15:00 UTC"
    assert during(at(5), at(12)) == "from Thu 5 Dec to Wed 11 Dec"
