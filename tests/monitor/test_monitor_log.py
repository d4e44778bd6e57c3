"""Monitoring reads the inference log: served traffic, labels over HTTP, compaction, many hosts."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import InputError, Workspace, monitor
from driftline.store import InferenceLog
from driftline.store._segments import encode

Cli = Callable[..., subprocess.CompletedProcess[str]]
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def credit_rows(n: int, seed: int) -> pd.DataFrame:
    """Income decides the label through a logistic link; age is noise."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 10, n)
    age = rng.normal(45, 12, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(income - 50) / 4))).astype(int)
    return pd.DataFrame({"age": age, "income": income, "y": y})


def write_settings(home: Path, **settings: object) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[workspace]", *(f"{k} = {json.dumps(v)}" for k, v in settings.items())]
    (home / "driftline.toml").write_text("\n".join(lines) + "\n")


def register_credit(home: Path, *, deploy: bool = False) -> None:
    from driftline.serving import deploy as deploy_model

    with Workspace.open(home, actor="tester") as ws:
        train = credit_rows(3000, 1)
        model = LogisticRegression().fit(train[["age", "income"]], train["y"])
        ws.register("credit", model, train=train, target="y")
        if deploy:
            ws.set_alias("credit", 1, "champion")
            deploy_model(ws.context, "credit")


def reference(tmp_path: Path) -> Path:
    path = tmp_path / "reference.parquet"
    credit_rows(2000, 2).to_parquet(path)
    return path


