"""How long does the dashboard take to answer for a model with a year of hourly windows?

    python benchmarks/ui_bench.py [--runs 20] [--quick] [--no-write]
                                  [--database-url postgresql+psycopg://.../empty_db]

One workspace (SQLite, seed 0; with ``--database-url``, also the same on
that PostgreSQL database, which must be empty) holds ``year``, two versions
with 8,760 hourly monitoring windows (as ``monitor.run`` stores them:
metrics, estimated and realized performance, a drift report of six columns)
and a year of its served requests in the inference log (150 an hour, one in
500 failed, one Parquet file a day as compaction writes them), and
``week``, the baseline: the same model shape with 168 windows and a week of
log; every version has a stored evaluation (its card, slices, calibration).
The dashboard runs alone (``driftline.ui.create_app``, uvicorn on a loopback
port) and a viewer signs in; each page and each chart's JSON is asked
``--runs`` times. The figure is the server's own time (its Server-Timing
header: from the route called to the answer ready), median and 95th
percentile, and the client's wall time beside it. The history JSON is timed
cold (a new request each time, read from the database) and warm (answered
from the cache until a window changes). The traffic JSON of each range
(7 days, 30 days, a year) is timed on the first request ever, before any
page was shown (every day of the log read, and each settled day's summary
kept in the database), then on the first request after a restart (a new
workspace handle and server on the same folder: the kept rows read, two
days of the log), and then on later requests. Writes the Markdown into
benchmarks/RESULTS.md under "## Dashboard pages (issue 18)".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "ui"))

import httpx  # noqa: E402
from _results import machine, write_section  # noqa: E402
from _serve import start_server  # noqa: E402
from _year import COLUMNS, WINDOWS, write_year, write_year_log  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from driftline import Workspace, auth, evaluation, ui  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Dashboard pages (issue 18)"
BUDGET_MS = 300


def build(home: Path, database_url: str | None) -> tuple[Workspace, str]:
    overrides = {"database_url": database_url} if database_url else {}
    ws = Workspace.init(home, actor="bench", **overrides)
    rng = np.random.default_rng(0)
    train = pd.DataFrame({c: rng.normal(size=500) for c in COLUMNS})
    train["y"] = (train["income"] > 0).astype(int)
    holdout = train.sample(frac=1.0, random_state=1).iloc[:400]
    for name, windows in (("year", WINDOWS), ("week", 168)):
        for version, C in ((1, 0.1), (2, 1.0)):
            model = LogisticRegression(C=C).fit(train[COLUMNS], train["y"])
            ws.register(name, model, train=train, target="y")
            evaluation.evaluate(
                f"{name}:{version}", holdout, target="y", context=ws.context, n_resamples=200
            )
        ws.set_alias(name, 2, "champion")
        write_year(ws.context, name, version=2, windows=windows)
        write_year_log(ws.context, name, days=windows // 24)
    _, viewer = auth.create(ws.context, role="viewer", name="bench")
    return ws, viewer


def timed(client: httpx.Client, path: Callable[[int], str], runs: int) -> dict[str, float]:
    server, wall = [], []
    for i in range(runs):
        started = time.perf_counter()
        answer = client.get(path(i))
        wall.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path(i)} answered {answer.status_code}: {answer.text[:300]}")
        server.append(float(answer.headers["server-timing"].split("dur=")[1]))
    return {
        "median": statistics.median(server),
        "p95": float(np.percentile(server, 95)),
        "wall": statistics.median(wall),
        "bytes": len(answer.content),
    }


def firsts(client: httpx.Client, when: str) -> list[tuple[str, str, dict]]:
    """The traffic of each range asked once, before any model page (which starts summing
    up the year in the background) was shown."""
    rows = []
    for name in ("week", "year"):
        for days in (7, 30, 365):
            path = f"/v1/models/{name}/traffic?days={days}"
            label = f"traffic JSON, {name}, {days} days, {when}"
            rows.append((label, "-", timed(client, lambda i, p=path: p, 1)))
    return rows


@contextlib.contextmanager
def signed_in(url: str, viewer: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/ui/signin", data={"token": viewer, "next": "/ui/"})
        client.get("/ui/")  # imports and templates compiled once, as on a running server
        yield client


def measure(home: Path, database_url: str | None, runs: int) -> list[tuple[str, str, dict]]:
    ws, viewer = build(home, database_url)
    url, stop = start_server(ui.create_app(ws.context))
    try:
        with signed_in(url, viewer) as client:
            rows = firsts(client, "first ever")
            targets: list[tuple[str, str, Callable[[int], str]]] = [
                ("overview (both models)", "-", lambda i: "/ui/"),
            ]
            for name, windows in (("week", 168), ("year", WINDOWS)):
                n = f"{windows:,}"
                targets += [
                    (f"model page, {name}", n, lambda i, m=name: f"/ui/models/{m}"),
                    (
                        f"model page, {name}, a year of traffic",
                        n,
                        lambda i, m=name: f"/ui/models/{m}?traffic=365",
                    ),
                    (f"compare page, {name}", n, lambda i, m=name: f"/ui/models/{m}/compare"),
                    (
                        f"history JSON, {name}, cold",
                        n,
                        lambda i, m=name: f"/v1/models/{m}/history?points={365 + i}",
                    ),
                    (
                        f"history JSON, {name}, warm",
                        n,
                        lambda i, m=name: f"/v1/models/{m}/history?points=365",
                    ),
                ]
                for days in (7, 30, 365):
                    targets.append(
                        (
                            f"traffic JSON, {name}, {days} days",
                            n,
                            lambda i, m=name, d=days: f"/v1/models/{m}/traffic?days={d}",
                        )
                    )
            rows += [(label, n, timed(client, path, runs)) for label, n, path in targets]
    finally:
        stop()
        ws.close()
    # A restart: a new handle on the workspace and a new server; what lived in the
    # first one's memory is gone, what it kept in the database is not.
    overrides = {"database_url": database_url} if database_url else {}
    ws = Workspace.open(home, create=False, actor="bench", **overrides)
    url, stop = start_server(ui.create_app(ws.context))
    try:
        with signed_in(url, viewer) as client:
            after = firsts(client, "first after a restart")
            rows = rows[: len(after)] + after + rows[len(after) :]
    finally:
        stop()
        ws.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument("--quick", action="store_true", help="5 requests per page")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    parser.add_argument(
        "--database-url", help="also run on this PostgreSQL database (empty), beside SQLite"
    )
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    load = os.getloadavg()
    databases = [("SQLite", None)] + (
        [("PostgreSQL", args.database_url)] if args.database_url else []
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (db, database_url) in enumerate(databases):
            for label, n, r in measure(Path(tmp) / f"ws{i}", database_url, runs):
                results.append((db, label, n, r))
    after = os.getloadavg()
    lines = [
        "| database | what | windows | server median (ms) | server p95 (ms) | wall median (ms) | bytes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for db, label, n, r in results:
        lines.append(
            f"| {db} | {label} | {n} | {r['median']:.1f} | {r['p95']:.1f} | {r['wall']:.1f} | {r['bytes']:,} |"
        )
    pages = [r for _, label, _, r in results if "page" in label or "overview" in label]
    worst = max(r["p95"] for r in pages)
    charts = [r for _, label, _, r in results if "JSON" in label]
    slowest = max(charts, key=lambda r: r["p95"])
    slowest_label = next(f"{db}, {label}" for db, label, _, r in results if r is slowest)
    command = "python benchmarks/ui_bench.py " + shlex.join(
        a if not a.startswith("postgresql") else "postgresql+psycopg://.../bench"
        for a in sys.argv[1:]
    )
    section = "\n".join(
        [
            HEADING,
            "",
            f"`{command.strip()}`: {runs} requests per row (the rows named first: one, the "
            "first after the log was written, or after the server restarted), server time from the Server-Timing header. "
            f"Machine: {machine()}; load average {load[0]:.1f} before, {after[0]:.1f} after "
            "(2 cores shared with other work: figures are upper bounds).",
            "",
            *lines,
            "",
            f"Every page's 95th percentile is {worst:.0f} ms against a budget of {BUDGET_MS} ms; "
            f"the slowest chart JSON is {slowest_label} at {slowest['p95']:.0f} ms. "
            "The week model is the baseline: pages read the newest 200 windows and the open "
            "alerts, so their time does not grow with the year. The history JSON is bucketed in "
            "the database from the figures each window stores in plain columns (no JSON document "
            "is parsed but the effect sizes), cut to 365 points, then served from the cache "
            "until a window changes. The traffic JSON lists the model's log files once and keeps "
            "each settled day's summary in the database, stamped by the files it was made from: "
            "the first year ever reads every day of the log (the model page starts that in the "
            "background); after a restart, and later, it reads the kept rows and two days.",
            "",
        ]
    )
    over = [(db, label, r) for db, label, _, r in results if r["p95"] > BUDGET_MS]
    if over:
        listed = "; ".join(f"{db}, {label}: {r['p95']:.0f} ms" for db, label, r in over)
        section += f"\nOver the budget of {BUDGET_MS} ms: {listed}."
        if any("first ever" in label for _, label, _ in over):
            section += (
                " A year of traffic asked the first time ever reads every day of the log (365 "
                "files here), once in the log's life: the model page starts that read in the "
                "background, and what it makes is kept across restarts."
            )
        section += "\n"
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
