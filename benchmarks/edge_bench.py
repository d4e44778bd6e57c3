"""What do the cheaper forms of a model cost in agreement? Export and distillation, measured.

    python benchmarks/edge_bench.py [--rows 50000] [--seconds 1.0] [--quick] [--no-write]

On a seeded credit-like table (10 numeric columns of different shapes, a
3-category and a 12-category column, a binary label driven by interactions),
trained on ``--rows`` rows and measured on 10,000 held-out rows:

* export: four models (a random forest, gradient boosting, a multi-layer
  perceptron, a logistic regression over one-hot categories), each registered
  in a fresh workspace, then ``driftline.edge.bench`` over every form:
  scikit-learn (the baseline, in the same run), ONNX, ONNX int8, ONNX float16
  weights, and the Treelite-compiled trees when the edge extra is installed;
  size, agreement with scikit-learn's answers, p50/p99 latency and rows per
  second at batch sizes 1, 32 and 1024, one thread;
* distillation: the forest and the perceptron as teachers, each student kind
  (tree, gbm, logistic) trained on the teachers' answers to unlabelled rows
  (``driftline.edge.distill``), with agreement on held-out rows, size,
  latency, and the accuracy on the true labels of teacher and student, which
  is the trade a person makes.

Writes the Markdown into benchmarks/RESULTS.md under "## Edge: export and
distillation".
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

from driftline import Workspace, edge  # noqa: E402
from driftline.registry import ModelRuntime  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Edge: export and distillation"
HELD_OUT = 10_000
NUMBERS = [f"x{i}" for i in range(10)]


def credit(n: int, seed: int) -> pd.DataFrame:
    """Numbers of several shapes, two categories, a label from interactions and noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x0": rng.normal(50, 12, n),
            "x1": rng.gamma(2.0, 8.0, n),
            "x2": rng.lognormal(0, 0.6, n),
            "x3": rng.uniform(0, 1, n),
            "x4": rng.normal(0, 1, n),
            "x5": rng.exponential(3.0, n),
            "x6": rng.integers(18, 80, n).astype(float),
            "x7": rng.normal(0, 1, n),
            "x8": rng.poisson(3.0, n).astype(float),
            "x9": rng.beta(2, 5, n),
            "tier": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
            "region": rng.choice([f"r{k:02d}" for k in range(12)], n),
        }
    )
    region = frame.region.str[1:].astype(int).to_numpy()
    logit = (
        (frame.x0 - 1.5 * frame.x1) / 12
        + np.sin(3 * frame.x3)
        + frame.x4 * frame.x7
        - 0.4 * np.log(frame.x2)
        + 0.3 * (region % 3 == 0)
        + frame.tier.map({"basic": -0.3, "plus": 0.2, "pro": 0.6}).to_numpy()
        + 0.05 * (frame.x6 - 45) / 10
    )
    frame["y"] = (logit + rng.logistic(0, 0.6, n) > 0.8).astype(int)
    return frame


