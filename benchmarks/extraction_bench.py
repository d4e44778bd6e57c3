"""How much of a served model does a simple extraction attack copy, with and without hardening?

    python benchmarks/extraction_bench.py [--quick] [--queries 3000]

The victim: a seeded RandomForestClassifier (100 trees) on 8 generated numeric
features and 3 classes, registered with its training data and served by
``driftline serve`` (uvicorn in this process, loopback). The attacker holds a
predictor token and a budget of queries: inputs drawn uniformly over each
column's training range, 50 per request, sent as fast as answers come back. It
trains two copies on what it got: a decision tree on the labels, and a
regression tree on the probability vectors (when the answers carry them;
predicting their argmax). Agreement is the share of 2,000 held-out rows from
the real distribution where a copy answers as the victim does.

Deployments compared (``driftline deploy victim ...``): none (the baseline, in
the same run), ``--round 1``, ``--top-k 1``, ``--labels-only``,
``--token-rate 100 --burst 100``, and ``--labels-only --token-rate 100 --burst 100``.
Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import head, write_section  # noqa: E402

HEADING = "## Model extraction with and without hardening (issue 17)"
RESULTS = HERE / "RESULTS.md"
FEATURES, CLASSES, BATCH = 8, 3, 50


def victim_data(seed: int) -> tuple[Any, np.ndarray, np.ndarray, list[str]]:
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(
        n_samples=8000,
        n_features=FEATURES,
        n_informative=6,
        n_classes=CLASSES,
        random_state=seed,
    )
    names = [f"f{i}" for i in range(FEATURES)]
    train = pd.DataFrame(X[:6000], columns=names)
    model = RandomForestClassifier(n_estimators=100, random_state=seed).fit(train, y[:6000])
    return model, train.assign(y=y[:6000]), X[6000:], names


def start(ctx: Any) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    from driftline.serving import ServerConfig, create_app

    app = create_app(ctx, ServerConfig(auth=True, freeze_gc=False))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200:
                return url, server, thread
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling the server's readiness, with a deadline
    raise RuntimeError("the server did not start")


def attack(
    url: str, secret: str, queries: int, low: np.ndarray, high: np.ndarray, names: list[str]
) -> dict[str, Any]:
    import httpx

    rng = np.random.default_rng(11)
    xs, labels, probs, refused = [], [], [], 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(queries // BATCH):
            x = rng.uniform(low, high, size=(BATCH, FEATURES))
            r = http.post(
                "/v1/models/victim/predict",
                json={"records": [dict(zip(names, row, strict=True)) for row in x.tolist()]},
                headers={"Authorization": f"Bearer {secret}"},
            )
            if r.status_code == 429:
                refused += 1
                continue
            r.raise_for_status()
            doc = r.json()
            xs.append(x)
            labels.extend(doc["predictions"])
            if doc["probabilities"] is not None:
                probs.extend([[p[str(c)] for c in range(CLASSES)] for p in doc["probabilities"]])
    return {
        "x": np.vstack(xs) if xs else np.zeros((0, FEATURES)),
        "labels": np.array(labels),
        "probs": np.array(probs) if probs else None,
        "refused": refused,
        "seconds": time.perf_counter() - started,
    }


def agreement(
    stolen: dict[str, Any], holdout: np.ndarray, victim: np.ndarray
) -> tuple[float, float | None]:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    x, y = stolen["x"], stolen["labels"]
    if len(y) == 0:
        return 0.0, None
    hard = DecisionTreeClassifier(random_state=0).fit(x, y).predict(holdout)
    soft = None
    if stolen["probs"] is not None:
        guess = DecisionTreeRegressor(random_state=0).fit(x, stolen["probs"]).predict(holdout)
        soft = float(np.mean(guess.argmax(axis=1) == victim))
    return float(np.mean(hard == victim)), soft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a budget of 600 queries")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.queries = 600
    load_avg = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())

    import pandas as pd

    import driftline
    from driftline import auth
    from driftline.guard import GuardPolicy
    from driftline.serving import deploy

    model, train, holdout, names = victim_data(args.seed)
    victim = model.predict(pd.DataFrame(holdout, columns=names))
    low, high = train[names].min().to_numpy(), train[names].max().to_numpy()
    limit = {"token_rate": 100.0, "burst": 100}
    scenarios: list[tuple[str, GuardPolicy | None]] = [
        ("baseline: full probabilities, no limit", None),
        ("--round 1", GuardPolicy(round=1)),
        ("--top-k 1", GuardPolicy(top_k=1)),
        ("--labels-only", GuardPolicy(labels_only=True)),
        ("--token-rate 100 --burst 100", GuardPolicy(**limit)),  # type: ignore[arg-type]
        ("--labels-only --token-rate 100 --burst 100", GuardPolicy(labels_only=True, **limit)),  # type: ignore[arg-type]
    ]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="extraction_bench_") as tmp,
        driftline.Workspace.init(Path(tmp) / "ws") as ws,
    ):
        mv = ws.register("victim", model, train=train, target="y")
        ws.set_alias("victim", mv.version, "champion")
        _, secret = auth.create(ws.context, role="predictor", name="attacker")
        for label, policy in scenarios:
            deploy(ws.context, "victim", guard=policy)
            url, server, thread = start(ws.context)
            try:
                stolen = attack(url, secret, args.queries, low, high, names)
            finally:
                server.should_exit = True
                thread.join(timeout=30)
            hard, soft = agreement(stolen, holdout, victim)
            rows.append(
                (label, len(stolen["labels"]), stolen["refused"], stolen["seconds"], hard, soft)
            )
            print(f"{label}: {len(stolen['labels'])} answered, agreement {hard:.3f} / {soft}")

    lines = [
        *head(HEADING, load_avg),
        "",
        f"Victim: RandomForestClassifier (100 trees) on {FEATURES} generated features, "
        f"{CLASSES} classes, 6,000 training rows. Attacker: a predictor token and a budget of "
        f"{args.queries:,} queries ({BATCH} per /v1 request, uniform over the training ranges), "
        "sent back to back; copies trained on what was answered; agreement with the victim on "
        "2,000 held-out rows.",
        "",
        "| deployment | queries answered | requests refused (429) | attack time (s) | agreement, copy from labels | agreement, copy from probabilities |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, answered, refused, seconds, hard, soft in rows:
        lines.append(
            f"| {label} | {answered:,} | {refused:,} | {seconds:.1f} | {hard:.3f} | "
            f"{'' if soft is None else f'{soft:.3f}'} |"
        )
    base, hardened = rows[0], rows[-1]
    lines += [
        "",
        f"- labels only with a rate limit: the attacker got {hardened[1]:,} answers of "
        f"{args.queries:,} and a copy agreeing {hardened[4]:.3f} (best copy without hardening: "
        f"{max(base[4], base[5] or 0):.3f})",
        "- rounding and top-k cost the attacker little here: the label is what a tree copy "
        "learns from; what they hide is the confidence an attacker uses near the boundaries "
        "and for membership inference",
        "- a rate limit bounds the queries per unit of time, not in total: a patient attacker "
        "gets through; the query-sweep alert and the token's audit trail are what catch one",
    ]
    if args.quick:
        lines.append(f"- a short run ({args.queries:,} queries): indicative only")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
