"""FairnessReport: how a model serves the groups of the attributes a person names."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import InputError
from driftline.fairness._words import (
    FOUR_FIFTHS,
    four_fifths_sentence,
    odds_sentence,
    small_group_sentence,
)
from driftline.metrics import Interval

__all__ = ["FORMAT", "AttributeFairness", "FairnessReport", "GroupFigures"]

FORMAT = 1


@dataclass(frozen=True)
class GroupFigures:
    """One group's size and figures, each with its bootstrap interval."""

    size: int
    selection_rate: Interval
    tpr: Interval
    fpr: Interval
    accuracy: Interval

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "selection_rate": self.selection_rate.to_dict(),
            "tpr": self.tpr.to_dict(),
            "fpr": self.fpr.to_dict(),
            "accuracy": self.accuracy.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupFigures:
        return cls(
            size=int(data["size"]),
            selection_rate=Interval.from_dict(data["selection_rate"]),
            tpr=Interval.from_dict(data["tpr"]),
            fpr=Interval.from_dict(data["fpr"]),
            accuracy=Interval.from_dict(data["accuracy"]),
        )


@dataclass(frozen=True)
class AttributeFairness:
    """The groups of one attribute and the disparities between them.

    ``disparities`` holds ``demographic_parity_difference`` (largest minus
    smallest selection rate), ``demographic_parity_ratio`` (smallest over
    largest), ``equalized_odds_difference`` (the larger of the spreads of
    true and false positive rates), and those two spreads.
    """

    column: str
    groups: dict[str, GroupFigures]
    disparities: dict[str, Interval]

    def __getitem__(self, name: str) -> Interval:
        return self.disparities[name]

    def extremes(self) -> tuple[str, str]:
        """The least and the most selected groups."""
        rated = [
            (g, f.selection_rate.value)
            for g, f in self.groups.items()
            if math.isfinite(f.selection_rate.value)
        ]
        low = min(rated, key=lambda gv: gv[1])[0]
        high = max(rated, key=lambda gv: gv[1])[0]
        return low, high

    def sentences(self, positive: str, min_group_rows: int = 30) -> list[str]:
        low, high = self.extremes()
        out = [
            four_fifths_sentence(
                self.column,
                low,
                self.groups[low].selection_rate.value,
                high,
                self.groups[high].selection_rate.value,
                positive,
            ),
            odds_sentence(
                self.column,
                self.disparities["tpr_difference"].value,
                self.disparities["fpr_difference"].value,
            ),
        ]
        out += [
            small_group_sentence(self.column, g, f.size, min_group_rows)
            for g, f in self.groups.items()
            if f.size < min_group_rows
        ]
        return out

    @property
    def below_four_fifths(self) -> bool:
        ratio = self.disparities["demographic_parity_ratio"].value
        return math.isfinite(ratio) and ratio < FOUR_FIFTHS

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "groups": {g: f.to_dict() for g, f in self.groups.items()},
            "disparities": {k: v.to_dict() for k, v in self.disparities.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttributeFairness:
        return cls(
            column=str(data["column"]),
            groups={str(g): GroupFigures.from_dict(f) for g, f in data["groups"].items()},
            disparities={str(k): Interval.from_dict(v) for k, v in data["disparities"].items()},
        )


@dataclass(frozen=True)
class FairnessReport:
    """Group fairness of a binary classifier for each sensitive attribute named."""

    positive: str
    n: int
    attributes: dict[str, AttributeFairness]
    confidence: float = 0.95
    n_resamples: int = 0
    min_group_rows: int = 30
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, column: str) -> AttributeFairness:
        return self.attributes[column]

    def sentences(self) -> list[str]:
        out: list[str] = []
        for attr in self.attributes.values():
            out += attr.sentences(self.positive, self.min_group_rows)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "positive": self.positive,
            "n": self.n,
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "min_group_rows": self.min_group_rows,
            "attributes": {k: a.to_dict() for k, a in self.attributes.items()},
            "summary": self.sentences(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FairnessReport:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InputError(
                f"fairness report format {data.get('format') if isinstance(data, Mapping) else None!r} "
                f"is not readable by this driftline (reads format {FORMAT}); upgrade driftline"
            )
        return cls(
            positive=str(data["positive"]),
            n=int(data["n"]),
            attributes={
                str(k): AttributeFairness.from_dict(v) for k, v in data["attributes"].items()
            },
            confidence=float(data.get("confidence", 0.95)),
            n_resamples=int(data.get("n_resamples", 0)),
            min_group_rows=int(data.get("min_group_rows", 30)),
            notes=[str(n) for n in data.get("notes", [])],
        )

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        for attr in self.attributes.values():
            table = Table(
                title=f"groups of {attr.column} (outcome {self.positive!r})",
                title_justify="left",
                show_edge=False,
                header_style="bold",
            )
            for head in ("group", "rows", "selection rate", "TPR", "FPR", "accuracy"):
                table.add_column(head, justify="left" if head == "group" else "right")
            for g, f in attr.groups.items():
                table.add_row(
                    g,
                    f"{f.size:,}",
                    *(str(iv) for iv in (f.selection_rate, f.tpr, f.fpr, f.accuracy)),
                )
            yield table
            for s in attr.sentences(self.positive, self.min_group_rows):
                yield Text(s)
