"""Reports of edge work: plain data with ``to_dict``, rendered by the CLI and READMEs."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from driftline.edge._measure import Agreement
from driftline.edge._words import exported_sentence

__all__ = ["ExportReport", "FormReport"]


@dataclasses.dataclass(frozen=True)
class FormReport:
    """One form measured: its size, how far it agrees, how fast it answers."""

    name: str
    size: int
    agreement: Agreement
    p50_ms_one_row: float
    rows_per_second: float  # in batches of 1024
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["agreement"] = self.agreement.to_dict()
        return d


@dataclasses.dataclass(frozen=True)
class ExportReport:
    """What was exported where, and the forms compared to choose it."""

    ref: str
    folder: Path
    form: str
    min_agreement: float
    checked_on: str
    forms: list[FormReport]
    sha256: str

    @property
    def exported(self) -> FormReport:
        return next(f for f in self.forms if f.name == self.form)

    @property
    def sentence(self) -> str:
        e = self.exported
        return exported_sentence(self.ref, e.name, e.agreement.share, e.agreement.rows, e.size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "folder": str(self.folder),
            "form": self.form,
            "min_agreement": self.min_agreement,
            "checked_on": self.checked_on,
            "sha256": self.sha256,
            "forms": [f.to_dict() for f in self.forms],
            "sentence": self.sentence,
        }
