"""CalibrationResult: what ``calibrate`` did, measured before and after on held-out rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from driftline.calibration._report import CalibrationReport
from driftline.words import change, plural

__all__ = ["CalibrationResult"]

FORMAT = 1


@dataclass(frozen=True)
class CalibrationResult:
    """A recalibration of ``parent``: the method chosen, and calibration before and after.

    Both reports are measured on the ``n_eval`` held-out rows, which the
    calibrator never saw (it was fitted on the other ``n_fit``). ``version``
    is the new registered version, or None when recalibrating would not have
    helped (the chosen method was ``identity``) and nothing was registered.
    """

    model: str
    parent: int
    version: int | None
    method: str
    reason: str
    before: CalibrationReport
    after: CalibrationReport
    n_fit: int
    n_eval: int
    dataset: str
    seed: int
    calibrator: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str | None:
        """The new version's reference, ``name:VERSION``."""
        return f"{self.model}:{self.version}" if self.version is not None else None

    @property
    def improved(self) -> bool:
        return self.after.log_loss < self.before.log_loss

    @property
    def summary(self) -> str:
        """One sentence: what changed, and what was registered."""
        ece = change(self.before.ece, self.after.ece)
        loss = change(self.before.log_loss, self.after.log_loss)
        if self.version is None:
            return (
                f"{self.model}:{self.parent} needs no recalibration ({self.reason}); "
                "no new version was registered, and there is nothing to do"
            )
        return (
            f"{self.method.capitalize()} recalibration of {self.model}:{self.parent}: the gap "
            f"between the chances it states and what happens (ECE) {ece}, and log loss {loss}, "
            f"on {plural(self.n_eval, 'held-out row')}, and it is registered as {self.ref}; judge "
            f"it before release (driftline gate {self.model} --candidate {self.version})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "calibration",
            "model": self.model,
            "parent": self.parent,
            "version": self.version,
            "method": self.method,
            "reason": self.reason,
            "n_fit": self.n_fit,
            "n_eval": self.n_eval,
            "dataset": self.dataset,
            "seed": self.seed,
            "calibrator": dict(self.calibrator),
            "selection": dict(self.selection),
            "summary": self.summary,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CalibrationResult:
        return cls(
            model=data["model"],
            parent=data["parent"],
            version=data["version"],
            method=data["method"],
            reason=data["reason"],
            before=CalibrationReport.from_dict(data["before"]),
            after=CalibrationReport.from_dict(data["after"]),
            n_fit=data["n_fit"],
            n_eval=data["n_eval"],
            dataset=data["dataset"],
            seed=data["seed"],
            calibrator=dict(data.get("calibrator", {})),
            selection=dict(data.get("selection", {})),
        )

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        # Model names are the user's spelling: never capitalize the sentence.
        yield Text(self.summary + ".", style="bold")
        yield Text(f"Method: {self.reason}.")
        table = Table(show_edge=False, header_style="bold")
        table.add_column(f"on {self.n_eval:,} held-out rows")
        table.add_column("before", justify="right")
        table.add_column("after", justify="right")
        rows = (
            ("ECE (equal-width bins)", "ece"),
            ("ECE (equal-mass bins)", "ece_equal_mass"),
            ("MCE", "mce"),
            ("Brier score", "brier"),
            ("log loss", "log_loss"),
        )
        for label, name in rows:
            b, a = getattr(self.before, name), getattr(self.after, name)
            style = "green" if a < b else ("red" if a > b else "")
            table.add_row(label, f"{b:.4f}", Text(f"{a:.4f}", style=style))
        table.add_row(
            "ECE chance level", f"{self.before.ece_chance:.4f}", f"{self.after.ece_chance:.4f}"
        )
        yield table
        yield Text(f"Before: {self.before.summary}.")
        yield Text(f"After: {self.after.summary}.")
        if self.version is not None:
            yield Text(f"New version: {self.ref} (parent {self.model}:{self.parent})", style="bold")
