"""Reading a policy file: every mistake names its key, its line, and the spelling meant.

``tomllib`` parses but keeps no positions, so the line of a key is found by
walking the table headers (``[rollout]``, ``[[alert]]``) and the keys under
them, inline tables and arrays of them included. Every check raises a
:class:`~driftline.errors.ConfigError` that reads::

    churn.toml: key 'rollout.steps[2].percent' (line 14) must be above 0 and at most 100, got 0
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from driftline.errors import ConfigError

__all__ = ["KeyPath", "Reader", "kind_of", "suggest"]

KeyPath = tuple[str | int, ...]  # keys, and positions in arrays of tables
_PERIOD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


def suggest(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for a near miss or a prefix of a known name; else ""."""
    options = sorted(known)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        close = [k for k in options if name and k.startswith(name)][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def kind_of(value: Any) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text"}
    names.update({list: "a list", dict: "a table", dt.datetime: "a date-time"})
    return names.get(type(value), type(value).__name__)


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class Reader:
    """Typed access to parsed TOML, raising errors that point into the text."""

    def __init__(self, text: str, where: str) -> None:
        self.lines = text.splitlines()
        self.where = where

    def error(self, path: KeyPath, problem: str) -> ConfigError:
        line = self.line(path)
        at = f" (line {line})" if line else ""
        return ConfigError(f"{self.where}: key {_dotted(path)!r}{at} {problem}")

    # -- where a key is written ------------------------------------------------------

    def line(self, path: KeyPath) -> int | None:
        """The line that sets ``path``, or the nearest enclosing one that can be found."""
        keys = [p for p in path if isinstance(p, str)]
        best: int | None = None
        table: list[str] = []
        counts: dict[str, int] = {}
        for number, text in enumerate(self.lines, 1):
            code = text.split("#", 1)[0]
            header = _HEADER.match(code)
            if header:
                table = [p.strip().strip("\"'") for p in header.group(2).split(".")]
                if header.group(1) == "[[":
                    name = ".".join(table)
                    counts[name] = counts.get(name, 0) + 1
                    if self._array_header(path, table, counts[name] - 1):
                        best = number
                elif keys[: len(table)] == table:
                    best = best if len(table) < len(keys) and best else number
                continue
            if not self._inside(path, table, counts):
                continue
            rest = keys[len(table) :]
            for depth in range(len(rest), 0, -1):
                if re.search(rf"(^|[{{,\s]){re.escape(rest[depth - 1])}\s*=", code):
                    if depth == len(rest) and self._nth_item(path, number):
                        return number
                    best = number if depth == len(rest) or best is None else best
                    break
        return best

    def _array_header(self, path: KeyPath, table: list[str], index: int) -> bool:
        head = [p for p in path[: len(table) + 1]]
        return head == [*table, index][: len(head)] and len(head) == len(table) + 1

    def _inside(self, path: KeyPath, table: list[str], counts: dict[str, int]) -> bool:
        keys = [p for p in path if isinstance(p, str)]
        if keys[: len(table)] != table:
            return False
        # Inside the right entry of an array of tables ([[alert]] number n).
        if len(path) > len(table) and isinstance(path[len(table)], int):
            return counts.get(".".join(table), 0) - 1 == path[len(table)]
        return True

    def _nth_item(self, path: KeyPath, number: int) -> bool:
        # For an item of an inline array (steps = [{...}, {...}]), the n-th "{" after the array.
        inline = [i for i, p in enumerate(path) if isinstance(p, int)]
        if not inline:
            return True
        index = path[inline[-1]]
        array = path[inline[-1] - 1]
        start = next(
            (
                n
                for n in range(number, 0, -1)
                if re.search(rf"(^|\s){re.escape(str(array))}\s*=", self.lines[n - 1])
            ),
            None,
        )
        if start is None:
            return True
        opened = "".join(self.lines[start - 1 : number]).count("{")
        return opened == int(index) + 1

    # -- typed values ----------------------------------------------------------------

    def keys(
        self, table: Mapping[str, Any], path: KeyPath, allowed: Iterable[str], what: str
    ) -> None:
        known = sorted(allowed)
        for key in table:
            if key not in known:
                raise self.error(
                    (*path, key),
                    f"is not a key of {what}{suggest(key, known)} (known: {', '.join(known)})",
                )

    def table(self, value: Any, path: KeyPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a table, got {kind_of(value)}")
        return value

    def tables(self, value: Any, path: KeyPath) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(path, f"must be a list of tables, got {kind_of(value)}")
        return value

    def number(
        self,
        value: Any,
        path: KeyPath,
        *,
        low: float | None = None,
        high: float | None = None,
        open_low: bool = False,
        whole: bool = False,
    ) -> Any:
        ok = isinstance(value, int) if whole else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value):
            want = "a whole number" if whole else "a number"
            raise self.error(path, f"must be {want}, got {kind_of(value)} {value!r}")
        too_low = low is not None and (value <= low if open_low else value < low)
        if too_low or (high is not None and value > high):
            lo = "" if low is None else f"{'above' if open_low else 'at least'} {low:g}"
            hi = "" if high is None else f"at most {high:g}"
            raise self.error(
                path, f"must be {' and '.join(p for p in (lo, hi) if p)}, got {value!r}"
            )
        return int(value) if whole else float(value)

    def text(self, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"must be text, got {kind_of(value)} {value!r}")
        return value.strip()

    def choice(self, value: Any, path: KeyPath, options: Sequence[str]) -> str:
        text = self.text(value, path)
        if text not in options:
            quoted = " or ".join(repr(o) for o in options)
            raise self.error(path, f"must be {quoted}, got {text!r}{suggest(text, options)}")
        return text

    def texts(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(path, f"must be a list of text, got {kind_of(value)} {value!r}")
        return tuple(value)

    def period(self, value: Any, path: KeyPath, *, zero: bool = False) -> dt.timedelta:
        """A duration written ``30s``, ``10m``, ``6h``, ``1d`` or ``2w``."""
        match = _PERIOD.match(value) if isinstance(value, str) else None
        seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else -1.0
        if seconds < 0 or (seconds == 0 and not zero):
            least = "" if zero else " above 0"
            raise self.error(
                path,
                f'must be a duration{least} like "30s", "10m", "6h" or "1d", '
                f"got {kind_of(value)} {value!r}",
            )
        return dt.timedelta(seconds=seconds)
