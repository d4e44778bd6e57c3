"""Which drift detector sees which shift, at which sample size, and how often does it cry wolf?

    python benchmarks/power_bench.py [--quick] [--seeds 30] [--null-seeds 100] [--workers 2]

Seeded, one command. Two data sets, eight shifts, three magnitudes each and
magnitude 0 (no shift, to measure false alarms), at 10, 50, 100, 500 and
1000 rows per side:

* digits: the 8x8 images of ``sklearn.datasets.load_digits`` (64 pixel
  columns), drawn with replacement from a pool the model never saw, plus
  uniform dequantization noise so no two rows tie. Shifts: Gaussian noise on
  half of the rows (sd in pixel units, pixels span 0-16), knock-out of digit
  0 (share of its rows removed), label shift (the first tenth, three tenths
  or half of the ten digits gone from the current rows), rotation (degrees) and Gaussian blur (sd in
  pixels) of the images.
* tabular: 6 numbers and 2 categories around a latent class of 4. Shifts: a
  mean shift of 2 of the numbers (in sd), a correlation change of a pair of
  numbers whose marginals stay N(0, 1) (rho = 0.6 becomes 0.6 (1 - 2m)), and
  knock-out of class 1 (share of its rows removed).

Candidates, each at alpha = 0.05:

* ``columns``: driftline's per-column ``auto`` (BH across columns, effect floors);
* ``mmd``: MMD on the standardized, one-hot encoded rows (200 permutations);
* ``pca_mmd``, ``pca_ks``: ``RepresentationDetector`` with ``PCAEncoder`` and
  MMD (200 permutations) or per-component KS (Bonferroni);
* ``classifier``: the domain classifier test on the standardized rows;
* ``model_ks``: KS on the predicted probabilities of a model trained on
  reference-like rows (black-box shift detection);
* ``auto``: ``drift(ref, cur)``, the combined default (columns + MMD, Holm);
* ``auto+model``: ``drift(ref, cur, model=m)`` (columns + MMD + model outputs, Holm).

``columns`` and ``mmd`` are read off the ``auto`` report (the same tests at the
full alpha), ``model_ks`` off the ``auto+model`` one. Prints Markdown and writes
it into benchmarks/RESULTS.md under "## Drift detection power (issue 3)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Drift detection power (issue 3)"
ALPHA = 0.05
SIZES = (10, 50, 100, 500, 1000)
CANDIDATES = (
    "columns",
    "mmd",
    "pca_mmd",
    "pca_ks",
    "classifier",
    "model_ks",
    "auto",
    "auto+model",
)

Pair = tuple[Any, Any]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- data ----------------------------------------------------------------------------------


@functools.cache
def digits() -> dict[str, Any]:
    """The pools (model-training and sampling) and a model trained on the first."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_digits()
    order = np.random.default_rng(12345).permutation(len(data.target))
    train, pool = order[:600], order[600:]
    rng = np.random.default_rng(1)
    x_train = data.data[train] + rng.random((len(train), 64))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(x_train, data.target[train])
    return {"x": data.data[pool], "y": data.target[pool], "model": model}


def _digit_rows(
    rng: np.random.Generator, n: int, knockout: float = 0.0, removed: float = 0.0
) -> np.ndarray:
    d = digits()
    weights = np.where(d["y"] == 0, 1.0 - knockout, 1.0)
    # Label shift: the first round(10 * removed) digits are gone from the current rows.
    weights = np.where(d["y"] < round(10 * removed), 0.0, weights)
    index = rng.choice(len(weights), n, p=weights / weights.sum())
    return np.array(d["x"][index], dtype=float)


