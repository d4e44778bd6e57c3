"""Plant personal values everywhere a caller can put them; find none of them in the workspace.

A few hundred synthetic personal values (e-mail addresses, phone numbers, card
numbers, IBANs, national ids, IP addresses) go into a number column, a
category column, a free-text column and a personal (hashed) column, through
real HTTP requests and their labels, a batch file (rows that break the
signature too, so a rejects file is written) and Redis stream messages (bad
ones too, so dead letters are written). Then monitoring runs over the log and
over a file, and the CLI writes HTML reports into the workspace. Every byte of
the workspace (the SQLite database, log segments, Parquet inside and out,
JSON, HTML, model artifacts unzipped) is searched for each value as it was
planted and in its common normalizations.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from driftline import Workspace
from driftline.privacy import Redactor
from driftline.settings import Settings

from . import planted

POLICY = '[privacy]\npersonal = ["customer_id"]\n'


def forms(value: str) -> list[bytes]:
    """The value as planted, and as it might be written after a normalization."""
    compact = re.sub(r"[\s\-().]", "", value)
    out = {value, value.lower(), value.upper(), compact, compact.lower()}
    return [f.encode() for f in out if len(f) >= 6]


def digits_only(value: str) -> bytes | None:
    digits = re.sub(r"\D", "", value)
    return digits.encode() if len(digits) >= 9 else None


def contents(path: Path) -> Iterator[bytes]:
    """Every readable form of a file: its bytes, and what compression or Parquet hides."""
    data = path.read_bytes()
    yield data
    if data[:4] == b"PAR1":
        table = pq.read_table(io.BytesIO(data))
        yield json.dumps(table.to_pylist(), default=str, ensure_ascii=False).encode()
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                yield z.read(name)


def leaks(home: Path, values: list[str]) -> list[tuple[str, str]]:
    found = []
    blobs = [(p, b) for p in sorted(home.rglob("*")) if p.is_file() for b in contents(p)]
    assert len(blobs) > 20, "the workspace should hold the database, log, Parquet, reports"
    for value in values:
        needles = forms(value)
        digits = digits_only(value)
        pattern = re.compile(rb"(?<!\d)" + digits + rb"(?!\d)") if digits else None
        for path, blob in blobs:
            if any(n in blob for n in needles) or (pattern is not None and pattern.search(blob)):
                found.append((value, str(path.relative_to(home))))
    return found


def train() -> tuple[Any, pd.DataFrame]:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(11)
    n = 300
    rows = pd.DataFrame(
        {
            "amount": rng.normal(100, 30, n),
            "account": rng.integers(1000, 9999, n).astype(float),
            "city": rng.choice(["Paris", "Lyon", "Nice"], n),
            "note": rng.choice(["late delivery", "all good", "box damaged", "wrong size"], n),
            "customer_id": [f"c-{i}" for i in rng.integers(0, 50, n)],
        }
    )
    y = ((rows["amount"] > 100) | (rows["city"] == "Nice")).astype(int)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["city"]),
            ("passthrough", ["amount"]),
        ),
        LogisticRegression(),
    ).fit(rows, y)
    return model, rows.assign(y=y)


def row(values: list[tuple[str, str]], i: int) -> dict[str, Any]:
    """A request row carrying four planted values: category, free text, personal id, number."""
    cards = [v for k, v in values if k == "CARD"]
    return {
        "amount": 50.0 + i,
        "account": int(cards[i % len(cards)]),  # a card number as a number
        "city": values[i % len(values)][1],
        "note": f"please call me on {values[(i + 1) % len(values)][1]} about my refund",
        "customer_id": values[(i + 2) % len(values)][1],
    }


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "driftline.toml").write_text(POLICY)
    local = {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "artifacts"),
    }
    with Workspace.init(home, actor="tester", **local) as workspace:
        model, data = train()
        workspace.register("loan", model, train=data, target="y")
        workspace.set_alias("loan", 1, "champion")
        yield workspace


def serve_and_label(ws: Workspace, serve: Any, values: list[tuple[str, str]], n: int) -> list[str]:
    from driftline.serving import deploy

    deploy(ws.context, "loan")
    server = serve(ws)
    ids = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(n):
            body: dict[str, Any] = {"records": [row(values, i)]}
            if i % 2 == 0:  # a caller's request id and key can be personal too
                body["id"] = f"{values[(i + 3) % len(values)][1]}#{i}"
                body["key"] = values[(i + 4) % len(values)][1]
            r = http.post("/v1/models/loan/predict", json=body)
            assert r.status_code == 200, r.text
            ids.append(r.json()["request_ids"][0])
        # A value in the wrong place is refused, and the refusal quotes it back to the caller
        bad = {**row(values, 0), "amount": values[0][1]}
        r = http.post("/v1/models/loan/predict", json={"records": [bad]})
        assert r.status_code in (400, 422), r.text
        labels = [{"request_id": rid, "label": i % 2} for i, rid in enumerate(ids)]
        r = http.post("/v1/models/loan/labels", json={"labels": labels})
        assert r.status_code == 200, r.text
    server.state.log.rotate()
    return ids


def batch(ws: Workspace, tmp_path: Path, values: list[tuple[str, str]]) -> Path:
    rows = pd.DataFrame([row(values, i) for i in range(len(values))])
    rows["account"] = rows["account"].astype(float)
    rows.loc[::7, "amount"] = np.inf  # these break the signature: the rejects file gets them
    rows["timestamp"] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(len(rows)), unit="min"
    )
    path = tmp_path / "today.parquet"
    rows.to_parquet(path)
    run = ws.batch_score("loan@champion", input=path, output=ws.home / "scored", log=True)
    assert run.rejected > 0
    clean = tmp_path / "clean.parquet"  # for the reports: rows the model can score
    rows[np.isfinite(rows["amount"])].to_parquet(clean)
    return clean


def stream(ws: Workspace, redis_url: str, values: list[tuple[str, str]]) -> list[dict[str, Any]]:
    import redis

    from driftline.stream import run as run_stream

    client = redis.Redis.from_url(redis_url)
    source = f"privacy-in-{time.time_ns()}"
    pipe = client.pipeline(transaction=False)
    for i in range(len(values)):
        pipe.xadd(source, {"data": json.dumps(row(values, i))})
    for i in range(0, len(values), 5):  # not JSON: a dead letter holding the message
        pipe.xadd(source, {"data": f"{{broken {values[i][1]}", "contact": values[i][1]})
    pipe.execute()
    stats = run_stream(
        ws.context,
        "loan@champion",
        f"{redis_url.rstrip('/')}/{source}",
        sink=f"{source}-out",
        log=True,
        drain=True,
        block=0.05,
    )
    assert stats.dead > 0 and stats.answered == len(values)
    letters = client.xrange(f"{source}:dead-letter")
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in letters]


def test_no_planted_personal_value_reaches_the_workspace(
    ws: Workspace, serve: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from driftline import monitor
    from driftline.cli import main
    from driftline.store import InferenceLog

    values = planted.values(320, seed=17)
    serve_and_label(ws, serve, values, 120)
    current = batch(ws, tmp_path, values)
    letters: list[dict[str, Any]] = []
    try:
        redis_url = request.getfixturevalue("redis_url")
    except pytest.skip.Exception:
        redis_url = None  # the rest of the test still holds; the stream part is skipped
    if redis_url is not None:
        letters = stream(ws, redis_url, values)
    log = InferenceLog.open(ws.settings)
    try:
        log.compact()
    finally:
        log.close()
    monitor.run(ws.context, "loan@champion")
    monitor.run(ws.context, "loan@champion", current)  # a file: its findings quote its values
    home = str(ws.home)
    main(
        [
            "--home",
            home,
            "drift",
            "--model",
            "loan@champion",
            str(current),
            "--html",
            f"{home}/drift.html",
        ]
    )
    main(
        [
            "--home",
            home,
            "data",
            "check",
            "--model",
            "loan@champion",
            str(current),
            "--html",
            f"{home}/check.html",
        ]
    )
    assert (ws.home / "drift.html").stat().st_size > 1000 and (ws.home / "check.html").exists()
    assert list((ws.home / "scored" / "_rejects").iterdir())

    planted_values = [v for _, v in values]
    assert leaks(ws.home, planted_values) == []
    dead = json.dumps(letters)
    assert [v for v in planted_values if any(f.decode() in dead for f in forms(v))] == []
    if redis_url is None:
        pytest.skip("the stream part needs redis-server; the rest held")


def test_a_hashed_column_and_hashed_request_ids_still_join(ws: Workspace, serve: Any) -> None:
    from driftline.store import InferenceLog

    values = planted.values(40, seed=5)
    ids = serve_and_label(ws, serve, values, 20)
    table = InferenceLog.open(ws.settings).read("loan").to_pylist()
    redactor = Redactor.from_settings(Settings.load(ws.home))
    assert len(table) == 20
    # Every label found its prediction, though the request ids it was posted with were hashed.
    assert sorted(r["label"] for r in table) == sorted(i % 2 for i in range(20))
    hashed = {r["request_id"] for r in table} - set(ids)
    assert len(hashed) == 10 and all(h.startswith("hmac-sha256:") for h in hashed)
    # The personal column is the keyed hash of what was sent: join your own table by it.
    sent = {redactor.hash(row(values, i)["customer_id"]) for i in range(20)}
    assert {r["customer_id"] for r in table} == sent
    # Monitoring leaves the hashed column out: against the raw training data it would drift.
    from driftline import monitor

    windows = monitor.run(ws.context, "loan@champion").windows
    assert windows and {w.columns for w in windows} == {4}
