"""How long does the dashboard take to answer for a model with a year of hourly windows?

    python benchmarks/ui_bench.py [--runs 20] [--quick] [--no-write]

One workspace (SQLite, seed 0) holds ``year``, two versions with 8,760
hourly monitoring windows (as ``monitor.run`` stores them: metrics,
estimated and realized performance, a drift report of six columns), and
``week``, the baseline: the same model shape with 168 windows; every
version has a stored evaluation (its card, slices, calibration). The
dashboard runs alone (``driftline.ui.create_app``, uvicorn on a loopback
port) and a viewer signs in; each page and each chart's JSON is asked
``--runs`` times. The figure is the server's own time (its Server-Timing
header: from the route called to the answer ready), median and 95th
percentile, and the client's wall time beside it. The history JSON is
timed twice: cold (a new request, read from the database) and warm
(answered from the cache until a window changes). Writes the Markdown
into benchmarks/RESULTS.md under "## Dashboard pages (issue 18)".
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "ui"))

import httpx  # noqa: E402
from _results import machine, write_section  # noqa: E402
from _serve import start_server  # noqa: E402
from _year import COLUMNS, WINDOWS, write_year  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from driftline import Workspace, auth, evaluation, ui  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Dashboard pages (issue 18)"
BUDGET_MS = 300


def build(home: Path) -> tuple[Workspace, str]:
    ws = Workspace.init(home, actor="bench")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument("--quick", action="store_true", help="5 requests per page")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        ws, viewer = build(Path(tmp) / "ws")
        url, stop = start_server(ui.create_app(ws.context))
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                client.post("/ui/signin", data={"token": viewer, "next": "/ui/"})
                client.get("/ui/")  # imports and templates compiled once, as on a running server
                targets: list[tuple[str, str, Callable[[int], str]]] = [
                    ("overview (both models)", "-", lambda i: "/ui/"),
                ]
                for name, windows in (("week", 168), ("year", WINDOWS)):
                    n = f"{windows:,}"
                    targets += [
                        (f"model page, {name}", n, lambda i, m=name: f"/ui/models/{m}"),
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
                        (f"traffic JSON, {name}", n, lambda i, m=name: f"/v1/models/{m}/traffic"),
                    ]
                rows = [(label, n, timed(client, path, runs)) for label, n, path in targets]
        finally:
            stop()
            ws.close()
    after = os.getloadavg()
    lines = [
        "| what | windows | server median (ms) | server p95 (ms) | wall median (ms) | bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, n, r in rows:
        lines.append(
            f"| {label} | {n} | {r['median']:.1f} | {r['p95']:.1f} | {r['wall']:.1f} | {r['bytes']:,} |"
        )
    pages = [r for label, _, r in rows if "page" in label or "overview" in label]
    worst = max(r["p95"] for r in pages)
    command = "python benchmarks/ui_bench.py " + shlex.join(sys.argv[1:])
    section = "\n".join(
        [
            HEADING,
            "",
            f"`{command.strip()}`: {runs} requests per row, server time from the Server-Timing "
            f"header. Machine: {machine()}; load average {load[0]:.1f} before, {after[0]:.1f} "
            "after (2 cores shared with other work: figures are upper bounds).",
            "",
            *lines,
            "",
            f"Every page's 95th percentile is {worst:.0f} ms against a budget of {BUDGET_MS} ms. "
            "The week model is the baseline: pages read the newest 200 windows and the open "
            "alerts, so their time does not grow with the year; the history JSON reads every "
            "window once, cut to 365 points, and is then served from the cache until a window "
            "changes.",
            "",
        ]
    )
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
