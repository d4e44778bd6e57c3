"""Values in slices: numbers read from text, and values written back as text or words."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = ["format_number", "looks_numeric", "plain_value", "quote", "read_number", "shown"]


def format_number(value: Any) -> str:
    """A number as people read it: 60, 0.35, 1250000, 2.5e-05."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e7:
        return f"{x:.4g}" if abs(x) < 1 else f"{x:.6g}"
    return f"{x:.3g}"


def plain_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def looks_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float | np.number):
        return True
    return isinstance(value, str) and read_number(value) is not None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def read_number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | np.number):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.match(text):
            return int(text)
        if _NUMBER.match(text) or text.lower() in ("inf", "-inf", "+inf"):
            return float(text)
    return None


def shown(value: Any) -> str:
    number = read_number(value)
    return format_number(number) if number is not None else str(value)


_SPECIAL = re.compile(r"[,&<>=!\"'\s]|^$")


def quote(value: Any) -> str:
    if not isinstance(value, str):
        # repr: the shortest text that reads back as the same float
        return repr(float(value)) if isinstance(value, float) else str(value)
    if not _SPECIAL.search(value) and value.lower() not in ("and", "in", "is"):
        return value
    mark = "'" if '"' in value else '"'
    return f"{mark}{value}{mark}"
