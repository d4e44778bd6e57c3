"""``score``: a registered version over a table too big to hold, resumable, in partitions.

The input is read through :func:`driftline.io.open_table` and cut into
partitions of ``chunk_rows`` rows (:func:`driftline.io.rebatch`), so the same
input gives the same partitions whatever its files look like, on every run
and every engine. Partition ``i`` holds rows ``i * chunk_rows`` onwards, which
is what makes a killed run resumable: the rerun reads the input again, skips
the partitions the manifest names, and scores the rest exactly as the first
run would have.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa

from driftline import audit, registry
from driftline.batch._commit import Committer
from driftline.batch._local import run_local
from driftline.batch._manifest import Job, Manifest, input_fingerprint, remove_leftovers
from driftline.batch._partition import Chunk, Scorer
from driftline.batch._result import BatchRun, Progress
from driftline.batch._words import changed_job, summary
from driftline.errors import ConflictError, InputError, SchemaError
from driftline.io import open_table, rebatch, table_rows
from driftline.privacy import Redactor
from driftline.registry import ModelRuntime, ModelVersion
from driftline.store import Context, InferenceLog

__all__ = ["Engine", "score"]

Engine = Literal["local", "ray"]
_LOCK = "_lock"


def score(
    ctx: Context,
    ref: str,
    *,
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    log: bool = False,
    engine: Engine = "local",
    rejects: str | os.PathLike[str] | None = None,
    key: str | None = None,
    chunk_rows: int = 100_000,
    workers: int | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> BatchRun:
    """Score every row of ``input`` with ``ref`` (``NAME@ALIAS`` or ``NAME:VERSION``) into ``output``.

    ``output`` is a folder of partitions (Parquet; CSV when its name ends in
    ``.csv``) with a manifest; a run killed part-way and started again with
    the same arguments keeps what was committed and writes the rest. Rows that
    break the signature go to ``rejects`` (default ``output/_rejects``) with
    the reason. ``key`` names an input column to write beside each prediction
    (default: the row number). ``log`` records every prediction in the
    inference log (route ``batch``). ``engine="ray"`` runs the partitions on
    Ray (``RAY_ADDRESS``, or a local Ray) with ``workers`` actors.
    """
    started = time.perf_counter()
    if engine not in ("local", "ray"):
        raise InputError(f"engine must be 'local' or 'ray', got {engine!r}")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise InputError(f"chunk_rows must be a whole number of at least 1, got {chunk_rows!r}")
    source_path, folder = Path(input), Path(output)
    mv = registry.get(ctx, ref)
    fmt = "csv" if folder.name.lower().endswith(".csv") else "parquet"
    job = Job(mv.name, mv.version, input_fingerprint(source_path), chunk_rows, key, fmt)
    _check_output(folder, source_path)
    before = Manifest.load(folder) if folder.is_dir() else None
    if before is not None:
        problem = changed_job(str(folder), before.job, job)
        if problem is not None:
            raise InputError(problem)
    if before is None or not before.complete:
        # Everything that can refuse the job does so before the output folder is touched.
        runtime = ModelRuntime.load(ctx, mv)
        source = open_table(source_path, text=runtime.signature.text_columns(), what="the input")
        _check_columns(source.schema, runtime, key, mv)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        remove_leftovers(folder)
        if rejects is not None:
            Path(rejects).mkdir(parents=True, exist_ok=True)
            remove_leftovers(Path(rejects))
        manifest = Manifest.load(folder)  # again, under the lock
        if manifest is not None:
            problem = changed_job(str(folder), manifest.job, job)
            if problem is not None:
                raise InputError(problem)
        else:
            manifest = Manifest(job)
            manifest.save(folder)
        resumed = len(manifest.parts)
        if manifest.complete:
            return _result(
                ctx,
                mv,
                job,
                manifest,
                engine,
                source_path,
                folder,
                rejects,
                None,
                resumed,
                started,
                nothing_to_do=True,
            )
        committer = Committer(folder, manifest, rejects=Path(rejects) if rejects else None)
        scoring = time.perf_counter()
        chunks = _pending(rebatch(source.batches(), chunk_rows), chunk_rows, set(manifest.parts))
        if progress is not None:
            progress.start(table_rows(source_path), manifest.rows)
        profile = _run(ctx, mv, runtime, chunks, committer, engine, key, log, workers, progress)
        scoring = time.perf_counter() - scoring
        return _result(
            ctx,
            mv,
            job,
            manifest,
            engine,
            source_path,
            folder,
            rejects,
            profile,
            resumed,
            started,
            nothing_to_do=False,
            actor=actor,
            rate=committer.scored / scoring if scoring > 0 else 0.0,
            profile_summary={
                "profile_sha256": committer.profile_sha256,
                "profile_rows": committer.profile_rows,
            },
        )


def _run(
    ctx: Context,
    mv: ModelVersion,
    runtime: ModelRuntime,
    chunks: Iterator[Chunk],
    committer: Committer,
    engine: Engine,
    key: str | None,
    log: bool,
    workers: int | None,
    progress: Progress | None,
) -> str | None:
    """Score and commit every pending partition on ``engine``; the merged profile's path."""
    run_id = f"batch-{committer.manifest.job.input[7:19]}"
    committer.redactor = Redactor.from_settings(ctx.settings)
    if mv.signature is not None:  # the columns this model's signature marks personal
        committer.redactor.mark_personal(mv.signature.personal)
    committer.log = InferenceLog.open(ctx.settings, redactor=committer.redactor) if log else None
    try:
        if engine == "ray":
            from driftline.batch._ray import run_on_ray

            run_on_ray(
                ctx,
                mv,
                chunks,
                committer,
                key=key,
                log=log,
                run_id=run_id,
                workers=workers,
                progress=progress,
            )
        else:
            reference = registry.load_profile(ctx, mv) if mv.profile_key else None
            scorer = Scorer(runtime, reference, key=key, log=log, run_id=run_id)
            run_local(chunks, scorer, committer, progress)
        return committer.finish()
    finally:
        if committer.log is not None:
            committer.log.close()


