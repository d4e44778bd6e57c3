"""Finding: one thing a data check noticed, with its severity, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.io import json_safe

__all__ = ["SEVERITIES", "Finding", "Severity", "ordered"]

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


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


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first; within a severity, in the order the checks ran."""
    return sorted(findings, key=lambda f: -_RANK[f.severity])
