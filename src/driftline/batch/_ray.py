"""The same job on Ray Data: partitions scored by actors that load the model once each.

The driver reads the input through :mod:`driftline.io` (so a CSV is typed as
it is everywhere else, and partitions are cut exactly as the local engine
cuts them) and hands each pending partition to Ray's object store, which
spills to disk past its size. ``map_batches`` runs :class:`ScoreActor`, whose
constructor loads the version and its reference profile once; each call
scores whole partitions with the local engine's :class:`Scorer` and returns
the output, rejects, profile and log records, encoded. The driver commits
what comes back, in any order (the manifest is a set of partitions), and
merges the profiles the workers computed.

``ray.init()`` joins the cluster that ``RAY_ADDRESS`` names, or starts a
local Ray; a Ray already started in this process (``ray.init(...)`` by the
caller) is used as it is. On a cluster the workers open the workspace from
the same settings, so it must live where they reach it (PostgreSQL and S3).
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline.batch._partition import Chunk, Scored, Scorer
from driftline.errors import MissingDependencyError, StorageError
from driftline.stats import Profile

if TYPE_CHECKING:
    from driftline.batch._commit import Committer
    from driftline.batch._result import Progress
    from driftline.registry import ModelVersion
    from driftline.settings import Settings
    from driftline.store import Context

__all__ = ["ScoreActor", "run_on_ray"]

_PART, _FIRST = "__driftline_part", "__driftline_first_row"


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(
            "--engine ray needs Ray, which is not installed; install it with "
            "pip install 'driftline[ray]', or leave --engine out to score in this process"
        ) from exc
    return ray


class ScoreActor:
    """One Ray actor: the version loaded once, then partition after partition."""

    def __init__(
        self, settings: Settings, version: str, key: str | None, log: bool, run_id: str
    ) -> None:
        from driftline import registry
        from driftline.registry import ModelRuntime
        from driftline.store import Context

        with Context.open(settings, create=False) as ctx:
            mv = registry.get(ctx, version)
            runtime = ModelRuntime.load(ctx, mv)
            reference = registry.load_profile(ctx, mv) if mv.profile_key else None
        self.scorer = Scorer(runtime, reference, key=key, log=log, run_id=run_id)
        self.actor = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def __call__(self, batch: pa.Table) -> pa.Table:
        out: dict[str, list[Any]] = {
            k: [] for k in ("index", "rows", "output", "rejects", "profile", "log", "actor")
        }
        parts = batch.column(_PART).to_numpy()
        firsts = batch.column(_FIRST).to_numpy()
        data = batch.drop_columns([_PART, _FIRST])
        start = 0
        while start < batch.num_rows:  # a batch may hold several whole partitions
            index = int(parts[start])
            stop = start
            while stop < batch.num_rows and parts[stop] == index:
                stop += 1
            scored = self.scorer.score(data.slice(start, stop - start), index, int(firsts[start]))
            out["index"].append(index)
            out["rows"].append(scored.rows)
            out["output"].append(_ipc(scored.output))
            out["rejects"].append(_ipc(scored.rejects) if scored.rejects is not None else None)
            out["profile"].append(
                json.dumps(scored.profile.to_dict()) if scored.profile is not None else None
            )
            out["log"].append(json.dumps(scored.log) if scored.log is not None else None)
            out["actor"].append(self.actor)
            start = stop
        return pa.table(
            {
                "index": pa.array(out["index"], pa.int64()),
                "rows": pa.array(out["rows"], pa.int64()),
                "output": pa.array(out["output"], pa.binary()),
                "rejects": pa.array(out["rejects"], pa.binary()),
                "profile": pa.array(out["profile"], pa.string()),
                "log": pa.array(out["log"], pa.string()),
                "actor": pa.array(out["actor"], pa.string()),
            }
        )


def run_on_ray(
    ctx: Context,
    mv: ModelVersion,
    chunks: Iterator[Chunk],
    committer: Committer,
    *,
    key: str | None,
    log: bool,
    run_id: str,
    workers: int | None,
    progress: Progress | None,
) -> list[str]:
    """Score ``chunks`` on Ray and commit each as it returns; the actors that scored them."""
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=os.environ.get("RAY_ADDRESS") or None, log_to_driver=False)
    try:
        sizes: dict[int, tuple[int, int]] = {}  # partition -> (first row, rows)
        refs = []
        for index, first, chunk in chunks:
            sizes[index] = (first, chunk.num_rows)
            n = chunk.num_rows
            tagged = chunk.append_column(_PART, pa.array([index] * n, pa.int64()))
            refs.append(ray.put(tagged.append_column(_FIRST, pa.array([first] * n, pa.int64()))))
        if not refs:
            return []
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actors = min(actors, len(refs))
        dataset = ray.data.from_arrow_refs(refs).map_batches(
            ScoreActor,
            fn_constructor_kwargs={
                "settings": ctx.settings,
                "version": f"{mv.name}:{mv.version}",
                "key": key,
                "log": log,
                "run_id": run_id,
            },
            batch_size=None,
            batch_format="pyarrow",
            concurrency=actors,
            num_cpus=1,
        )
        seen: list[str] = []
        for result in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in result.to_pylist():
                scored = _decode(row, sizes)
                committer.commit(scored)
                seen.append(row["actor"])
                if progress is not None:
                    progress.advance(scored.rows)
        return seen
    finally:
        if started_here:
            ray.shutdown()


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


def _decode(row: dict[str, Any], sizes: dict[int, tuple[int, int]]) -> Scored:
    index = int(row["index"])
    first, rows = sizes.get(index, (0, -1))
    if rows != row["rows"]:  # a partition split across calls would be scored twice
        raise StorageError(
            f"Ray returned {row['rows']} rows for partition {index}, which holds {rows}; "
            f"run the same command again (committed partitions are kept)"
        )
    return Scored(
        index=index,
        first_row=first,
        rows=int(row["rows"]),
        output=_table(row["output"]),
        rejects=_table(row["rejects"]) if row["rejects"] is not None else None,
        profile=Profile.from_dict(json.loads(row["profile"])) if row["profile"] else None,
        log=json.loads(row["log"]) if row["log"] else None,
    )