def _jitter(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    return x + rng.random(x.shape)


def digits_pair(shift: str, magnitude: float, n: int, rng: np.random.Generator) -> Pair:
    from scipy import ndimage

    ref = _jitter(rng, _digit_rows(rng, n))
    cur = _digit_rows(
        rng,
        n,
        knockout=magnitude if shift == "knockout" else 0.0,
        removed=magnitude if shift == "classes_removed" else 0.0,
    )
    if magnitude and shift == "gaussian_noise":
        half = n // 2
        cur[:half] += rng.normal(scale=magnitude, size=(half, 64))
    elif magnitude and shift == "rotation":
        # Bilinear, with the border extended: spline ringing and zero fill at the
        # edge of an 8x8 image would be shifts of their own, far easier to see.
        images = ndimage.rotate(
            cur.reshape(-1, 8, 8), magnitude, axes=(1, 2), reshape=False, order=1, mode="nearest"
        )
        cur = images.reshape(-1, 64)
    elif magnitude and shift == "blur":
        cur = ndimage.gaussian_filter(cur.reshape(-1, 8, 8), sigma=(0, magnitude, magnitude))
        cur = cur.reshape(-1, 64)
    return ref, _jitter(rng, cur)


CLASS_P = np.array([0.4, 0.3, 0.2, 0.1])
CLASS_MEANS = np.array(
    [[0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.0, -0.5], [0.0, 1.0, 1.0, 0.0], [-1.0, 0.0, 0.5, 1.0]]
)
REGION_P = np.array(
    [
        [0.3, 0.3, 0.2, 0.1, 0.1],
        [0.1, 0.2, 0.3, 0.2, 0.2],
        [0.2, 0.1, 0.1, 0.3, 0.3],
        [0.2, 0.2, 0.2, 0.2, 0.2],
    ]
)
RHO = 0.6


def tabular_rows(
    rng: np.random.Generator, n: int, *, knockout: float = 0.0, rho: float = RHO, mean: float = 0.0
) -> tuple[pd.DataFrame, np.ndarray]:
    weights = CLASS_P * np.array([1.0, 1.0 - knockout, 1.0, 1.0])
    z = rng.choice(4, n, p=weights / weights.sum())
    numbers = CLASS_MEANS[z] + rng.normal(size=(n, 4))
    numbers[:, :2] += mean
    a, b = rng.normal(size=n), rng.normal(size=n)
    paired = np.column_stack([a, rho * a + np.sqrt(1 - rho**2) * b])
    cumulative = REGION_P[z].cumsum(axis=1)
    region = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    frame = pd.DataFrame(
        {
            "n0": numbers[:, 0],
            "n1": numbers[:, 1],
            "n2": numbers[:, 2],
            "n3": numbers[:, 3],
            "p0": paired[:, 0],
            "p1": paired[:, 1],
            "region": np.array(list("abcde"))[np.minimum(region, 4)],
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    return frame, z


@functools.cache
def tabular_model() -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, z = tabular_rows(np.random.default_rng(2), 3000)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["region", "plan"]),
            remainder=StandardScaler(),
        ),
        LogisticRegression(max_iter=2000),
    )
    return model.fit(frame, z)


def tabular_pair(shift: str, magnitude: float, n: int, rng: np.random.Generator) -> Pair:
    ref, _ = tabular_rows(rng, n)
    kwargs: dict[str, float] = {}
    if shift == "mean_shift":
        kwargs["mean"] = magnitude
    elif shift == "correlation":
        kwargs["rho"] = RHO * (1.0 - 2.0 * magnitude)
    elif shift == "knockout":
        kwargs["knockout"] = magnitude
    cur, _ = tabular_rows(rng, n, **kwargs)
    return ref, cur


# (data set, shift, magnitudes, unit)
SHIFTS: list[tuple[str, str, tuple[float, ...], str]] = [
    ("digits", "gaussian_noise", (1.0, 2.0, 4.0), "noise sd (pixels 0-16) on half the rows"),
    ("digits", "knockout", (0.5, 0.75, 1.0), "share of digit-0 rows removed"),
    ("digits", "classes_removed", (0.1, 0.3, 0.5), "share of the 10 digits removed"),
    ("digits", "rotation", (2.0, 5.0, 10.0), "degrees (bilinear)"),
    ("digits", "blur", (0.35, 0.45, 0.6), "blur sd (pixels)"),
    ("tabular", "mean_shift", (0.1, 0.25, 0.5), "mean shift (sd) of 2 of 6 numbers"),
    ("tabular", "correlation", (0.25, 0.5, 1.0), "m: rho 0.6 -> 0.6 (1 - 2m), marginals fixed"),
    ("tabular", "knockout", (0.5, 0.75, 1.0), "share of class-1 rows (30%) removed"),
]
MAKERS: dict[str, Callable[[str, float, int, np.random.Generator], Pair]] = {
    "digits": digits_pair,
    "tabular": tabular_pair,
}
MODELS: dict[str, Callable[[], Any]] = {
    "digits": lambda: digits()["model"],
    "tabular": tabular_model,
}


# -- candidates ----------------------------------------------------------------------------


def _pooled(ref: Any, cur: Any) -> tuple[np.ndarray, np.ndarray]:
    from driftline.represent import TabularPreprocessor

    pooled = pd.concat([pd.DataFrame(ref), pd.DataFrame(cur)], ignore_index=True)
    encoded = TabularPreprocessor().fit(pooled).transform(pooled)
    return encoded[: len(ref)], encoded[len(ref) :]


