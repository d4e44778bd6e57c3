"""What a batch run reports: counts, where things went, and one sentence."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

__all__ = ["BatchRun", "Progress"]


class Progress(Protocol):
    """Told how far a run is; the CLI draws a bar from it (nothing is drawn otherwise)."""

    def start(self, total: int | None, done: int) -> None:
        """``total`` rows (None when unknown, as for CSV), ``done`` already committed."""

    def advance(self, rows: int) -> None:
        """``rows`` more rows committed."""


@dataclasses.dataclass(frozen=True)
class BatchRun:
    """The outcome of ``driftline batch score``."""

    model: str
    version: int
    engine: str
    input: str
    input_fingerprint: str
    output: str
    rejects: str
    profile: str | None  # the merged profile's path, beside the output
    rows: int
    scored: int
    rejected: int
    partitions: int
    resumed: int  # partitions an earlier run had committed, kept as they were
    nothing_to_do: bool  # the job was complete before this run started
    manifest_digest: str
    seconds: float  # the whole run: loading the model and reading what was skipped too
    rows_per_second: float  # rows this run scored, over the time spent scoring them
    sentence: str
    audit_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
