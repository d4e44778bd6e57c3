"""Time windows: parse ``15m``/``1h``/``1d``, and cut a time range into aligned windows."""

from __future__ import annotations

import datetime as dt
import re

from driftline.errors import InputError

__all__ = ["align", "parse_period", "parse_since", "windows"]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PERIOD = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_period(text: str) -> dt.timedelta:
    """``"1h"`` -> one hour. Units: s, m, h, d, w."""
    match = _PERIOD.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"window {text!r} is not a period: use a number and a unit, like 15m, 1h or 1d"
        )
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_since(text: str, *, now: dt.datetime) -> dt.datetime:
    """An ISO date-time (UTC unless it says otherwise) or a period back from ``now`` (``7d``)."""
    if _PERIOD.match(text):
        return now - parse_period(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--since {text!r} is neither a date-time (2026-11-20 or 2026-11-20T10:00) "
            "nor a period back from now (7d)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def align(when: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """The start of the window holding ``when``: windows are aligned to the Unix epoch."""
    offset = (when - EPOCH) % period
    return when - offset


def windows(
    start: dt.datetime, end: dt.datetime, period: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Aligned ``[start, end)`` windows covering ``start`` to ``end`` inclusive."""
    out = []
    edge = align(start, period)
    while edge <= end:
        out.append((edge, edge + period))
        edge += period
    return out
