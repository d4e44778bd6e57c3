"""The report's other parts (calibration, slices, data quality): read back and said in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline.quality import Finding, QualityReport
from driftline.words import plural

__all__ = [
    "calibration_from_dict",
    "calibration_sentence",
    "quality_from_dict",
    "slices_from_dict",
    "slices_sentences",
]

# Discovered slices said in words in the summary; the rest are in the table.
MAX_SLICE_SENTENCES = 3


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def calibration_from_dict(data: Mapping[str, Any] | None) -> Any:
    if data is None:
        return None
    from driftline.calibration import CalibrationReport

    return CalibrationReport.from_dict(dict(data))


def calibration_sentence(report: Any) -> str:
    text = _capital(str(report.summary))
    return text if text.endswith(".") else text + "."


def quality_from_dict(data: Mapping[str, Any] | None) -> QualityReport | None:
    """A QualityReport from its ``to_dict()`` (``passed`` and ``headline`` are derived again)."""
    if data is None:
        return None
    return QualityReport(
        findings=[
            Finding(
                check=f["check"],
                column=f.get("column"),
                severity=f["severity"],
                message=f["message"],
                details=dict(f.get("details") or {}),
            )
            for f in data.get("findings", [])
        ],
        n_reference=int(data["n_reference"]),
        n_current=int(data["n_current"]),
        columns=list(data.get("columns", [])),
        checks=list(data.get("checks", [])),
        skipped=dict(data.get("skipped", {})),
        alpha=float(data.get("alpha", 0.01)),
        target=data.get("target"),
    )


def slices_from_dict(data: Mapping[str, Any] | None) -> Any:
    if data is None:
        return None
    from driftline.slices import SliceReport

    return SliceReport.from_dict(dict(data))


def slices_sentences(slices: Any, weak: Any) -> list[str]:
    """What the slices say: each asked-for slice's line, and the worst slices found."""
    out: list[str] = []
    if slices is not None:
        worse = {id(f) for f in slices.significant}
        for f in slices.findings[:MAX_SLICE_SENTENCES]:
            text = _sentence(f.sentence)
            if id(f) in worse:
                text = text[:-1] + ", significantly worse than the rest."
            out.append(text)
        more = len(slices.findings) - MAX_SLICE_SENTENCES
        if more > 0:
            out.append(f"{plural(more, 'more slice')} in the table.")
    if weak is not None:
        found = list(weak.findings)
        if not found:
            out.append(
                "No group of rows is served significantly worse than the whole "
                f"({plural(weak.n_tested, 'group')} tested)."
            )
        else:
            k = len(found)
            out.append(
                f"{plural(k, 'group')} of rows {'are' if k != 1 else 'is'} served significantly "
                "worse than the whole: collect more labelled examples like them, or check their "
                "labels and inputs."
            )
            out += [_sentence(f.sentence) for f in found[:MAX_SLICE_SENTENCES]]
            if k > MAX_SLICE_SENTENCES:
                more = k - MAX_SLICE_SENTENCES
                out.append(f"{plural(more, 'more weak slice')} in the table.")
    return out


def _sentence(text: str) -> str:
    # Not capitalized: a slice's sentence starts with a column name, as the data spell it.
    text = text.strip()
    return text if text.endswith(".") else text + "."