def run_candidates(
    ref: Any, cur: Any, model: Any, seed: int
) -> tuple[dict[str, bool], dict[str, float]]:
    """Every candidate's verdict, and the family p-values of ``auto`` (for --dump)."""
    from driftline.drift import drift
    from driftline.represent import PCAEncoder, RepresentationDetector, classifier_test

    out: dict[str, bool] = {}
    report = drift(ref, cur)
    out["auto"] = report.drift_detected
    out["columns"] = any(
        c.p_value_adjusted <= ALPHA and c.effect_size > c.threshold for c in report.columns
    )
    out["mmd"] = bool(report.multivariate and report.multivariate[0].p_value <= ALPHA)
    # Raw family p-values, kept (with --dump) to weigh other ways of combining them.
    p_values = {
        "columns": min((c.p_value_adjusted for c in report.columns), default=1.0),
        "mmd": report.multivariate[0].p_value if report.multivariate else 1.0,
    }
    with_model = drift(ref, cur, model=model)
    out["auto+model"] = with_model.drift_detected
    out["model_ks"] = bool(with_model.multivariate[-1].p_value <= ALPHA)
    p_values["model"] = with_model.multivariate[-1].p_value
    out["pca_mmd"] = (
        RepresentationDetector(
            encoder=PCAEncoder(), method="mmd", n_permutations=200, random_state=seed
        )
        .fit(ref)
        .test(cur)
        .drifted
    )
    out["pca_ks"] = (
        RepresentationDetector(encoder=PCAEncoder(), method="ks", random_state=seed)
        .fit(ref)
        .test(cur)
        .drifted
    )
    x, y = _pooled(ref, cur)
    out["classifier"] = classifier_test(x, y, alpha=ALPHA, random_state=seed).drifted
    return out, p_values


def run_task(task: tuple[str, str, float, int, list[int]]) -> list[tuple[Any, ...]]:
    from threadpoolctl import threadpool_limits

    dataset, shift, magnitude, n, seeds = task
    model = MODELS[dataset]()
    rows = []
    with threadpool_limits(1):
        for seed in seeds:
            rng = np.random.default_rng([_stable_hash(shift) if magnitude else 0, n, seed])
            ref, cur = MAKERS[dataset](shift, magnitude, n, rng)
            hits, p_values = run_candidates(ref, cur, model, seed)
            rows.append((dataset, shift, magnitude, n, seed, hits, p_values))
    return rows


def _stable_hash(text: str) -> int:
    return sum((i + 1) * ord(ch) for i, ch in enumerate(text))


# -- report --------------------------------------------------------------------------------


def _tasks(seeds: int, null_seeds: int, sizes: tuple[int, ...]) -> list[Any]:
    tasks = []
    for n in sizes:
        for dataset in MAKERS:
            for start in range(0, null_seeds, 25):
                tasks.append(
                    (dataset, "none", 0.0, n, list(range(start, min(null_seeds, start + 25))))
                )
        for dataset, shift, magnitudes, _ in SHIFTS:
            for magnitude in magnitudes:
                for start in range(0, seeds, 25):
                    tasks.append(
                        (dataset, shift, magnitude, n, list(range(start, min(seeds, start + 25))))
                    )
    # Big samples first, so the pool ends on short tasks.
    return sorted(tasks, key=lambda t: -t[3] * len(t[4]))


def _pct(hits: list[bool]) -> str:
    return f"{100 * np.mean(hits):.0f}"