def _pending(tables: Iterator[pa.Table], chunk_rows: int, done: set[int]) -> Iterator[Chunk]:
    """Each partition not committed yet, with its index and first row."""
    for index, table in enumerate(tables):
        if index not in done:
            yield index, index * chunk_rows, table


def _check_output(folder: Path, source: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"the output {str(folder)!r} is a file; batch output is a folder of partitions, "
            f"so give the path of a folder (it is made if missing)"
        )
    out, into = folder.resolve(), source.resolve()
    if into.is_relative_to(out):
        raise InputError(
            f"the output folder {str(folder)!r} holds the input; give an output folder of its own"
        )
    if into.is_dir() and out.is_relative_to(into):
        raise InputError(
            f"the output folder {str(folder)!r} is inside the input folder, so its files would "
            f"be read as input next time; give an output folder outside {str(source)!r}"
        )


def _check_columns(
    schema: pa.Schema, runtime: ModelRuntime, key: str | None, mv: ModelVersion
) -> None:
    missing = [n for n in runtime.names if n not in schema.names]
    if missing:
        raise SchemaError(
            f"the input has no column {', '.join(map(repr, missing))}, which {mv.ref} needs "
            f"(it needs {', '.join(runtime.names)}); give an input with every one of them",
            field=missing[0],
        )
    if key is not None and key not in schema.names:
        raise InputError(
            f"--key {key!r} is not a column of the input, which has {', '.join(schema.names)}; "
            f"name one of them, or leave --key out to key rows by their number"
        )


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / _LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(
                f"another batch run is writing into {str(folder)!r} now; wait for it to finish, "
                f"or give another --output"
            ) from None
        yield  # the kernel drops the lock when the process dies, kill -9 included


def _result(
    ctx: Context,
    mv: ModelVersion,
    job: Job,
    manifest: Manifest,
    engine: str,
    source: Path,
    folder: Path,
    rejects: str | os.PathLike[str] | None,
    profile: str | None,
    resumed: int,
    started: float,
    *,
    nothing_to_do: bool,
    actor: str | None = None,
    rate: float = 0.0,
    profile_summary: dict[str, object] | None = None,
) -> BatchRun:
    seconds = time.perf_counter() - started
    rejects_at = str(Path(rejects)) if rejects else str(folder / "_rejects")
    if nothing_to_do and (folder / "_profile.json").exists():
        profile = "_profile.json"
    sentence = summary(
        ref=mv.ref,
        rows=manifest.rows,
        scored=manifest.scored,
        rejected=manifest.rejected,
        parts=len(manifest.parts),
        resumed=resumed,
        rate=rate,
        output=str(folder),
        nothing_to_do=nothing_to_do,
    )
    run = BatchRun(
        model=mv.name,
        version=mv.version,
        engine=engine,
        input=str(source),
        input_fingerprint=job.input,
        output=str(folder),
        rejects=rejects_at,
        profile=str(folder / profile) if profile else None,
        rows=manifest.rows,
        scored=manifest.scored,
        rejected=manifest.rejected,
        partitions=len(manifest.parts),
        resumed=resumed,
        nothing_to_do=nothing_to_do,
        manifest_digest=manifest.digest(),
        seconds=seconds,
        rows_per_second=rate,
        sentence=sentence,
    )
    if nothing_to_do:
        return run  # that run's event was written when it finished
    payload = {
        "input": run.input,
        "input_fingerprint": run.input_fingerprint,
        "output": run.output,
        "engine": engine,
        "rows": run.rows,
        "scored": run.scored,
        "rejected": run.rejected,
        "partitions": run.partitions,
        "resumed_partitions": resumed,
        "manifest_digest": run.manifest_digest,
        "profile": run.profile,
        **(profile_summary or {}),
    }
    with ctx.db.write() as s:
        event = audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="batch.score",
            subject=f"{mv.name}:{mv.version}",
            payload=payload,
        )
    return dataclasses.replace(run, audit_seq=event.seq)
