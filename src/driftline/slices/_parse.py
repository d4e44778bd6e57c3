"""The text form of a slice: "age>=60 and region=North", read with quotes respected."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from driftline.errors import InputError
from driftline.slices._condition import Condition
from driftline.slices._values import read_number

__all__ = ["parse_conditions"]

_SYNTAX = (
    "write column=value, column in a,b,c, column>=number, column<number, "
    "low<=column<high or column is missing, joined with ' and ' or '&'"
)


_OPERATOR = re.compile(r"<=|>=|==|!=|=|<|>")


@dataclass
class _Token:
    text: str
    quoted: bool = False
    operator: bool = False


def _split_top(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Split on ``pattern`` wherever it is outside quotes."""
    parts, start, i, quote = [], 0, 0, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch in "\"'":
            quote = ch
            i += 1
            continue
        found = pattern.match(text, i)
        if found and found.end() > i:
            parts.append(text[start:i])
            start = i = found.end()
            continue
        i += 1
    if quote:
        raise InputError(f"unclosed quote {quote} in slice {text!r}")
    parts.append(text[start:])
    return parts


_AND = re.compile(r"\s*&\s*|\s+and\s+", re.IGNORECASE)
_IN = re.compile(r"\s+in\s+", re.IGNORECASE)
_DANGLING = re.compile(r"^\s*(and|&)(\s|$)|(^|\s)(and|&)\s*$", re.IGNORECASE)
_COMMA = re.compile(r"\s*,\s*")
_MISSING = re.compile(r"^(.*?)\s+is\s+(missing|null|none|na|nan)\s*$", re.IGNORECASE)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _tokens(text: str) -> list[_Token]:
    """Names/values and comparison operators, quotes respected."""
    out: list[_Token] = []
    buf, i, quote = "", 0, ""
    quoted = False
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
            i += 1
            continue
        if ch in "\"'":
            # Space before a quote is layout ("region = 'North'"), not part of the value.
            buf = buf if buf.strip() else ""
            quote, quoted = ch, True
            i += 1
            continue
        if quoted and ch.isspace():
            i += 1  # nor is space after it
            continue
        op = _OPERATOR.match(text, i)
        if op:
            if buf.strip() or quoted:
                out.append(_Token(buf if quoted else buf.strip(), quoted=quoted))
            out.append(_Token(op.group(), operator=True))
            buf, quoted = "", False
            i = op.end()
            continue
        buf += ch
        i += 1
    if buf.strip() or quoted:
        out.append(_Token(buf if quoted else buf.strip(), quoted=quoted))
    return out


def _bound(token: _Token, part: str) -> Any:
    if token.operator or not token.text:
        raise InputError(f"cannot read {part!r}: a bound is missing; {_SYNTAX}")
    if token.quoted:
        return token.text
    number = read_number(token.text)
    return number if number is not None else token.text


def _parse_condition(part: str) -> Condition:
    missing = _MISSING.match(part)
    if missing:
        return Condition.missing(_unquote(missing.group(1)))
    pieces = _split_top(part, _IN)
    if len(pieces) == 2:
        values = [_unquote(v) for v in _split_top(pieces[1].strip().strip("()[]{}"), _COMMA)]
        if not all(values):
            raise InputError(f"cannot read {part!r}: an empty value in the list; {_SYNTAX}")
        return Condition.isin(_unquote(pieces[0]), values)
    tokens = _tokens(part)
    shape = "".join("o" if t.operator else "v" for t in tokens)
    if shape == "vov":
        name, op, value = tokens[0].text, tokens[1].text, tokens[2]
        if (
            read_number(name) is not None
            and not tokens[0].quoted
            and read_number(value.text) is None
        ):
            # "60<=age" reads as "age>=60"
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
            name, op, value = value.text, flipped.get(op, op), tokens[0]
        if op in ("=", "=="):
            return Condition.equals(name, value.text)
        if op == ">=":
            return Condition.between(name, low=_bound(value, part))
        if op == ">":
            return Condition.between(name, low=_bound(value, part), low_inclusive=False)
        if op == "<":
            return Condition.between(name, high=_bound(value, part))
        if op == "<=":
            return Condition.between(name, high=_bound(value, part), high_inclusive=True)
    if shape == "vovov":
        first, op1, middle, op2, last = tokens
        ascending = op1.text in ("<", "<=") and op2.text in ("<", "<=")
        descending = op1.text in (">", ">=") and op2.text in (">", ">=")
        if ascending:
            return Condition.between(
                middle.text,
                low=_bound(first, part),
                high=_bound(last, part),
                low_inclusive=op1.text == "<=",
                high_inclusive=op2.text == "<=",
            )
        if descending:
            return Condition.between(
                middle.text,
                low=_bound(last, part),
                high=_bound(first, part),
                low_inclusive=op2.text == ">=",
                high_inclusive=op1.text == ">=",
            )
    raise InputError(f"cannot read the slice condition {part.strip()!r}; {_SYNTAX}")


def parse_conditions(text: str, *, columns: Sequence[str] | None = None) -> tuple[Condition, ...]:
    """The conditions of a slice's text form; see :func:`~driftline.slices.parse_slice`."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"a slice needs at least one condition, got {text!r}; {_SYNTAX}")
    parts = _split_top(text.strip(), _AND)
    if any(not p.strip() for p in parts) or _DANGLING.search(text):
        raise InputError(f"slice {text.strip()!r} has an 'and' with nothing on one side; {_SYNTAX}")
    conditions = [_parse_condition(part) for part in parts]
    if columns is not None:
        known = list(columns)
        for c in conditions:
            if c.column not in known:
                raise InputError(
                    f"slice {text.strip()!r} names column {c.column!r}, which the data does not "
                    f"have; columns available: {', '.join(map(str, known))}"
                )
    return tuple(conditions)
