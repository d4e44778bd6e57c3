"""What a historical join and a materialization report: plain data, rendered elsewhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from driftline.features._words import coverage_sentence, materialized_sentence

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["Coverage", "HistoricalResult", "Materialized"]


@dataclasses.dataclass(frozen=True)
class Coverage:
    """How the entity rows fared against one view: values found, expired, or none yet."""

    view: str
    version: int | None
    features: tuple[str, ...]
    found: int
    expired: int
    missing: int

    @property
    def rows(self) -> int:
        return self.found + self.expired + self.missing

    def sentence(self) -> str:
        return coverage_sentence(
            self.view, len(self.features), self.rows, self.found, self.expired, self.missing
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"features": list(self.features)}


@dataclasses.dataclass(frozen=True)
class HistoricalResult:
    """The training rows of a point-in-time join: in ``table``, or written to ``path``."""

    rows: int
    coverage: tuple[Coverage, ...]
    table: pa.Table | None
    path: str | None
    seconds: float

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a pandas frame (read back from ``path`` when they were written there)."""
        from driftline.io import read_frame

        return self.table.to_pandas() if self.table is not None else read_frame(self.path)

    def sentences(self) -> list[str]:
        return [c.sentence() for c in self.coverage]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "path": self.path,
            "seconds": round(self.seconds, 3),
            "coverage": [c.to_dict() for c in self.coverage],
            "summary": self.sentences(),
        }


@dataclasses.dataclass(frozen=True)
class Materialized:
    """One view copied into the online store: which rows were read, how many entities changed."""

    view: str
    version: int | None
    store: str
    since: dt.datetime | None
    until: dt.datetime
    rows: int
    entities: int

    def sentence(self) -> str:
        since = f"since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else "in its history"
        return materialized_sentence(self.view, self.rows, self.entities, self.store, since)

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "version": self.version,
            "store": self.store,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "rows": self.rows,
            "entities": self.entities,
            "summary": self.sentence(),
        }
