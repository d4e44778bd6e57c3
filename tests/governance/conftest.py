"""Workspaces with an inference log to govern, and the command line as a user runs it."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from driftline import Workspace
from driftline.store import InferenceLog, LogStore
from driftline.store._segments import decode, segment_files


def prediction(
    rid: str, when: dt.datetime, model: str, inputs: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    record = {
        "kind": "prediction",
        "request_id": rid,
        "timestamp": when.isoformat(),
        "model": model,
        "version": 1,
        "route": "shadow" if rid.endswith("~shadow") else "champion",
        "latency_ms": 0.4,
        "inputs": inputs,
        "prediction": 1,
        "probabilities": [0.3, 0.7],
    }
    if key is not None:
        record["request_key"] = key
    return record


def label(rid: str, when: dt.datetime, model: str | None) -> dict[str, Any]:
    return {
        "kind": "label",
        "model": model,
        "request_id": rid,
        "label": 1,
        "timestamp": when.isoformat(),
    }


def write(ws: Workspace, records: Iterable[dict[str, Any]], *, segment_bytes: int = 4000) -> None:
    log = InferenceLog.open(ws.settings, segment_bytes=segment_bytes, max_group=64)
    for record in records:
        log.append(record)
    log.close()  # writes what is queued, and seals the segment


def compact(ws: Workspace) -> None:
    log = InferenceLog.open(ws.settings)
    log.compact()
    log.close()


def store_of(ws: Workspace) -> LogStore:
    return LogStore.from_settings(ws.settings)


def parquet_files(ws: Workspace) -> dict[str, str]:
    """Every published file: its path -> (kind/model/day)."""
    store = store_of(ws)
    found = {}
    for kind in store.kinds():
        for model in store.models(kind):
            for day in store.days(kind, model):
                for path in store.files(kind, model, day).values():
                    found[path] = f"{kind}/{model}/{day}"
    return found


def inventory(ws: Workspace) -> Counter[tuple[str, str, str]]:
    """Every record of the log, wherever it is: (kind, model, request id), counted."""
    store = store_of(ws)
    found: Counter[tuple[str, str, str]] = Counter()
    for path, where in parquet_files(ws).items():
        kind, model, _ = where.split("/")
        for rid in store.read(path, columns=["request_id"]).column("request_id").to_pylist():
            found[(kind, model, rid)] += 1
    for path in segment_files(ws.home / "log" / "segments", closed_only=False):
        for line in path.read_bytes().splitlines(keepends=True):
            record = decode(line)
            if record is not None:
                kind = f"{record.get('kind', 'prediction')}s"
                found[(kind, str(record.get("model") or "_any"), record["request_id"])] += 1
    return found


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("driftline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]


@pytest.fixture
def s3_workspace(tmp_path: Path, s3_bucket: str, s3_server: str) -> Iterable[Workspace]:
    """A workspace whose artifacts, and so its compacted log, live on moto's S3 server."""
    ws = Workspace.init(
        tmp_path / "ws", artifacts_url=s3_bucket, s3_endpoint_url=s3_server, actor="tester"
    )
    yield ws
    ws.close()


class LogTools:
    """The helpers above, for test modules (which cannot import a conftest)."""

    prediction = staticmethod(prediction)
    label = staticmethod(label)
    write = staticmethod(write)
    compact = staticmethod(compact)
    store_of = staticmethod(store_of)
    parquet_files = staticmethod(parquet_files)
    inventory = staticmethod(inventory)
    cli_command = staticmethod(cli_command)


@pytest.fixture
def logs() -> type[LogTools]:
    return LogTools
