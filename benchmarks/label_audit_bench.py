"""Does the training-data audit find planted label flips? driftline against cleanlab.

    python benchmarks/label_audit_bench.py [--seeds 5] [--quick] [--no-write]

On datasets shipped with scikit-learn (digits, wine, breast cancer: no
download) and one generated with ``make_classification``, 5% of the rows get
a wrong label (another class drawn at random). The out-of-fold probabilities
of a logistic regression over 5 stratified folds
(``driftline.screening.out_of_fold_probabilities``, scikit-learn's
``cross_val_predict``) are computed once per dataset and seed; then
driftline's ``label_issues`` and cleanlab's ``find_label_issues`` (its
default method, ``n_jobs=1``) flag rows on the same probabilities. Reported:
precision and recall of the flipped rows, how often the two flag exactly the
same rows, and the time of each call (median of repeats), beside the time the
probabilities took. cleanlab is a test extra (``pip install -e '.[test]'``).

Writes the Markdown into benchmarks/RESULTS.md under "## Label audit".
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Label audit"
SHARE = 0.05


def datasets(quick: bool) -> dict[str, tuple[Any, np.ndarray]]:
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification

    out: dict[str, tuple[Any, np.ndarray]] = {}
    for name, loader in (
        ("digits", load_digits),
        ("wine", load_wine),
        ("breast cancer", load_breast_cancer),
    ):
        X, y = loader(return_X_y=True, as_frame=True)
        out[name] = (X, y.to_numpy())
    n = 2_000 if quick else 10_000
    X, y = make_classification(
        n_samples=n, n_features=20, n_informative=8, n_classes=4, class_sep=1.5, random_state=0
    )
    import pandas as pd

    out[f"generated ({n:,} rows, 4 classes)"] = (pd.DataFrame(X).add_prefix("x"), y)
    return out


def flip(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = len(np.unique(y))
    rows = rng.choice(len(y), round(SHARE * len(y)), replace=False)
    noisy = y.copy()
    noisy[rows] = (noisy[rows] + rng.integers(1, k, len(rows))) % k
    return noisy, rows


def timed(call: Callable[[], np.ndarray], repeats: int) -> tuple[np.ndarray, float]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    assert out is not None
    return out, float(np.median(times))


def score(found: np.ndarray, flipped: np.ndarray) -> tuple[float, float]:
    hits = int(found[flipped].sum())
    precision = hits / found.sum() if found.sum() else float("nan")
    return precision, hits / len(flipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 seeds, a smaller generated set")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    seeds = 2 if args.quick else args.seeds
    repeats = 3 if args.quick else 11
    from driftline.screening import label_issues, out_of_fold_probabilities

    try:
        import cleanlab
        from cleanlab.filter import find_label_issues

        peer = f"cleanlab {cleanlab.__version__}"
    except ImportError:
        find_label_issues, peer = None, None
    began = time.perf_counter()
    rows = []
    for name, (X, y) in datasets(args.quick).items():
        acc: dict[str, list[float]] = {}
        for seed in range(seeds):
            noisy, flipped = flip(y, seed)
            start = time.perf_counter()
            probs = out_of_fold_probabilities(X, noisy, seed=seed)
            acc.setdefault("oof", []).append(time.perf_counter() - start)
            ours, t = timed(lambda: label_issues(noisy, probs), repeats)  # noqa: B023
            p, r = score(ours, flipped)
            acc.setdefault("p", []).append(p)
            acc.setdefault("r", []).append(r)
            acc.setdefault("t", []).append(t)
            if find_label_issues is not None:
                theirs, t = timed(
                    lambda: find_label_issues(noisy, probs, n_jobs=1),  # noqa: B023
                    repeats,
                )
                p, r = score(theirs, flipped)
                acc.setdefault("cp", []).append(p)
                acc.setdefault("cr", []).append(r)
                acc.setdefault("ct", []).append(t)
                acc.setdefault("same", []).append(float(np.array_equal(ours, theirs)))
        rows.append(
            (name, len(y), len(np.unique(y)), {k: float(np.mean(v)) for k, v in acc.items()})
        )
    minutes = (time.perf_counter() - began) / 60
    command = " ".join(["python benchmarks/label_audit_bench.py", shlex.join(sys.argv[1:])]).strip()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        HEADING,
        "",
        f"Command: `{command}` ({minutes:.1f} min). Machine: {machine()}; load average "
        f"{load} when it ended (a shared machine: times are indicative).",
        "",
        f"{SHARE:.0%} of labels flipped to another class; {seeds} seeds per dataset; out-of-fold "
        f"probabilities of a logistic regression (5 folds) shared by both tools. Precision and "
        f"recall of the flipped rows, mean over seeds; time per call, median of {repeats}.",
        "",
    ]
    head = "| dataset | rows | classes | driftline precision | driftline recall | driftline ms |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if peer:
        head += f" {peer} precision | recall | ms | same rows flagged |"
        rule += "---:|---:|---:|---:|"
    head += " out-of-fold probabilities s |"
    rule += "---:|"
    lines += [head, rule]
    for name, n, k, m in rows:
        line = f"| {name} | {n:,} | {k} | {m['p']:.3f} | {m['r']:.3f} | {1000 * m['t']:.2f} |"
        if peer:
            line += (
                f" {m['cp']:.3f} | {m['cr']:.3f} | {1000 * m['ct']:.2f} | "
                f"{100 * m['same']:.0f}% of seeds |"
            )
        line += f" {m['oof']:.2f} |"
        lines.append(line)
    if not peer:
        lines += ["", "cleanlab is not installed: `pip install -e '.[test]'` to compare."]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)


if __name__ == "__main__":
    main()
