"""AuditFinding and AuditReport: what the screening of training data found, as plain data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.io import json_safe
from driftline.words import plural

__all__ = ["FORMAT", "AuditFinding", "AuditReport", "Severity"]

FORMAT = 1
Severity = Literal["info", "warning", "critical"]
_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class AuditFinding:
    """One thing the audit noticed.

    ``check`` is ``label_issues``, ``duplicates``, ``near_duplicates``,
    ``eval_leakage``, ``outliers``, ``leaky_feature`` or ``echo_labels``;
    ``rows`` are the row numbers concerned (the first data row is 1), ``keys``
    their key values when a key column was named.
    """

    check: str
    severity: Severity
    message: str
    rows: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    column: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "column": self.column,
            "message": self.message,
            "rows": list(self.rows),
            "keys": list(self.keys),
            "details": json_safe(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditFinding:
        return cls(
            check=str(data["check"]),
            severity=data["severity"],
            message=str(data["message"]),
            rows=[int(r) for r in data.get("rows", [])],
            keys=[str(k) for k in data.get("keys", [])],
            column=data.get("column"),
            details=dict(data.get("details") or {}),
        )


@dataclass
class AuditReport:
    """The screening of one training table: its findings, most severe first."""

    n_rows: int
    target: str
    model: str
    dataset: str
    findings: list[AuditFinding]
    n_eval: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No critical finding: the data is clean enough to train on."""
        return not any(f.severity == "critical" for f in self.findings)

    def by_check(self, check: str) -> AuditFinding | None:
        return next((f for f in self.findings if f.check == check), None)

    @property
    def headline(self) -> str:
        critical = sum(f.severity == "critical" for f in self.findings)
        warnings = sum(f.severity == "warning" for f in self.findings)
        rows = plural(self.n_rows, "training row")
        if critical:
            return (
                f"The audit of {rows} found {plural(critical, 'serious problem')} to fix before "
                f"training, and {plural(warnings, 'warning') if warnings else 'no warning'}."
            )
        if warnings:
            return (
                f"The audit of {rows} found no serious problem and {plural(warnings, 'warning')}."
            )
        return f"The audit of {rows} found nothing to fix."

    def sentences(self) -> list[str]:
        return [self.headline, *(f.message for f in self.findings)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "data_audit",
            "n_rows": self.n_rows,
            "n_eval": self.n_eval,
            "target": self.target,
            "model": self.model,
            "dataset": self.dataset,
            "passed": self.passed,
            "headline": self.headline,
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditReport:
        return cls(
            n_rows=int(data["n_rows"]),
            target=str(data["target"]),
            model=str(data["model"]),
            dataset=str(data["dataset"]),
            findings=[AuditFinding.from_dict(f) for f in data.get("findings", [])],
            n_eval=data.get("n_eval"),
            notes=[str(n) for n in data.get("notes", [])],
        )

    def add(self, finding: AuditFinding | None) -> None:
        if finding is not None:
            self.findings.append(finding)
            self.findings.sort(key=lambda f: -_RANK[f.severity])

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.text import Text

        yield Text(self.headline, style="bold")
        style = {"critical": "red", "warning": "yellow", "info": "dim"}
        for f in self.findings:
            yield Text(f"{f.severity:>8}  {f.message}", style=style[f.severity])
        for note in self.notes:
            yield Text(f"note: {note}", style="dim")
