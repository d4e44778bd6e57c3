"""Entity keys as text, the same at materialization and at lookup; near-miss names for errors.

The online stores keep one row per entity under a text key. A key made by
materializing a Parquet column of integers must equal the key made from the
JSON number of a request, so values are written in one canonical way: whole
numbers without a decimal point (``17``, also for ``17.0``), text as it is,
and the parts of a compound key joined by a unit separator.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["close_match", "key_text", "key_texts"]

_SEPARATOR = "\x1f"


def key_text(parts: Sequence[Any]) -> str | None:
    """The text key of one entity (its key columns' values); None when a part is missing."""
    out = []
    for value in parts:
        text = _part(value)
        if text is None:
            return None
        out.append(text)
    return _SEPARATOR.join(out)


def key_texts(columns: Sequence[Sequence[Any]]) -> list[str | None]:
    """Text keys of many entities, given each key column's values."""
    if len(columns) == 1:
        return [_part(v) for v in columns[0]]
    return [key_text(parts) for parts in zip(*columns, strict=True)]


def _part(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return _part(item())
    return str(value)


def close_match(name: str, known: Sequence[str]) -> str:
    """ "; did you mean 'x'?" for a near miss among ``known``, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
