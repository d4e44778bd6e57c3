"""Finding and QualityReport: what a data check found, as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.io import json_safe

__all__ = ["SEVERITIES", "Finding", "QualityReport", "Severity", "ordered", "percent"]

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


def percent(share: float) -> str:
    """A share as people read it: "12%", "0.4%", "<0.1%"."""
    value = 100.0 * share
    if value == 0:
        return "0%"
    if value < 0.1:
        return "<0.1%"
    if value < 10 and round(value, 1) != round(value):
        return f"{value:.1f}%"
    return f"{value:.0f}%"


@dataclass(frozen=True)
class Finding:
    """One thing a data check noticed.

    ``check`` names the check (``"out_of_range"``, ``"leakage"``, ...),
    ``column`` the column it is about (None for the whole table),
    ``severity`` is ``"info"``, ``"warning"`` or ``"critical"``, ``message``
    says it in plain words, and ``details`` holds the numbers behind it.
    """

    check: str
    column: str | None
    severity: Severity
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "details": json_safe(self.details),
        }


@dataclass(frozen=True)
class QualityReport:
    """Is this batch fit to be scored by a model trained on the reference?

    ``findings`` are ordered most severe first; ``passed`` is true when none
    is critical. ``checks`` lists the checks that ran and ``skipped`` says why
    the others did not (no target given, no reference rows, ...).
    """

    findings: list[Finding]
    n_reference: int
    n_current: int
    columns: list[str]
    checks: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    alpha: float = 0.01
    target: str | None = None

    @property
    def passed(self) -> bool:
        return not any(f.severity == "critical" for f in self.findings)

    def by_severity(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def headline(self) -> str:
        """One sentence for people: the verdict and what it rests on."""
        critical = self.by_severity("critical")
        warnings = self.by_severity("warning")
        columns = len(self.columns)
        if not critical and not warnings:
            return f"Data check passed: no problems found in {columns} columns."
        parts = []
        if critical:
            parts.append(f"{len(critical)} critical problem{'s' if len(critical) != 1 else ''}")
        if warnings:
            parts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
        named = sorted({f.column for f in critical + warnings if f.column is not None})
        where = f" in {', '.join(named)}" if named else ""
        verdict = "Data check failed" if critical else "Data check passed with warnings"
        return f"{verdict}: {' and '.join(parts)}{where}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "headline": self.headline,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": list(self.columns),
            "target": self.target,
            "alpha": self.alpha,
            "checks": list(self.checks),
            "skipped": dict(self.skipped),
            "findings": [f.to_dict() for f in self.findings],
        }

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        style = "bold green" if self.passed and not self.by_severity("warning") else "bold"
        if not self.passed:
            style = "bold red"
        yield Text(self.headline, style=style)
        yield Text(
            f"rows: reference={self.n_reference:,} current={self.n_current:,}  "
            f"checks: {', '.join(self.checks)}",
            style="dim",
        )
        if self.findings:
            table = Table(show_edge=False, header_style="bold")
            table.add_column("severity")
            table.add_column("check")
            table.add_column("column")
            table.add_column("finding", overflow="fold")
            for f in self.findings:
                table.add_row(
                    Text(f.severity, style=_STYLE[f.severity]), f.check, f.column or "-", f.message
                )
            yield table
        for check, reason in self.skipped.items():
            yield Text(f"skipped {check}: {reason}", style="dim")


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first; within a severity, in the order the checks ran."""
    return sorted(findings, key=lambda f: -_RANK[f.severity])