def render(rows: list[tuple[Any, ...]], args: argparse.Namespace, seconds: float) -> str:
    by: dict[tuple[str, str, float, int], dict[str, list[bool]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for dataset, shift, magnitude, n, _, result, _ in rows:
        for name, hit in result.items():
            by[(dataset, shift, magnitude, n)][name].append(bool(hit))
    sizes = sorted({key[3] for key in by})
    lines = [
        HEADING,
        "",
        f"Command: `{' '.join(['python', 'benchmarks/power_bench.py', *map(shlex.quote, sys.argv[1:])])}`"
        f" ({seconds / 60:.1f} min, {args.workers} worker processes, one BLAS thread each).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"Python {platform.python_version()}, {platform.system()}; "
        f"run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        f"Seeds: {args.seeds} per shift and magnitude, {args.null_seeds} per data set at "
        f"magnitude 0; alpha = {ALPHA}. Cells are the % of runs that declared drift.",
        "",
        "Candidates: `columns` per-column auto; `mmd` MMD on standardized rows; `pca_mmd` / "
        "`pca_ks` PCA + MMD / KS; `classifier` domain classifier; `model_ks` KS on a trained "
        "model's probabilities; `auto` = `drift(ref, cur)` (columns + MMD, Holm); `auto+model` "
        "= `drift(ref, cur, model=m)` (columns + MMD + model outputs, Holm).",
        "",
        "Why `auto` is columns + MMD under Holm: MMD on the standardized rows is the "
        "strongest single candidate on average at every size, but it cannot say *where*; "
        "the column tests say where and lead on some cells (the 2-degree rotation at 50 "
        "rows) but are blind to a correlation change. Holm across the two families "
        "keeps the chance of any false alarm at alpha under any dependence between them and "
        "costs a few points against MMD alone where MMD leads. The domain classifier leads on "
        "the correlation change from 500 rows, but it costs a model fit per call and is weak "
        "below 100 rows, so it is not a member.",
        "",
    ]
    header = "| " + " | ".join(["n", *CANDIDATES]) + " |"
    rule = "|" + "---|" * (len(CANDIDATES) + 1)

    lines += ["### False alarms at magnitude 0 (%, should be <= 5)", ""]
    lines += ["| data | " + header[2:], "|---" + rule]
    for dataset in MAKERS:
        for n in sizes:
            cell = by.get((dataset, "none", 0.0, n))
            if cell:
                values = [_pct(cell[c]) for c in CANDIDATES]
                lines.append(f"| {dataset} | {n} | " + " | ".join(values) + " |")
    nulls = [cell for key, cell in by.items() if key[1] == "none"]
    if nulls:
        from scipy import stats

        pooled = {c: [hit for cell in nulls for hit in cell[c]] for c in CANDIDATES}
        values = [f"{100 * np.mean(pooled[c]):.1f}" for c in CANDIDATES]
        lines.append("| **all** | pooled | " + " | ".join(values) + " |")
        trials = len(nulls[0]["auto"])
        total = len(pooled["auto"])
        high = stats.binom.ppf(0.975, trials, ALPHA) / trials
        high_pooled = stats.binom.ppf(0.975, total, ALPHA) / total
        lines += [
            "",
            f"A true 5% rate shows up to {100 * high:.0f}% in a cell of {trials} runs and up to "
            f"{100 * high_pooled:.1f}% pooled over {total} runs (97.5% binomial bounds).",
        ]

    singles = [c for c in CANDIDATES if not c.startswith("auto")]
    shifted_cells = [k for k in by if k[1] != "none"]
    close = sum(
        np.mean(by[k]["auto"]) >= max(np.mean(by[k][c]) for c in singles) - 0.10
        for k in shifted_cells
    )
    best_shift = 0
    for dataset, shift, _, _ in SHIFTS:
        keys = [k for k in shifted_cells if k[:2] == (dataset, shift)]
        auto = np.mean([np.mean(by[k]["auto"]) for k in keys])
        best = max(np.mean([np.mean(by[k][c]) for k in keys]) for c in singles)
        best_shift += bool(auto >= best - 0.05)
    lines += [
        "",
        f"Headline: `auto` is within 10 points of the best single candidate in {close} of "
        f"{len(shifted_cells)} (shift, magnitude, n) cells, and its power averaged over a "
        f"shift's magnitudes and sizes is within 5 points of the best single candidate's "
        f"on {best_shift} of {len(SHIFTS)} shifts.",
    ]
    lines += ["", "### Mean power over every shift and magnitude (%)", ""]
    lines += [header, rule]
    shifted = [k for k in by if k[1] != "none"]
    for n in sizes:
        values = [
            f"{100 * np.mean([np.mean(by[k][c]) for k in shifted if k[3] == n]):.0f}"
            for c in CANDIDATES
        ]
        lines.append(f"| {n} | " + " | ".join(values) + " |")
    lines += ["", "### Power per shift (%)", ""]
    for dataset, shift, magnitudes, unit in SHIFTS:
        lines += [f"**{dataset} / {shift}** (magnitude: {unit})", ""]
        lines += ["| magnitude | " + header[2:], "|---" + rule]
        for magnitude in magnitudes:
            for n in sizes:
                cell = by.get((dataset, shift, magnitude, n))
                if cell:
                    values = [_pct(cell[c]) for c in CANDIDATES]
                    lines.append(f"| {magnitude:g} | {n} | " + " | ".join(values) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few seeds, for development")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--null-seeds", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--dump", type=Path, help="also write every run's verdicts as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.null_seeds = 10, 25
    tasks = _tasks(args.seeds, args.null_seeds, SIZES)
    log(f"{len(tasks)} tasks on {args.workers} workers")
    started = time.perf_counter()
    rows: list[tuple[Any, ...]] = []
    with Pool(args.workers) as pool:
        for i, done in enumerate(pool.imap_unordered(run_task, tasks), 1):
            rows += done
            if i % 10 == 0:
                log(f"{i}/{len(tasks)} tasks, {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    if args.dump:
        import json

        args.dump.write_text(json.dumps(rows))
    markdown = render(rows, args, seconds)
    print(markdown)
    if not args.no_write and not args.quick:
        write_section(RESULTS, HEADING, markdown)


if __name__ == "__main__":
    main()
