"""Are the expected columns there, and do they hold the kind of values the model was trained on?

Each present column is converted to the kind the reference expects, so the
checks that follow compare like with like; a column that cannot be converted
is reported once here and left out of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from driftline.errors import InputError
from driftline.quality import _words as words
from driftline.quality._finding import Finding
from driftline.quality._input import Expect, column_values
from driftline.stats import Kind, kind_of

__all__ = ["check_presence", "check_types", "fmt_value"]

_WORDS = {
    "numeric": "numbers",
    "boolean": "true/false values",
    "categorical": "text",
    "datetime": "dates",
}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def fmt_value(value: float | None, kind: str = "numeric") -> str:
    """A number or a date as people write it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "datetime":
        stamp = pd.Timestamp(value, unit="s", tz="UTC")
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M UTC")
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def check_presence(
    expect: dict[str, Expect], columns: Sequence[str], target: str | None = None
) -> list[Finding]:
    """Missing expected columns (critical) and columns the model does not know (info)."""
    findings = []
    have = set(columns)
    missing = [name for name in expect if name not in have]
    for name in missing:
        findings.append(
            Finding(
                "missing_column",
                name,
                "critical",
                words.missing_column(name),
                {"expected": list(expect)},
            )
        )
    extra = [name for name in columns if name not in expect and name != target]
    if extra:
        findings.append(
            Finding(
                "extra_columns",
                None,
                "info",
                words.extra_columns(extra),
                {"columns": extra},
            )
        )
    return findings


def check_types(
    expect: dict[str, Expect], table: pa.Table
) -> tuple[list[Finding], dict[str, np.ndarray]]:
    """Findings about value kinds, and each usable column converted to its expected kind."""
    findings: list[Finding] = []
    values: dict[str, np.ndarray] = {}
    for name, e in expect.items():
        if name not in table.column_names:
            continue
        column = table.column(name)
        if pa.types.is_null(column.type):
            # Every value is missing: nothing to type-check; the missing-value check reports it.
            values[name] = _all_missing(e.kind, len(column))
            continue
        try:
            got = kind_of(name, column.type)
        except InputError:
            findings.append(_wrong(e, f"values of type {column.type}", {"type": str(column.type)}))
            continue
        converted, finding = _convert(e, got, table, name)
        if finding is not None:
            findings.append(finding)
        if converted is not None:
            values[name] = converted
            if e.integer:
                findings.extend(_fractions(e, converted))
    return findings, values


def _all_missing(kind: Kind, n: int) -> np.ndarray:
    if kind == "categorical":
        return np.full(n, None, dtype=object)
    return np.full(n, np.nan)


def _convert(
    e: Expect, got: Kind, table: pa.Table, name: str
) -> tuple[np.ndarray | None, Finding | None]:
    if got == e.kind or (e.kind == "numeric" and got == "boolean"):
        return column_values(table, name, got), None
    if e.kind == "categorical":
        # Codes read as numbers (zip codes, store ids) still compare as text.
        text = column_values(table, name, "categorical")
        return text, Finding(
            "type",
            name,
            "warning",
            words.text_now(name, _WORDS[got]),
            {"expected": e.kind, "got": got},
        )
    if e.kind == "boolean" and got == "numeric":
        numbers = column_values(table, name, "numeric")
        bad = ~np.isnan(numbers) & ~np.isin(numbers, (0.0, 1.0))
        if not bad.any():
            return numbers, None
        return None, _wrong(e, "numbers other than 0 and 1", _example(numbers, bad))
    if got == "categorical":
        text = column_values(table, name, "categorical")
        present = np.array([v is not None for v in text], dtype=bool)
        parsed = _parse(text, e.kind)
        bad = present.copy() if parsed is None else present & np.isnan(parsed)
        if parsed is not None and not bad.any():
            return parsed, None
        return None, _wrong(e, "text", _example(text, bad))
    return None, _wrong(e, _WORDS[got], {"got": got})


def _parse(text: np.ndarray, kind: Kind) -> np.ndarray | None:
    """Text parsed as ``kind`` (NaN where it does not parse), or None if it cannot be."""
    series = pd.Series(text, dtype=object)
    if kind == "numeric":
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if kind == "boolean":
        lowered = series.str.strip().str.lower()
        out = np.full(text.size, np.nan)
        out[lowered.isin(_TRUE).to_numpy()] = 1.0
        out[lowered.isin(_FALSE).to_numpy()] = 0.0
        return out
    if kind == "datetime":
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return seconds.to_numpy(dtype=float, na_value=np.nan)
    return None


def _example(values: np.ndarray, bad: np.ndarray) -> dict[str, object]:
    if values.dtype == object:
        present = int(np.count_nonzero([v is not None for v in values]))
    else:
        present = int(np.count_nonzero(~np.isnan(values)))
    examples = [v.item() if isinstance(v, np.generic) else v for v in values[bad][:3]]
    return {"n_bad": int(np.count_nonzero(bad)), "n_present": present, "examples": examples}


def _wrong(e: Expect, got: str, details: dict[str, object]) -> Finding:
    n_bad, n_present = details.get("n_bad"), details.get("n_present")
    examples = details.get("examples")
    example = examples[0] if isinstance(examples, list) and examples else None
    counted = isinstance(n_bad, int) and isinstance(n_present, int)
    return Finding(
        "type",
        e.name,
        "critical",
        words.wrong_kind(
            e.name,
            _WORDS[e.kind],
            got,
            n_bad if counted else None,  # type: ignore[arg-type]
            n_present if counted else None,  # type: ignore[arg-type]
            example,
        ),
        {"expected": e.kind, **details},
    )


def _fractions(e: Expect, values: np.ndarray) -> list[Finding]:
    present = values[~np.isnan(values)]
    fractional = present != np.floor(present)
    if not fractional.any():
        return []
    n = int(np.count_nonzero(fractional))
    return [
        Finding(
            "type",
            e.name,
            "warning",
            words.fractions(e.name, n, int(present.size), float(present[fractional][0])),
            {"n_bad": n, "n_present": int(present.size), "expected": "integer"},
        )
    ]
