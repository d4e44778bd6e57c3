"""Numbers in plain words, for the sentences driftline says to people.

Every judgement (an alert, a gate criterion, a data finding) is said in one
sentence that a reader who is not an engineer can act on: counts with their
nouns ("3 of 20 columns"), shares as percentages ("1.2% of rows"), changes
with their direction ("fell from 0.91 to 0.84"), time windows as days and
hours ("Tue 3 Dec 14:00 to 15:00 UTC"). The templates that build those
sentences live beside the reports they describe; these are the words they
share. Pure functions of their arguments: no locale, no clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

__all__ = [
    "capital",
    "change",
    "count_of",
    "during",
    "listing",
    "name",
    "names",
    "number",
    "numbers",
    "percent",
    "plural",
    "span",
]

# Not strftime's %a/%b: those follow the process locale, and a sentence must not.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAX_DECIMALS = 6


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """A count with its noun.

    >>> plural(1, "row"), plural(1200, "row"), plural(0, "class", "classes")
    ('1 row', '1,200 rows', '0 classes')
    """
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def count_of(k: int, n: int, noun: str, nouns: str | None = None) -> str:
    """A part of a whole; the noun agrees with the whole.

    >>> count_of(3, 20, "column"), count_of(1, 1, "column")
    ('3 of 20 columns', '1 of 1 column')
    """
    return f"{k:,} of {plural(n, noun, nouns)}"


def percent(share: float) -> str:
    """A share (0 to 1) as people read it; never "0%" or "100%" unless it is exactly that.

    >>> [percent(s) for s in (0, 0.0004, 0.012, 0.12, 0.995, 0.99996, 1)]
    ['0%', 'under 0.1%', '1.2%', '12%', '99.5%', 'over 99.9%', '100%']
    """
    value = 100.0 * share
    if value == 0 or value == 100:
        return f"{value:.0f}%"
    if value < 0.1:
        return "under 0.1%"
    if value > 99.9:
        return "over 99.9%"
    if value < 10 or value > 99:
        shown = f"{value:.1f}".removesuffix(".0")
        return f"{shown}%"
    return f"{value:.0f}%"


def _decimals(value: float) -> int:
    """Decimals that show three significant digits of ``value``."""
    if value == 0 or not math.isfinite(value):
        return 0
    return int(min(_MAX_DECIMALS, max(0, 2 - math.floor(math.log10(abs(value))))))


def _trim(texts: list[str]) -> list[str]:
    # Drop trailing zeros that every number has, so "0.910 to 0.840" reads "0.91 to 0.84".
    while all("." in t and t.endswith("0") for t in texts):
        texts = [t[:-1] for t in texts]
    return [t.removesuffix(".") for t in texts]


def number(value: float | None) -> str:
    """A measured value with three significant digits, without exponents.

    >>> [number(x) for x in (0.9437, 0.91, 12.43, 1250.3, 0.0142, 1.0, -0.05)]
    ['0.944', '0.91', '12.4', '1,250', '0.0142', '1', '-0.05']
    """
    return numbers(value)[0]


def numbers(*values: float | None, like: Iterable[float | None] = ()) -> tuple[str, ...]:
    """Several values side by side, with the same decimals so that they compare.

    The largest value shows three significant digits; a small one is not
    rounded away to 0. With ``like``, the decimals are those the values of
    ``like`` need: differences shown in the decimals of what they differ.

    >>> numbers(0.944, 0.93), numbers(0.91, 0.84), numbers(0.0348, 0.7413), numbers(None, 3)
    (('0.944', '0.930'), ('0.91', '0.84'), ('0.035', '0.741'), ('n/a', '3'))
    >>> numbers(-0.014, 0.0421, like=(0.93, 0.944))
    ('-0.014', '0.042')
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    scale = [v for v in like if v is not None and math.isfinite(v)] or finite
    # Three significant digits of the largest; more only so no value shows as a bare 0.
    decimals = _decimals(max(scale, key=abs, default=0.0))
    while decimals < _MAX_DECIMALS and any(v and float(f"{v:.{decimals}f}") == 0 for v in finite):
        decimals += 1
    shown = [f"{v:,.{decimals}f}" for v in finite]
    trimmed = iter(_trim(shown) if decimals else shown)
    return tuple(next(trimmed) if v is not None and math.isfinite(v) else "n/a" for v in values)