def log_days(home: Path, days: int, rows: int) -> None:
    """Predictions of credit:1 as the server logs them, ``rows`` a day from T0 on."""
    with Workspace.open(home, create=False) as ws:
        model = ws.load_model("credit")
        log = InferenceLog.open(ws.settings)
    data = credit_rows(days * rows, 5)
    proba = model.predict_proba(data[["age", "income"]])
    for i, row in enumerate(data.itertuples(index=False)):
        when = T0 + dt.timedelta(days=i // rows, seconds=(i % rows) * 60)
        log.append(
            {
                "kind": "prediction",
                "request_id": f"r{i}",
                "timestamp": when.isoformat(),
                "model": "credit",
                "version": 1,
                "route": "champion",
                "latency_ms": 1.0,
                "inputs": {"age": row.age, "income": row.income},
                "prediction": int(proba[i, 1] > 0.5),
                "probabilities": proba[i].tolist(),
            }
        )
    log.close()


def damage(segment_folder: Path, lines: int) -> None:
    """Append ``lines`` lines whose checksum fails to a sealed segment."""
    segment = sorted(segment_folder.glob("*.seg"))[-1]
    bad = encode({"kind": "prediction", "request_id": "x"}).replace(b'"x"', b'"y"')
    with open(segment, "ab") as f:
        f.write(bad * lines)


def realized(windows: list[dict[str, Any]]) -> tuple[int, int, float]:
    """Rows, labelled rows, and the realized accuracy over every window."""
    rows = sum(w["rows"] for w in windows)
    labelled = sum(w["metrics"].get("labelled", 0) for w in windows)
    hits = sum(
        w["metrics"]["realized"]["accuracy"] * w["metrics"]["labelled"]
        for w in windows
        if w["metrics"].get("labelled")
    )
    return rows, labelled, hits / labelled if labelled else float("nan")


def test_monitoring_reads_only_the_days_it_needs(tmp_path: Path, cli: Cli) -> None:
    home = tmp_path / "ws"
    register_credit(home)
    log_days(home, days=3, rows=300)
    done = cli(home, "log", "compact", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["predictions"] == 900
    # The first day's file is damaged: a run that reads it fails, one that need not read it works.
    first = home / "log" / "parquet" / "predictions" / "model=credit" / "date=2026-11-01"
    next(first.glob("*.parquet")).write_bytes(b"not parquet at all")
    done = cli(home, "monitor", "run", "credit", "--since", "2026-11-02T12:00", "--json")
    assert done.returncode == 0, done.stderr
    windows = json.loads(done.stdout)["windows"]
    # Windows are whole days (aligned), so the day --since falls in is read whole.
    assert [(w["start"][:10], w["rows"]) for w in windows] == [
        ("2026-11-02", 300),
        ("2026-11-03", 300),
    ]
    done = cli(home, "monitor", "run", "credit", "--json")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "could not read" in done.stderr, done.stderr


def test_a_damaged_log_is_told_from_a_quiet_one(tmp_path: Path, cli: Cli) -> None:
    home = tmp_path / "ws"
    register_credit(home)
    log_days(home, days=1, rows=300)
    damage(home / "log" / "segments", 3)
    with Workspace.open(home, create=False) as ws:
        run = monitor.run(ws.context, "credit")
    assert sum(w.rows for w in run.windows) == 300 and run.log == {"corrupt_lines": 3}
    done = cli(home, "monitor", "run", "credit")
    assert done.returncode == 0 and "3 line(s) of the inference log failed" in done.stdout
    assert cli(home, "log", "compact").returncode == 0
    done = cli(home, "monitor", "run", "credit", "--json")  # after compaction: still said
    assert json.loads(done.stdout)["log"] == {"corrupt_lines": 3}
    # Nothing but damage: the error says the log is damaged, not merely empty.
    quiet = tmp_path / "quiet"
    register_credit(quiet)
    log = InferenceLog(quiet / "log")
    log.write({"kind": "label", "request_id": "r0", "label": 1})
    log.close()
    damage(quiet / "log" / "segments", 2)
    with (
        Workspace.open(quiet, create=False) as ws,
        pytest.raises(InputError, match=r"no predictions of credit yet.*2 line\(s\) of the log"),
    ):
        monitor.run(ws.context, "credit")


def serve_and_label(
    servers: list[Any], rows: pd.DataFrame, *, chunk: int = 40
) -> tuple[dict[str, int], dict[str, int], list[int]]:
    """Predict every row (spread over ``servers``), then post every other row's label to the
    server that did *not* answer it, as a load balancer would.

    Returns the prediction and label of each request id, and how many rows each server logged.
    """
    predictions: dict[str, int] = {}
    labels: dict[str, int] = {}
    logged = [0] * len(servers)
    for n, start in enumerate(range(0, len(rows), chunk)):
        part = rows.iloc[start : start + chunk]
        which = n % len(servers)
        body = servers[which].predict(part[["age", "income"]].to_dict("records"))
        ids = body["request_ids"]
        predictions.update(zip(ids, body["predictions"], strict=True))
        logged[which] += len(ids)
        posted = {
            rid: int(y) for i, (rid, y) in enumerate(zip(ids, part["y"], strict=True)) if i % 2 == 0
        }
        other = (which + 1) % len(servers)
        servers[other].label(posted)
        logged[other] += len(posted)
        labels.update(posted)
    return predictions, labels, logged


def test_served_traffic_and_posted_labels_compact_on_schedule_and_give_realized_performance(
    tmp_path: Path, serve: Callable[..., Any], cli: Cli, until: Callable[..., Any]
) -> None:
    home = tmp_path / "ws"
    write_settings(home, log_compact_seconds=0.5)
    register_credit(home, deploy=True)
    # What a crashed server left: one good record, two damaged lines; compaction finds them.
    left = InferenceLog(home / "log")
    left.write({"kind": "label", "model": "credit", "request_id": "old", "label": 0})
    left.close()
    damage(home / "log" / "segments", 2)
    server = serve(home)
    rows = credit_rows(240, 3)
    predictions, labels, logged = serve_and_label([server], rows)
    until(
        lambda: server.metric("driftline_log_compacted_rows_total") >= logged[0] + 1,
        timeout=60,
        what="the server to compact what it logged",
    )
    assert server.metric("driftline_log_corrupt_lines_total") == 2
    server.stop()
    done = cli(home, "monitor", "run", "credit", "--reference", str(reference(tmp_path)),
               "--target", "y", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    expected = np.mean([predictions[rid] == y for rid, y in labels.items()])
    count, labelled, accuracy = realized(result["windows"])
    assert (count, labelled) == (240, 120)
    assert accuracy == pytest.approx(expected)
    assert result["log"] == {"corrupt_lines": 2}


@pytest.mark.s3
@pytest.mark.postgres
def test_two_hosts_on_one_database_and_bucket_share_one_log(
    tmp_path: Path,
    s3_bucket: str,
    s3_server: str,
    postgres_url: str,
    serve: Callable[..., Any],
    cli: Cli,
    until: Callable[..., Any],
) -> None:
    shared = {
        "database_url": postgres_url,
        "artifacts_url": f"{s3_bucket}/driftline",
        "s3_endpoint_url": s3_server,
        "log_compact_seconds": 0.5,
    }
    admin, one, two = (tmp_path / name for name in ("admin", "host1", "host2"))
    for home in (admin, one, two):
        write_settings(home, **shared)
    register_credit(admin, deploy=True)
    servers = [serve(one), serve(two)]
    rows = credit_rows(200, 4)
    predictions, labels, logged = serve_and_label(servers, rows, chunk=25)
    for server, count in zip(servers, logged, strict=True):
        until(
            lambda s=server, c=count: s.metric("driftline_log_compacted_rows_total") >= c,
            timeout=60,
            what="each host to compact what it logged",
        )
    # A third host, which served nothing, sees all of it.
    done = cli(admin, "monitor", "run", "credit", "--reference", str(reference(tmp_path)),
               "--target", "y", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    count, labelled, accuracy = realized(result["windows"])
    assert (count, labelled) == (200, len(labels))
    assert accuracy == pytest.approx(np.mean([predictions[r] == y for r, y in labels.items()]))
    # Each host published its own files into the bucket, none in another's name.
    status = json.loads(cli(admin, "log", "status", "--json").stdout)
    assert status["store"] == f"{s3_bucket}/driftline/log" and status["segments"] == 0
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_server})
    files = fs.find(f"{s3_bucket}/driftline/log/predictions/model=credit")
    writers = {Path(f).name.split("-")[1] for f in files}
    assert len(writers) == 2, files
