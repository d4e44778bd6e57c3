"""Forgetting one person removes every record of theirs, wherever the log keeps it, and only those.

The person's requests carried key ``cust-7`` and input ``email`` =
``jane@example.com`` and ``customer_id`` = 7. Their records sit in Parquet
files, in closed segments and in a segment a dead process left open; labels
were posted for some (with the model named, and without), and a shadow
answered one. Other people's records share files with theirs.
"""

from __future__ import annotations

import datetime as dt
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
from driftline.governance import subject_hash
from driftline.store import InferenceLog

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
JANE = {"email": "jane@example.com", "customer_id": 7}


def person(i: int) -> dict[str, Any]:
    return {"email": f"p{i}@example.com", "customer_id": 100 + i, "x": float(i)}


def history(logs: Any) -> tuple[list[dict[str, Any]], set[str]]:
    """Everyone's records over four days, and the request ids that are Jane's."""
    records, janes = [], set()
    for day in range(4):
        when = NOW - dt.timedelta(days=day)
        for i in range(12):
            rid = f"d{day}-r{i}"
            jane = i in (3, 8)
            inputs = {**person(i), **(JANE if jane else {})}
            key = "cust-7" if jane else f"cust-{100 + i}"
            rows = 2 if i == 8 else 1  # a request of two rows: ids base:0, base:1
            ids = [rid] if rows == 1 else [f"{rid}:{k}" for k in range(rows)]
            for one in ids:
                records.append(logs.prediction(one, when, "churn", inputs, key))
                if i in (3, 5):  # a shadow answered these too
                    records.append(logs.prediction(f"{one}~shadow", when, "churn", inputs, key))
                if i % 2 == 1:  # labels, some naming the model, some not
                    records.append(logs.label(one, when, "churn" if day % 2 else None))
            if jane:
                janes |= set(ids) | {f"{one}~shadow" for one in ids if i == 3}
        # Another model saw Jane's e-mail too: kept when forgetting is limited to churn.
        records.append(
            logs.prediction(f"d{day}-other", when, "other", {**JANE, "x": 0.0}, "cust-7")
        )
        janes.add(f"d{day}-other")
    return records, janes