def change(before: float, after: float) -> str:
    """How a value moved, in words.

    >>> change(0.91, 0.84), change(3.2, 4.1), change(0.9101, 0.9099)
    ('fell from 0.91 to 0.84', 'rose from 3.2 to 4.1', 'stayed at 0.91')
    """
    old, new = numbers(before, after)
    if old == new:
        return f"stayed at {new}"
    return f"{'rose' if after > before else 'fell'} from {old} to {new}"


def name(text: object) -> str:
    """A column, class or value named in a sentence, set apart as the data spell it.

    >>> name("mean radius")
    '`mean radius`'
    """
    return f"`{text}`"


def listing(items: Iterable[str], limit: int = 3) -> str:
    """Items joined as in a sentence, the rest counted.

    >>> listing(["a"]), listing(["a", "b"]), listing(["a", "b", "c", "d", "e"])
    ('a', 'a and b', 'a, b, c and 2 more')
    """
    shown = list(items)
    rest = len(shown) - limit
    if rest > 0:
        shown = [*shown[:limit], f"{rest} more"]
    if len(shown) < 2:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def names(items: Iterable[object], limit: int = 3) -> str:
    """Names set apart and joined: "`a`, `b` and 3 more".

    >>> names(["income", "age"])
    '`income` and `age`'
    """
    return listing((name(i) for i in items), limit)


def capital(text: str) -> str:
    """The sentence with its first letter upper case (a name in backticks is left as it is).

    >>> capital("rows moved"), capital("`age` moved")
    ('Rows moved', '`age` moved')
    """
    return text[:1].upper() + text[1:]


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _day(when: dt.datetime, year: bool) -> str:
    text = f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]}"
    return f"{text} {when.year}" if year else text


def _whole_days(start: dt.datetime, end: dt.datetime) -> bool:
    return start.time() == dt.time(0) and end.time() == dt.time(0) and end > start


def span(start: dt.datetime, end: dt.datetime) -> str:
    """A time window ``[start, end)`` in words; the day shows whenever it changes.

    Whole days are named by day alone (the end is exclusive: a day's window
    ends at the next midnight); naive times are read as UTC.

    >>> t = dt.datetime(2026, 12, 1, 14, tzinfo=dt.UTC)
    >>> span(t, t + dt.timedelta(hours=1))
    'Tue 1 Dec 14:00 to 15:00 UTC'
    >>> span(t.replace(hour=0), t.replace(hour=0) + dt.timedelta(days=1))
    'Tue 1 Dec'
    >>> span(t.replace(hour=22), t + dt.timedelta(hours=12))
    'Tue 1 Dec 22:00 to Wed 2 Dec 02:00 UTC'
    """
    start, end = _utc(start), _utc(end)
    if _whole_days(start, end):
        last = end - dt.timedelta(days=1)
        year = start.year != last.year
        if last.date() == start.date():
            return _day(start, year)
        return f"{_day(start, year)} to {_day(last, year)}"
    precise = any(t.second or t.microsecond for t in (start, end))
    clock = "%H:%M:%S" if precise else "%H:%M"
    year = start.year != end.year and end.time() != dt.time(0)
    begin = f"{_day(start, year)} {start.strftime(clock)}"
    if end.date() == start.date():
        return f"{begin} to {end.strftime(clock)} UTC"
    if end.time() == dt.time(0) and end.date() - start.date() == dt.timedelta(days=1):
        return f"{begin} to midnight UTC"
    return f"{begin} to {_day(end, year)} {end.strftime(clock)} UTC"


def during(start: dt.datetime, end: dt.datetime) -> str:
    """:func:`span` as a time phrase: "on Tue 1 Dec", "from Tue 1 Dec 14:00 to 15:00 UTC".

    >>> t = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    >>> during(t, t + dt.timedelta(days=1)), during(t, t + dt.timedelta(days=7))
    ('on Tue 1 Dec', 'from Tue 1 Dec to Mon 7 Dec')
    """
    text = span(start, end)
    start, end = _utc(start), _utc(end)
    single_day = _whole_days(start, end) and end - start == dt.timedelta(days=1)
    return f"on {text}" if single_day else f"from {text}"
