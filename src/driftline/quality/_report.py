"""QualityReport: what a data check found, as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from driftline.quality._finding import Finding, Severity
from driftline.quality._words import headline
from driftline.words import plural

__all__ = ["QualityReport"]

_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


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
        """One sentence for people: the verdict, what it rests on, and what to do."""
        return headline(
            self.by_severity("critical"), self.by_severity("warning"), len(self.columns)
        )

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
            f"Compared {plural(self.n_current, 'row')} with {plural(self.n_reference, 'row')} "
            f"of training data; checks: {', '.join(self.checks)}.",
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
