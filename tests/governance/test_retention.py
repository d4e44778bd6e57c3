"""Retention deletes whole days older than the age, rewrites nothing else, and audits each day."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from driftline import Workspace
from driftline.errors import InputError

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
MODELS = ("a", "b")


def fill(ws: Workspace, logs: Any, days: int, *, compacted: bool = True) -> list[dict[str, Any]]:
    """Three predictions a day per model over ``days`` days back from NOW, labels for some."""
    records = []
    for back in range(days):
        when = NOW - dt.timedelta(days=back, hours=1)
        for model in MODELS:
            for i in range(3):
                rid = f"{model}-{back}-{i}"
                records.append(logs.prediction(rid, when, model, {"x": float(i)}))
                if i == 0:  # labelled with the model named, or without (the _any partition)
                    records.append(logs.label(rid, when, model if back % 2 else None))
    logs.write(ws, records)
    if compacted:
        logs.compact(ws)
    return records


def snapshot(files: dict[str, str]) -> dict[str, tuple[str, int, int]]:
    out = {}
    for path in files:
        stat = os.stat(path)
        out[path] = (
            hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            stat.st_ino,
            stat.st_mtime_ns,
        )
    return out


def expected_rows(records: list[dict[str, Any]], cutoff: dt.date) -> Counter[tuple[str, str]]:
    """(model, kind) -> rows of the days before ``cutoff``."""
    found: Counter[tuple[str, str]] = Counter()
    for r in records:
        if dt.datetime.fromisoformat(r["timestamp"]).date() < cutoff:
            found[(r["model"] or "_any", f"{r['kind']}s")] += 1
    return found


def test_old_days_go_whole_and_nothing_else_is_rewritten(workspace: Workspace, logs: Any) -> None:
    records = fill(workspace, logs, 15)
    before = logs.parquet_files(workspace)
    cutoff = dt.date(2026, 11, 24)  # NOW minus 7 days
    kept_before = snapshot({p: w for p, w in before.items() if w.rsplit("/", 1)[1] >= "2026-11-24"})
    report = workspace.prune_log(older_than="7d", now=NOW, actor="retention")
    after = logs.parquet_files(workspace)
    # Every file left is one that was kept, byte for byte, the same file.
    assert snapshot(after) == kept_before
    assert all(where.rsplit("/", 1)[1] >= "2026-11-24" for where in after.values())
    assert report.cutoff == cutoff and report.days == [f"2026-11-{d}" for d in range(17, 24)]
    gone = expected_rows(records, cutoff)
    assert report.rows == {
        "predictions": sum(n for (_, k), n in gone.items() if k == "predictions"),
        "labels": sum(n for (_, k), n in gone.items() if k == "labels"),
    }
    assert report.sentence == (
        "Deleted 7 days (2026-11-17 to 2026-11-23) of the inference log of a and b, older than "
        f"7 days (before 2026-11-24): {report.rows['predictions']} predictions and "
        f"{report.rows['labels']} labels in {len(before) - len(after)} files. The audit record "
        "lists each day."
    )
    events = [e for e in workspace.audit_events() if e.action == "log.prune"]
    assert {e.subject for e in events} == {"a", "b", "log"}
    for e in events:
        model = "_any" if e.subject == "log" else e.subject
        assert e.actor == "retention" and e.payload["cutoff"] == "2026-11-24"
        assert e.payload["rows"] == {k: n for (m, k), n in sorted(gone.items()) if m == model}
        assert e.payload["days"] == sorted(
            {
                r["timestamp"][:10]
                for r in records
                if (r["model"] or "_any") == model and r["timestamp"][:10] < "2026-11-24"
            }
        )
    assert workspace.verify_audit().ok


def test_old_records_still_in_segments_go_too(workspace: Workspace, logs: Any) -> None:
    records = fill(workspace, logs, 10, compacted=False)
    assert not logs.parquet_files(workspace)  # all of it waits in closed segments
    report = workspace.prune_log(older_than="5d", now=NOW)
    left = logs.inventory(workspace)
    assert not list((workspace.home / "log" / "segments").iterdir())
    assert {rid for (_, _, rid) in left} == {
        r["request_id"] for r in records if r["timestamp"][:10] >= "2026-11-26"
    }
    assert report.rows["predictions"] == sum(
        1 for r in records if r["kind"] == "prediction" and r["timestamp"][:10] < "2026-11-26"
    )


def test_one_model_only_keeps_the_others_and_labels_sent_without_a_model(
    workspace: Workspace, logs: Any
) -> None:
    fill(workspace, logs, 6)
    workspace.prune_log(older_than="2d", now=NOW, model="a")
    left = logs.parquet_files(workspace).values()
    old = [w for w in left if w.rsplit("/", 1)[1] < "2026-11-29"]
    assert old and all("/a/" not in w for w in old)
    assert any(w.startswith("predictions/b/") for w in old)
    assert any(w.startswith("labels/_any/") for w in old)
    assert [e.subject for e in workspace.audit_events() if e.action == "log.prune"] == ["a"]


def test_the_day_the_cutoff_falls_in_is_kept_whole(workspace: Workspace, logs: Any) -> None:
    early = NOW.replace(hour=0, minute=30) - dt.timedelta(days=3)  # older than 3 days...
    logs.write(workspace, [logs.prediction("early", early, "a", {"x": 1.0})])
    logs.compact(workspace)
    report = workspace.prune_log(older_than="3d", now=NOW)
    assert report.days == [] and logs.inventory(workspace)  # ...but its day is not all older
    assert report.sentence == (
        "Nothing to delete: no day of the inference log is older than 3 days (before 2026-11-28)."
    )
    assert not [e for e in workspace.audit_events() if e.action == "log.prune"]


@pytest.mark.parametrize(
    ("age", "model", "message"),
    [
        ("90 days", None, "retention age '90 days' is not an age: use a number and a unit"),
        ("0d", None, "retention age '0d' is not an age"),
        (dt.timedelta(0), None, "a retention age must be longer than nothing"),
        ("90d", "churn@champion", "give a model name such as 'churn', got 'churn@champion'"),
    ],
)
def test_bad_arguments_say_what_is_expected(
    workspace: Workspace, logs: Any, age: Any, model: str | None, message: str
) -> None:
    fill(workspace, logs, 2)
    before = logs.inventory(workspace)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        workspace.prune_log(older_than=age, model=model, now=NOW)
    assert logs.inventory(workspace) == before


def test_cli_prunes_by_age_and_refuses_a_bad_one(
    workspace: Workspace, logs: Any, cli: Any, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    logs.write(
        workspace,
        [
            logs.prediction("old", now - dt.timedelta(days=100), "churn", {"x": 1.0}),
            logs.prediction("new", now - dt.timedelta(days=1), "churn", {"x": 2.0}),
        ],
    )
    home = ["--home", str(workspace.home)]
    db = {"DRIFTLINE_DATABASE_URL": workspace.settings.database_url}
    done = cli(*home, "log", "prune", "--older-than", "90d", "--json", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["rows"], info["files"], len(info["days"])) == ({"predictions": 1}, 1, 1)
    assert {rid for (_, _, rid) in logs.inventory(workspace)} == {"new"}
    bad = cli(*home, "log", "prune", "--older-than", "ninety", cwd=tmp_path, env=db)
    assert bad.returncode == 2
    assert bad.stderr == (
        "driftline: error: retention age 'ninety' is not an age: use a number and a unit, like "
        "90d, 12w or 36h (h hours, d days, w weeks)\n"
    )


@pytest.mark.s3
def test_retention_on_an_object_store(s3_workspace: Workspace, logs: Any) -> None:
    records = fill(s3_workspace, logs, 6)
    s3_workspace.prune_log(older_than="3d", now=NOW)
    assert {rid for (_, _, rid) in logs.inventory(s3_workspace)} == {
        r["request_id"] for r in records if r["timestamp"][:10] >= "2026-11-28"
    }
    assert logs.store_of(s3_workspace).url.startswith("s3://")


@pytest.mark.s3
@pytest.mark.slow
def test_kill_9_while_deleting_leaves_the_audit_and_whole_files_and_a_rerun_finishes(
    s3_workspace: Workspace, logs: Any, tmp_path: Path
) -> None:
    # On the object store each deletion is a request of its own: long enough to be cut. The
    # days are interleaved so each segment spreads over many days: many small files.
    now = dt.datetime.now(dt.UTC)
    records = [
        logs.prediction(
            f"{model}{back}-{i}", now - dt.timedelta(days=back, hours=1), model, {"x": 1.0}
        )
        for i in range(3)
        for back in range(40)
        for model in ("a", "b")
    ]
    logs.write(s3_workspace, records)
    logs.compact(s3_workspace)
    old = [
        p
        for p, w in logs.parquet_files(s3_workspace).items()
        if w.rsplit("/", 1)[1] < _day(now, 10)
    ]
    assert len(old) >= 120
    settings = s3_workspace.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env.update(
        DRIFTLINE_ARTIFACTS_URL=settings.artifacts_url,
        DRIFTLINE_S3_ENDPOINT_URL=str(settings.s3_endpoint_url),
    )
    command = [
        *logs.cli_command(),
        "--home",
        str(s3_workspace.home),
        "log",
        "prune",
        "--older-than",
        "10d",
    ]
    store = logs.store_of(s3_workspace)

    wanted = set(old)

    def left() -> int:  # one listing request, not one per file: the poll must be quick
        store.fs.invalidate_cache()
        return len(wanted.intersection(store.fs.find(store.root)))

    proc = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and left() > len(old) - 20:
        if time.monotonic() > deadline:
            pytest.fail("the prune deleted nothing in 120 s")
        time.sleep(0.005)  # polling interval; the condition decides
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    remaining = left()
    assert killed and 0 < remaining < len(old), "the prune ended before it could be killed"
    # Recorded before anything went: the audit lists every old day, and verifies.
    first = [e for e in s3_workspace.audit_events() if e.action == "log.prune"]
    assert {e.subject for e in first} == {"a", "b"}
    assert sum(e.payload["rows"]["predictions"] for e in first) == sum(
        1 for r in records if r["timestamp"][:10] < _day(now, 10)
    )
    assert s3_workspace.verify_audit().ok
    for path in [p for p in old if store.fs.exists(p)]:  # what is left is whole
        assert store.read(path).num_rows > 0
    report = s3_workspace.prune_log(older_than="10d")
    assert sum(len(p.files) for p in report.partitions) == remaining
    assert not [
        w for w in logs.parquet_files(s3_workspace).values() if w.rsplit("/", 1)[1] < _day(now, 10)
    ]
    assert len([e for e in s3_workspace.audit_events() if e.action == "log.prune"]) == 4


def _day(now: dt.datetime, back: int) -> str:
    return (now - dt.timedelta(days=back)).date().isoformat()


def test_the_dashboards_summaries_of_pruned_days_go_too(workspace: Workspace, logs: Any) -> None:
    from driftline.store import DaySummaries, InferenceLog

    fill(workspace, logs, 15)
    url = InferenceLog.open(workspace.settings).store.url
    days = [f"2026-11-{d}" for d in range(17, 31)]
    for model in MODELS:
        DaySummaries(workspace.context.db, url, model, "traffic").write(
            {day: ("stamp", {"requests": 3}) for day in days}
        )

    def kept(model: str) -> list[str]:
        return sorted(DaySummaries(workspace.context.db, url, model, "traffic").read("0", "9"))

    workspace.prune_log(older_than="10d", model="a", now=NOW)  # before 2026-11-21, a only
    assert kept("a") == [d for d in days if d >= "2026-11-21"] and kept("b") == days
    workspace.prune_log(older_than="7d", now=NOW)  # before 2026-11-24, every model
    assert kept("a") == kept("b") == [d for d in days if d >= "2026-11-24"]
