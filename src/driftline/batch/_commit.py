"""Committing scored partitions: files atomically, then the manifest; the log before both.

Layout of an output folder (Parquet shown; CSV when the folder's name ends
in ``.csv``)::

    out/part-000000.parquet        predictions beside each row's key
    out/_rejects/part-000003.parquet   rows that broke the signature, with the reason
    out/_profiles/part-000000.json    each partition's profile against the reference
    out/_profile.json                 their merge: the profile of everything scored
    out/_manifest.json                the job, and each committed partition's sha256

Names starting with "_" are what readers of the folder skip (driftline.io,
Arrow, Spark, pandas), so the folder reads as the predictions alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from driftline.batch._manifest import Manifest, Part, write_atomic
from driftline.errors import StorageError
from driftline.io import table_bytes
from driftline.stats import Profile

if TYPE_CHECKING:
    from driftline.batch._partition import Scored
    from driftline.privacy import Redactor
    from driftline.store import InferenceLog

__all__ = ["PROFILE", "Committer"]

PROFILE = "_profile.json"
PROFILES = "_profiles"
REJECTS = "_rejects"


class Committer:
    """Writes each scored partition into ``folder`` and records it in the manifest."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        *,
        rejects: Path | None = None,
        log: InferenceLog | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.folder = folder
        self.redactor = redactor  # the rejects' personal values, redacted before they are written
        self.manifest = manifest
        self.fmt = manifest.job.fmt
        self.rejects = rejects if rejects is not None else folder / REJECTS
        self.log = log
        self.committed = 0  # partitions this run committed
        self.scored = 0  # rows this run scored
        self.profile_sha256: str | None = None  # the merged profile's, once finished
        self.profile_rows = 0

    def commit(self, scored: Scored) -> Part:
        """Make ``scored`` durable; only then does the manifest name it."""
        if self.log is not None and scored.log:
            # Logged before the partition is committed: a kill in between logs these rows
            # again on the rerun, under the same request ids (so they can be told apart),
            # rather than leaving a committed partition the monitor never saw.
            futures = [self.log.append(record) for record in scored.log]
            for future in futures:
                future.result()
        name = f"part-{scored.index:06d}"
        ext = "csv" if self.fmt == "csv" else "parquet"
        data = table_bytes(scored.output, "csv" if self.fmt == "csv" else "parquet")
        digest = self._write(self.folder / f"{name}.{ext}", data)
        rejects_file = rejects_digest = None
        if scored.rejects is not None:
            self.rejects.mkdir(parents=True, exist_ok=True)
            path = self.rejects / f"{name}.{ext}"
            rejects = scored.rejects
            if self.redactor is not None:
                rejects = self.redactor.table(rejects)
            rejects_digest = self._write(path, table_bytes(rejects, self.fmt))  # type: ignore[arg-type]
            rejects_file = (
                str(path.relative_to(self.folder))
                if path.is_relative_to(self.folder)
                else str(path)
            )
        profile = scored.profile.to_dict() if scored.profile is not None else None
        if profile is not None and self.redactor is not None:
            profile = self.redactor.profile(profile)  # its categories and sample are the rows'
        (self.folder / PROFILES).mkdir(exist_ok=True)
        profile_path = self.folder / PROFILES / f"{name}.json"
        profile_digest = self._write(profile_path, _json(profile))
        part = Part(
            index=scored.index,
            first_row=scored.first_row,
            rows=scored.rows,
            scored=scored.output.num_rows,
            rejected=scored.rejected,
            file=f"{name}.{ext}",
            sha256=digest,
            profile_file=f"{PROFILES}/{name}.json",
            profile_sha256=profile_digest,
            rejects_file=rejects_file,
            rejects_sha256=rejects_digest,
        )
        self.manifest.parts[scored.index] = part
        self._save()
        self.committed += 1
        self.scored += part.scored
        return part

    def finish(self) -> str | None:
        """Merge the partitions' profiles into ``_profile.json``; mark the run complete.

        Returns the merged profile's path relative to the folder, or None
        when the model has no reference profile.
        """
        merged = _merge(self._profiles())
        where = None
        if merged is not None:
            self.profile_sha256 = self._write(self.folder / PROFILE, _json(merged.to_dict()))
            self.profile_rows = merged.n_rows
            where = PROFILE
        self.manifest.complete = True
        self._save()
        return where

    def _profiles(self) -> Iterable[Profile | None]:
        for index in sorted(self.manifest.parts):
            text = (self.folder / self.manifest.parts[index].profile_file).read_text("utf-8")
            data = json.loads(text)
            yield Profile.from_dict(data) if data is not None else None

    def _write(self, path: Path, data: bytes) -> str:
        try:
            return write_atomic(path, data)
        except OSError as exc:
            raise StorageError(
                f"could not write the batch output {str(path)!r}: {exc.strerror or exc}; "
                f"free some space or give another --output, then run the same command again "
                f"(what was committed is kept)"
            ) from exc

    def _save(self) -> None:
        try:
            self.manifest.save(self.folder)
        except OSError as exc:
            raise StorageError(
                f"could not write the batch manifest in {str(self.folder)!r}: "
                f"{exc.strerror or exc}; run the same command again once the disk takes writes"
            ) from exc


def _json(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _merge(profiles: Iterable[Profile | None]) -> Profile | None:
    merged: Profile | None = None
    for profile in profiles:
        if profile is None:
            continue
        merged = profile if merged is None else merged.merge(profile)
    return merged
