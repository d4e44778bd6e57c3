"""Check every blob the metadata database points at: each version's and each stored report's.

Reads go through the same check as every load (:meth:`ArtifactStore.check_blob`),
so what this finds is exactly what a load would refuse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftline.store._artifacts import BlobState
from driftline.store._schema import EvaluationRow, ModelRow, ModelVersionRow

if TYPE_CHECKING:
    from driftline.store._context import Context

__all__ = ["BlobCheck", "BlobReport", "verify_blobs"]

# Runtime names as a person reads them; an unknown one is shown as stored.
_RUNTIMES = {"onnx": "ONNX runtime", "guard": "input guard"}


@dataclasses.dataclass(frozen=True)
class BlobCheck:
    """One blob of one version (or one stored report) and what reading it found."""

    owner: str  # "churn:3", or "churn:3 evaluation #12"
    kind: str  # "model artifact", "ONNX runtime", "reference profile", "evaluation report"
    state: BlobState

    @property
    def ok(self) -> bool:
        return self.state.ok

    @property
    def problem(self) -> str:
        """What is wrong, in words; empty when the blob holds."""
        s = self.state
        if s.status == "missing":
            return f"missing from the store ({s.key})"
        if s.status == "unverifiable":
            return "no valid sha256 is recorded for it, so it cannot be verified"
        if s.status == "changed":
            due = "was recorded" if s.recorded else "is what its key names"
            return f"changed: its sha256 is now {(s.found or '')[:12]}; {s.expected[:12]} {due}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "kind": self.kind,
            "key": self.state.key,
            "status": self.state.status,
            "expected_sha256": self.state.expected,
            "found_sha256": self.state.found,
            "checked_against": "recorded" if self.state.recorded else "key",
        }


@dataclasses.dataclass(frozen=True)
class BlobReport:
    """Every blob checked, the versions and reports they belong to, and which ones fail."""

    store: str
    checks: list[BlobCheck]
    versions: int
    reports: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def bad(self) -> list[BlobCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def unrecorded(self) -> int:
        """Blobs of older versions checked against the digest in their key: none was recorded."""
        return sum(not c.state.recorded for c in self.checks)

    def summary(self) -> str:
        """One sentence for a person: all hold, or how many fail and what to do."""
        if not self.checks:
            return "nothing to check: no version has been registered in this workspace yet"
        blobs = _count(len(self.checks), "blob")
        scope = f"{_count(self.versions, 'version')} and {_count(self.reports, 'stored report')}"
        if self.ok:
            text = f"all {blobs} of {scope} match their sha256"
        else:
            text = (
                f"{len(self.bad)} of {blobs} of {scope} are missing or were changed after they "
                "were written, so driftline refuses to load them; restore them from a backup "
                f"of {self.store}, or register (or evaluate) those versions again"
            )
        if self.unrecorded:
            text += (
                f" ({_count(self.unrecorded, 'blob')} of versions made before digests were "
                "recorded had theirs checked against the digest their key names)"
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "store": self.store,
            "checked": len(self.checks),
            "versions": self.versions,
            "reports": self.reports,
            "unrecorded": self.unrecorded,
            "bad": [c.to_dict() for c in self.bad],
            "blobs": [c.to_dict() for c in self.checks],
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _blobs(ctx: Context) -> Iterator[tuple[str, str, str, str | None]]:
    """``(owner, kind, key, recorded sha256)`` of every blob the database points at."""
    with ctx.db.read() as s:
        versions = s.execute(
            select(ModelRow.name, ModelVersionRow)
            .join(ModelVersionRow, ModelVersionRow.model_id == ModelRow.id)
            .order_by(ModelRow.name, ModelVersionRow.version)
        ).all()
        reports = s.execute(
            select(EvaluationRow.id, EvaluationRow.model, EvaluationRow.version)
            .add_columns(EvaluationRow.report_key, EvaluationRow.report_sha256)
            .where(EvaluationRow.report_key.is_not(None))
            .order_by(EvaluationRow.id)
        ).all()
    for name, row in versions:
        ref = f"{name}:{row.version}"
        yield ref, "model artifact", row.artifact_key, row.artifact_sha256
        for runtime, info in sorted((row.runtimes or {}).items()):
            yield ref, _RUNTIMES.get(runtime, f"{runtime} runtime"), info["key"], info["sha256"]
        if row.profile_key is not None:
            yield ref, "reference profile", row.profile_key, row.profile_sha256
    for rid, model, version, key, sha in reports:
        yield f"{model}:{version} evaluation #{rid}", "evaluation report", key, sha


def verify_blobs(ctx: Context) -> BlobReport:
    """Hash every blob of every version and every stored report against its digest.

    A blob shared by several versions is read once. Raises :class:`StorageError`
    when the store itself cannot be read.
    """
    seen: dict[tuple[str, str | None], BlobState] = {}
    checks: list[BlobCheck] = []
    owners: set[str] = set()
    reports = 0
    for owner, kind, key, sha in _blobs(ctx):
        state = seen.get((key, sha)) or ctx.artifacts.check_blob(key, sha)
        seen[(key, sha)] = state
        checks.append(BlobCheck(owner, kind, state))
        if kind == "evaluation report":
            reports += 1
        else:
            owners.add(owner)
    return BlobReport(ctx.artifacts.url, checks, versions=len(owners), reports=reports)