def models() -> dict[str, tuple[Any, bool]]:
    """Each model, and whether it reads the numbers alone (else the categories too)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def inputs() -> ColumnTransformer:
        return ColumnTransformer(
            [
                ("n", StandardScaler(), NUMBERS),
                ("c", OneHotEncoder(handle_unknown="ignore"), ["tier", "region"]),
            ]
        )

    return {
        "forest": (RandomForestClassifier(n_estimators=100, max_depth=12, random_state=0), True),
        "boosting": (
            GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0),
            True,
        ),
        "mlp": (
            make_pipeline(
                StandardScaler(),
                MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=60, random_state=0),
            ),
            True,
        ),
        "logistic": (make_pipeline(inputs(), LogisticRegression(max_iter=1000)), False),
    }


def accuracy(home: Path, ref: str, rows: pd.DataFrame, labels: np.ndarray) -> float:
    with Workspace.open(home, create=False) as ws:
        runtime = ModelRuntime.load(ws.context, ref)
        answers = runtime.predict(runtime.prepare(rows[runtime.names]))
    return float(np.mean(answers.labels.astype(int) == labels))


def export_table(home: Path, held: Path, args: argparse.Namespace) -> list[str]:
    lines = [
        "| model | runtime | size | agrees | batch 1 p50 / p99 ms | batch 32 rows/s | batch 1024 rows/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes: list[str] = []
    for name in models():
        with Workspace.open(home, create=False) as ws:
            report = edge.bench(ws.context, name, data=held, seconds=args.seconds)
        for r in report.runtimes:
            t = {x.batch: x for x in r.timings}
            lines.append(
                f"| {name} | {r.runtime} | {_kb(r.size)} | "
                f"{edge.share(r.agreement.share)} | {t[1].p50_ms:.3f} / {t[1].p99_ms:.3f} | "
                f"{t[32].rows_per_second:,.0f} | {t[1024].rows_per_second:,.0f} |"
            )
            if r.note:
                notes.append(f"- {name}, {r.runtime}: {r.note}")
        notes += [f"- {name}: {s}" for s in report.skipped]
        print("\n".join(lines[-len(report.runtimes) :]), flush=True)
    return [*lines, "", *notes]


def _kb(n: int) -> str:
    return f"{n / 1000:,.0f} KB" if n >= 1000 else f"{n} B"


def distill_table(
    home: Path, unlabelled: Path, held: pd.DataFrame, args: argparse.Namespace
) -> list[str]:
    labels = held.y.to_numpy()
    rows = held.drop(columns="y")
    lines = [
        "| teacher | student | agrees with teacher (held out) | accuracy teacher → student | "
        "ONNX size teacher → student | 1 row p50 ms teacher → student | rows/s (1024) teacher → student |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for teacher in ("forest", "mlp"):
        base = accuracy(home, f"{teacher}:1", rows, labels)
        for kind in edge.STUDENTS:
            with Workspace.open(home, create=False) as ws:
                r = edge.distill(ws.context, f"{teacher}:1", unlabelled, student=kind)
            acc = accuracy(home, r.student, rows, labels)
            lines.append(
                f"| {teacher} | {kind} ({r.student}) | {edge.share(r.agreement.share)} of "
                f"{r.agreement.rows:,} | {base:.3f} → {acc:.3f} | "
                f"{_kb(r.teacher_onnx_size or r.teacher_size)} → {_kb(r.student_onnx_size or r.student_size)} | "
                f"{r.teacher_ms:.3f} → {r.student_ms:.3f} | "
                f"{r.teacher_rows_per_second:,.0f} → {r.student_rows_per_second:,.0f} |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="Training rows per model.")
    parser.add_argument("--seconds", type=float, default=1.0, help="Per runtime and batch size.")
    parser.add_argument("--quick", action="store_true", help="5,000 rows, 0.2 s per point.")
    parser.add_argument("--no-write", action="store_true", help="Print only.")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.seconds = 5_000, 0.2
    warnings.simplefilter("ignore")  # convergence notes of a deliberately short MLP fit
    load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "ws"
        train, held = credit(args.rows, 0), credit(HELD_OUT, 1)
        held_path, unlabelled = Path(tmp) / "held.csv", Path(tmp) / "unlabelled.csv"
        held.to_csv(held_path, index=False)
        credit(args.rows, 2).drop(columns="y").to_csv(unlabelled, index=False)
        with Workspace.init(home) as ws:
            for name, (model, numbers_only) in models().items():
                x = train[NUMBERS] if numbers_only else train[[*NUMBERS, "tier", "region"]]
                model.fit(x, train.y)
                ws.register(name, model, train=x.assign(y=train.y), target="y")
                print(f"registered {name}", flush=True)
        exported = export_table(home, held_path, args)
        distilled = distill_table(home, unlabelled, held, args)
    after = os.getloadavg()
    command = "python benchmarks/edge_bench.py " + shlex.join(sys.argv[1:])
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured {started} on {machine()}; load average {load[0]:.2f} at the start and "
            f"{after[0]:.2f} at the end (other work shared the machine: read ratios, not absolutes).",
            "",
            f"```console\n{command.strip()}\n```",
            "",
            f"Seeded credit-like table: 10 numeric columns of several shapes, a 3- and a 12-category "
            f"column, a binary label from interactions; {args.rows:,} training rows, "
            f"{HELD_OUT:,} held-out rows for agreement and accuracy. One thread per runtime, in "
            f"process; {args.seconds:g} s per runtime and batch size. Agreement is the share of "
            "held-out rows on which a form gives scikit-learn's label (scikit-learn is the baseline "
            "row of each model).",
            "",
            "### Export: every form of four models",
            "",
            *exported,
            "",
            "### Distillation: students trained on the teacher's answers to unlabelled rows",
            "",
            *distilled,
            "",
        ]
    )
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