@pytest.fixture
def logged(workspace: Workspace, logs: Any) -> tuple[Workspace, list[dict[str, Any]], set[str]]:
    records, janes = history(logs)
    old = [r for r in records if r["timestamp"][:10] < "2026-11-30"]
    new = [r for r in records if r["timestamp"][:10] >= "2026-11-30"]
    logs.write(workspace, old)
    logs.compact(workspace)  # the two older days as Parquet
    logs.write(workspace, new[: len(new) // 2])  # closed segments
    logs.write(workspace, new[len(new) // 2 :], segment_bytes=10**9)
    segments = workspace.home / "log" / "segments"
    last = max(segments.iterdir(), key=lambda p: p.name)
    last.rename(last.with_suffix(".open"))  # as kill -9 of its writer leaves it
    return workspace, records, janes


def everything_but(records: list[dict[str, Any]], gone: set[str]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (f"{r['kind']}s", r["model"] or "_any", r["request_id"])
        for r in records
        if r["request_id"] not in gone
    )


def test_forgetting_by_request_key_removes_exactly_the_persons_records(
    logged: tuple[Workspace, list[dict[str, Any]], set[str]], logs: Any
) -> None:
    ws, records, janes = logged
    before = logs.inventory(ws)
    assert before == everything_but(records, set())
    untouched = {
        p: os.stat(p).st_ino
        for p in logs.parquet_files(ws)
        if not any(r in janes for r in logs.store_of(ws).read(p).column("request_id").to_pylist())
    }
    report = ws.forget("cust-7", actor="dpo")
    assert logs.inventory(ws) == everything_but(records, janes)
    mine = [r for r in records if r["request_id"] in janes]
    assert report.done.removed == {
        "predictions": sum(r["kind"] == "prediction" for r in mine),
        "labels": sum(r["kind"] == "label" for r in mine),
    }
    assert report.complete and report.done.files and report.done.segments
    # Files without Jane's records were not rewritten: the same files, not copies.
    assert all(os.stat(p).st_ino == ino for p, ino in untouched.items())
    assert all(p in logs.parquet_files(ws) for p in untouched)
    again = ws.forget("cust-7")
    assert again.done.records == 0 and again.sentence.startswith(
        "No logged record matches the value given for the request key: nothing to remove."
    )


def test_the_audit_record_names_the_person_only_by_a_keyed_hash(
    logged: tuple[Workspace, list[dict[str, Any]], set[str]], tmp_path: Path
) -> None:
    ws, _, _ = logged
    report = ws.forget("jane@example.com", column="email", actor="dpo")
    event = ws.audit_events()[-1]
    assert (event.action, event.actor, event.subject) == ("log.forget", "dpo", "log")
    digest = subject_hash(ws.context, "jane@example.com")
    assert event.payload["subject"] == report.subject == digest
    assert digest != subject_hash(ws.context, "jane@example.org")
    assert event.payload["match"] == "input:email"
    assert event.payload["removed"] == report.done.removed
    exported = Path(ws.export_audit(tmp_path / "audit.jsonl").path).read_text()
    assert "jane" not in exported and "cust-7" not in exported
    assert ws.verify_audit().ok
    # The secret is a file of the workspace's own, readable by its owner only.
    secret = ws.home / "keyed-hash.secret"
    assert secret.stat().st_mode & 0o077 == 0
    assert secret.read_text().strip() not in exported


def test_a_number_column_matches_the_number_and_a_model_limits_it(
    logged: tuple[Workspace, list[dict[str, Any]], set[str]], logs: Any
) -> None:
    ws, records, janes = logged
    report = ws.forget("7", column="customer_id", model="churn")
    kept_other = {r for r in janes if r.endswith("-other")}  # model "other" was not asked
    assert logs.inventory(ws) == everything_but(records, janes - kept_other)
    assert report.done.removed["predictions"] == sum(
        1 for r in records if r["request_id"] in janes - kept_other and r["kind"] == "prediction"
    )
    assert ws.forget("7.0", column="customer_id").done.removed == {"predictions": 4}


def test_records_in_a_live_servers_segment_wait_until_it_is_sealed(
    workspace: Workspace, logs: Any
) -> None:
    logs.write(workspace, [logs.prediction("old", NOW, "churn", person(1), "cust-7")])
    logs.compact(workspace)
    live = InferenceLog.open(workspace.settings)
    try:
        live.write(logs.prediction("now", NOW, "churn", person(1), "cust-7"))
        live.write(logs.prediction("other", NOW, "churn", person(2), "cust-8"))
        report = workspace.forget("cust-7")
        assert report.done.removed == {"predictions": 1} and report.done.pending == 1
        assert not report.complete
        assert "1 more record of this person is in the segment a running server is still " in (
            report.sentence
        )
        assert "server seals its segment every 600 seconds" in report.sentence
    finally:
        live.close()  # the server seals its segment
    report = workspace.forget("cust-7")
    assert report.complete and report.done.removed == {"predictions": 1}
    assert {rid for (_, _, rid) in logs.inventory(workspace)} == {"other"}


def test_bad_arguments_are_refused_before_anything_changes(
    logged: tuple[Workspace, list[dict[str, Any]], set[str]], logs: Any
) -> None:
    ws, _, _ = logged
    before = logs.inventory(ws)
    with pytest.raises(InputError, match="give the value to forget as non-empty text"):
        ws.forget("")
    with pytest.raises(InputError, match="give a model name such as 'churn'"):
        ws.forget("cust-7", model="churn:2")
    assert logs.inventory(ws) == before
    assert not [e for e in ws.audit_events() if e.action == "log.forget"]


def test_cli_forgets_and_says_so_without_repeating_the_value(
    logged: tuple[Workspace, list[dict[str, Any]], set[str]], logs: Any, cli: Any, tmp_path: Path
) -> None:
    ws, records, janes = logged
    home = ["--home", str(ws.home)]
    db = {"DRIFTLINE_DATABASE_URL": ws.settings.database_url}
    done = cli(*home, "forget", "--key", "cust-7", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Removed ") and "cust-7" not in done.stdout
    assert logs.inventory(ws) == everything_but(records, janes)
    again = cli(*home, "forget", "--key", "cust-7", "--json", cwd=tmp_path, env=db)
    assert again.returncode == 0 and json.loads(again.stdout)["records"] == 0
    bad = cli(*home, "forget", "--key", "", cwd=tmp_path, env=db)
    assert bad.returncode == 2 and bad.stderr.startswith("driftline: error: give the value")


@pytest.mark.slow
def test_kill_9_while_rewriting_loses_no_one_else_and_a_rerun_finishes(
    logs: Any, tmp_path: Path
) -> None:
    # Files are the subject here, so the embedded database does (the audit paths run on both).
    workspace = Workspace.init(tmp_path / "ws", actor="tester")
    # Many files, each holding one of Jane's records among others'.
    records, janes = [], set()
    for day in range(30):
        when = NOW - dt.timedelta(days=day)
        for model in ("a", "b", "c"):
            for i in range(40):
                rid = f"{model}{day}-{i}"
                jane = i == 7
                inputs = {**person(i), **(JANE if jane else {})}
                records.append(
                    logs.prediction(rid, when, model, inputs, "cust-7" if jane else None)
                )
                if jane:
                    janes.add(rid)
    logs.write(workspace, records, segment_bytes=40_000)
    logs.compact(workspace)
    files = logs.parquet_files(workspace)
    assert len(files) >= 90
    everyone_else = everything_but(records, janes)
    command = [*logs.cli_command(), "--home", str(workspace.home), "forget", "--key", "cust-7"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env["DRIFTLINE_DATABASE_URL"] = workspace.settings.database_url
    first = {p: os.stat(p).st_ino for p in files}

    def rewritten() -> int:  # a rewrite is a new file renamed over the old: a new inode
        return sum(
            1 for p, ino in first.items() if not os.path.exists(p) or os.stat(p).st_ino != ino
        )

    kills = 0
    for target in (1, 10, 30, 60):
        before = rewritten()
        proc = subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and rewritten() < before + target:
            if time.monotonic() > deadline:
                pytest.fail("the forget process rewrote nothing in 120 s")
            time.sleep(0.002)  # polling interval; the condition decides
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        # At the moment of the kill: every file whole, no one else lost, Jane partly gone.
        now = logs.inventory(workspace)
        assert {k: n for k, n in now.items() if k[2] not in janes} == everyone_else
        assert set(now) - set(everyone_else) <= {("predictions", r[:1], r) for r in janes}
        if proc.returncode == 0:
            break
    assert kills >= 2, "the runs ended before they could be killed"
    report = workspace.forget("cust-7")
    assert report.complete
    assert logs.inventory(workspace) == everyone_else
    assert not [
        p
        for p in (workspace.home / "log").rglob("*")
        if ".tmp-" in p.name or p.name.endswith(".forget")
    ]


@pytest.mark.s3
def test_forgetting_on_an_object_store(s3_workspace: Workspace, logs: Any) -> None:
    records, janes = history(logs)
    logs.write(s3_workspace, records)
    logs.compact(s3_workspace)
    report = s3_workspace.forget("cust-7")
    assert report.complete and report.done.files
    assert logs.inventory(s3_workspace) == everything_but(records, janes)
