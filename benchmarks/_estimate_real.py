"""estimate_bench.py's second part: each estimator against NannyML CBPE on real tables.

Per table (see ``_real_tables.py``) and window, each variant estimates
accuracy and ROC AUC without the window's labels; the labels then give the
realized values. Reported: mean absolute error per variant, its ratio to
NannyML CBPE's, and how often the 95% band held the realized value.

Six directions computed here from the default estimator's own parts (no
band): the mean of CBPE, weighted and recalibrated without pulling either
toward CBPE (the default before), the same pulled by their noise but not by
the overlap, the mean of CBPE and the weighted estimate
alone (the default before that), the mean of CBPE, weighted and doubly robust, CBPE recalibrated per window on the
reference weighted toward that window (isotonic with the density-ratio
weights), and the blend of CBPE and the weighted estimate with the weighted
share growing with the weights' effective sample size.

The ratio of the default's error to NannyML's comes with a 90% interval from
resampling the windows (2,000 resamples, paired): how much of the ratio the
choice of windows could move.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _real_tables import PEER_ENV, RealTable

METRICS = ["accuracy", "roc_auc"]
# (label, calibration, weighting); "loss" is the recalibration log loss chooses.
VARIANTS = [
    ("CBPE, recalibration chosen by log loss (before)", "loss", "none"),
    ("CBPE, always isotonic", "isotonic", "none"),
    ("CBPE, recalibration chosen on staged windows", "auto", "none"),
    ("importance weighted (domain classifier)", "isotonic", "weighted"),
    ("recalibrated toward each window (one temperature and shift, weighted)", "isotonic",
     "recalibrated"),
    ("doubly robust: CBPE + the weighted residuals", "isotonic", "corrected"),
    ("recalibration and weighting both chosen on staged windows", "auto", "auto"),
    ("default: recalibration chosen on staged windows; mean of CBPE, weighted and "
     "recalibrated, the last two pulled toward CBPE by their noise and the overlap", "auto",
     "blend"),
]  # fmt: skip
DIRECTIONS = (
    "mean of CBPE, weighted and recalibrated, none pulled (the default before)",
    "the same, the last two pulled by their noise only, not by the overlap",
    "mean of CBPE and weighted (the default two passes before)",
    "mean of CBPE, weighted and doubly robust",
    "CBPE recalibrated on the reference weighted toward each window (isotonic)",
    "CBPE + weighted, weighted share ESS / (ESS + 200) (effective sample size)",
)

PEER_SCRIPT = r"""
import json, sys, time
import pandas as pd
import nannyml as nml
job = json.loads(sys.argv[1])
ref = pd.read_parquet(job["reference"])
cur = pd.read_parquet(job["current"]).drop(columns="y")
started, cpu = time.perf_counter(), time.process_time()
est = nml.CBPE(y_pred_proba="proba", y_pred="pred", y_true="y", metrics=job["metrics"],
               problem_type="classification_binary", chunk_size=job["window"])
est.fit(ref)
frame = est.estimate(cur).filter(period="analysis").to_df()
out = {m: {k: frame[(m, col)].tolist() for k, col in (("value", "value"),
      ("low", "lower_confidence_boundary"), ("high", "upper_confidence_boundary"),
      ("se", "sampling_error"))} for m in job["metrics"]}
print(json.dumps({"version": nml.__version__, "result": out,
                  "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
"""


def windows(table: RealTable, every: int) -> list[slice]:
    w = table.window
    starts = range(0, len(table.current) - w + 1, w)
    return [slice(s, s + w) for s in starts][::every]


def run_driftline(table: RealTable, every: int, log: Any) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    from driftline.calibration import fit_calibrator
    from driftline.estimate import CBPE

    ref, cur = table.reference, table.current
    y, p, X = ref["y"].to_numpy(), ref["proba"].to_numpy(), ref[table.features]
    loss_choice = str(fit_calibrator(y, p, classes=[0, 1]).method)
    loss_choice = "none" if loss_choice == "identity" else loss_choice
    spans = windows(table, every)
    realized = {
        "accuracy": [float((cur["pred"][s] == cur["y"][s]).mean()) for s in spans],
        "roc_auc": [float(roc_auc_score(cur["y"][s], cur["proba"][s])) for s in spans],
    }
    out: dict[str, Any] = {"realized": realized, "variants": {}, "loss_choice": loss_choice}
    for label, calibration, weighting in VARIANTS:
        started, cpu = time.perf_counter(), time.process_time()
        estimator = CBPE(
            metrics=METRICS,
            calibration=loss_choice if calibration == "loss" else calibration,
            weighting=weighting,
            n_simulations=200,
        ).fit(y, p, classes=[0, 1], y_pred=ref["pred"].to_numpy(), X=X)
        fitted, fitted_cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = [
            estimator.estimate(
                cur["proba"].to_numpy()[s], cur["pred"].to_numpy()[s], X=cur[table.features][s]
            )
            for s in spans
        ]
        out["variants"][label] = {
            m: {
                "value": [r[m].value for r in rows],
                "low": [r[m].low for r in rows],
                "high": [r[m].high for r in rows],
            }
            for m in METRICS
        }
        out["variants"][label]["chosen"] = f"{estimator.calibration_}, {estimator.weighting_}"
        out["variants"][label]["seconds"] = (
            fitted,
            time.perf_counter() - started - fitted,
            time.process_time() - cpu - fitted_cpu,
        )
        log(f"{table.name}: {label}: {estimator.calibration_}+{estimator.weighting_}")
        if label == VARIANTS[-1][0]:
            out["directions"] = _directions(estimator, table, spans)
    # ATC (Garg et al., 2022): the share of the window's rows more confident than the
    # threshold at which the reference's share matched its accuracy. Accuracy only.
    confidence = np.maximum(p, 1 - p)
    threshold = np.quantile(confidence, 1 - float((ref["pred"] == ref["y"]).mean()))
    current_confidence = np.maximum(cur["proba"], 1 - cur["proba"]).to_numpy()
    out["atc"] = [float((current_confidence[s] > threshold).mean()) for s in spans]
    return out


def _directions(estimator: Any, table: RealTable, spans: list[slice]) -> dict[str, Any]:
    """More ways to use the density-ratio weights, from the default estimator's parts."""
    from sklearn.isotonic import IsotonicRegression

    from driftline.estimate._choose import pulled
    from driftline.estimate._expected import expected_metrics
    from driftline.estimate._weights import (
        corrected_metrics,
        recalibrated_toward,
        weighted_metrics,
    )

    ref, cur = table.reference, table.current
    y, p, pred = ref["y"].to_numpy(), ref["proba"].to_numpy(), ref["pred"].to_numpy()
    raw = np.column_stack([1 - p, p])
    out: dict[str, dict[str, list[float]]] = {
        label: {m: [] for m in METRICS} for label in DIRECTIONS
    }
    for s in spans:
        cp, cpred = cur["proba"].to_numpy()[s], cur["pred"].to_numpy()[s]
        craw = np.column_stack([1 - cp, cp])
        w, _overlap = estimator.reweighter_.weights(cur[table.features][s], cp)
        reference = (
            estimator._truth,
            estimator._ref_predicted,
            estimator._ref_raw,
            estimator._ref_fitted,
        )
        seen = (craw, estimator.calibrated(craw), cpred)
        plain = expected_metrics(METRICS, craw, estimator.calibrated(craw), cpred)
        weighted = weighted_metrics(METRICS, w, y, pred, raw)
        fitted = estimator._ref_fitted
        toward = recalibrated_toward(w, y, fitted, estimator.calibrated(craw))
        recalibrated = expected_metrics(METRICS, craw, toward, cpred)
        corrected = corrected_metrics(
            METRICS, w, (y, pred, raw, fitted), (craw, estimator.calibrated(craw), cpred)
        )
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
        q = iso.fit(p, y, sample_weight=w).predict(cp)
        local = expected_metrics(METRICS, craw, np.column_stack([1 - q, q]), cpred)
        ess = w.sum() ** 2 / (w**2).sum()
        share = ess / (ess + 200)
        noise_only = pulled(METRICS, w, reference, seen, plain)[1]
        for m in METRICS:
            out[DIRECTIONS[0]][m].append((plain[m] + weighted[m] + recalibrated[m]) / 3)
            out[DIRECTIONS[1]][m].append(
                (plain[m] + noise_only["weighted"][m] + noise_only["recalibrated"][m]) / 3
            )
            out[DIRECTIONS[2]][m].append((plain[m] + weighted[m]) / 2)
            out[DIRECTIONS[3]][m].append((plain[m] + weighted[m] + corrected[m]) / 3)
            out[DIRECTIONS[4]][m].append(local[m])
            out[DIRECTIONS[5]][m].append((1 - share) * plain[m] + share * weighted[m])
    return out


def run_nannyml(table: RealTable, every: int, peers_python: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="estimate-real-") as folder:
        ref_path, cur_path = Path(folder) / "ref.parquet", Path(folder) / "cur.parquet"
        table.reference[[*table.features, "y", "pred", "proba"]].to_parquet(ref_path)
        spans = windows(table, every)
        # Only the windows measured, back to back: NannyML chunks by row count.
        current = pd.concat([table.current.iloc[s] for s in spans], ignore_index=True)
        current.to_parquet(cur_path)
        job = {"reference": str(ref_path), "current": str(cur_path), "metrics": METRICS,
               "window": table.window}  # fmt: skip
        done = subprocess.run(
            [str(peers_python), "-c", PEER_SCRIPT, json.dumps(job)],
            capture_output=True, text=True, env={**os.environ, **PEER_ENV}, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def summary(
    realized: list[float], value: list[float], low: list[float] | None, high: list[float] | None
) -> tuple[float, float | None]:
    r, v = np.asarray(realized), np.asarray(value)
    ok = np.isfinite(r) & np.isfinite(v)
    mae = float(np.abs(v - r)[ok].mean())
    if low is None or high is None:
        return mae, None
    lo, hi = np.asarray(low), np.asarray(high)
    return mae, float(((lo <= r) & (r <= hi))[ok].mean())


def render(table: RealTable, result: dict[str, Any], nml: dict[str, Any] | None) -> list[str]:
    realized = result["realized"]
    n = len(realized["accuracy"])
    lines = [f"### {table.name}", "", f"{table.about}; {n} windows measured.", ""]
    head = "| estimator | chosen | accuracy error | band | / NannyML | ROC AUC error | band | / NannyML |"
    lines += [head, "|---|---|---:|---:|---:|---:|---:|---:|"]
    base: dict[str, float] = {}
    rows: list[tuple[str, str, dict[str, tuple[float, float | None]]]] = []
    if nml is not None:
        cells = {
            m: summary(realized[m], nml["result"][m]["value"], nml["result"][m]["low"],
                       nml["result"][m]["high"])
            for m in METRICS
        }  # fmt: skip
        base = {m: cells[m][0] for m in METRICS}
        rows.append((f"NannyML CBPE {nml['version']} (band ±3 σ)", "", cells))
    for label, v in result["variants"].items():
        cells = {m: summary(realized[m], v[m]["value"], v[m]["low"], v[m]["high"]) for m in METRICS}
        rows.append((label, v["chosen"], cells))
    for label, values in result["directions"].items():
        cells = {m: summary(realized[m], values[m], None, None) for m in METRICS}
        rows.append((label, "", cells))
    atc = summary(realized["accuracy"], result["atc"], None, None)
    rows.append(("ATC, average thresholded confidence", "", {"accuracy": atc}))
    verdict = _verdict(rows, base, _interval(realized, result, nml))
    for label, chosen, cells in rows:
        parts = [label, chosen]
        for m in METRICS:
            if m not in cells:
                parts += ["—", "—", "—"]
                continue
            mae, cover = cells[m]
            ratio = f"{mae / base[m]:.2f}x" if base else "—"
            parts += [f"{mae:.4f}", "—" if cover is None else f"{cover:.0%}", ratio]
        lines.append("| " + " | ".join(parts) + " |")
    floor = _noise_floor(table, result)
    timing = "; ".join(
        f"{label.split(':')[0]}: fit {v['seconds'][0]:.1f} s, windows {v['seconds'][1]:.1f} s "
        f"({v['seconds'][2]:.1f} s CPU)"
        for label, v in result["variants"].items()
    )
    lines += ["", verdict] if verdict else []
    lines += [
        "",
        f"Time (driftline, fit on the reference, then all windows measured): {timing}"
        + (
            f"; NannyML fit and windows {nml['seconds']:.1f} s ({nml['cpu']:.1f} s CPU)."
            if nml
            else "."
        ),
        "",
        f"Noise floor (the error of an estimator that knew each window's expected value "
        f"exactly, from the label draws of the isotonic CBPE band): accuracy ≈ "
        f"{floor['accuracy']:.4f}, ROC AUC ≈ {floor['roc_auc']:.4f}.",
        "",
    ]
    below = [m for m in METRICS if base and 0.8 * base[m] < floor[m]]
    if below:
        lines += [
            "Below the floor: "
            + "; ".join(
                f"0.80x NannyML's {m} error is {0.8 * base[m]:.4f}, under the floor of {floor[m]:.4f}"
                for m in below
            )
            + ". Even an estimator that knew each window's expected value would err more on "
            "average: on this table that target cannot be met, only approached.",
            "",
        ]
    return lines


def _interval(
    realized: dict[str, list[float]], result: dict[str, Any], nml: dict[str, Any] | None
) -> dict[str, tuple[float, float]]:
    """A 90% interval of the default's error over NannyML's, resampling the windows."""
    if nml is None:
        return {}
    rng = np.random.default_rng(0)
    default = result["variants"][VARIANTS[-1][0]]
    out = {}
    for m in METRICS:
        r = np.asarray(realized[m])
        ours = np.abs(np.asarray(default[m]["value"]) - r)
        theirs = np.abs(np.asarray(nml["result"][m]["value"]) - r)
        ok = np.isfinite(ours) & np.isfinite(theirs)
        ours, theirs = ours[ok], theirs[ok]
        picks = rng.integers(0, len(ours), (2000, len(ours)))
        ratios = ours[picks].mean(axis=1) / theirs[picks].mean(axis=1)
        out[m] = (float(np.quantile(ratios, 0.05)), float(np.quantile(ratios, 0.95)))
    return out


def _verdict(
    rows: list[tuple[str, str, dict[str, tuple[float, float | None]]]],
    base: dict[str, float],
    interval: dict[str, tuple[float, float]],
) -> str:
    """The default against the targets: 0.80x NannyML, and never worse than always isotonic."""
    by_label = {label: cells for label, _, cells in rows}
    default = by_label.get(VARIANTS[-1][0])
    isotonic = by_label.get("CBPE, always isotonic")
    if default is None or isotonic is None or not base:
        return ""
    parts = []
    for m in METRICS:
        ratio = default[m][0] / base[m]
        versus = default[m][0] / isotonic[m][0]
        spread = (
            f" (90% interval {interval[m][0]:.2f}-{interval[m][1]:.2f}x)" if m in interval else ""
        )
        parts.append(
            f"{m}: {ratio:.3f}x NannyML{spread} ({'met' if ratio <= 0.8 else 'not met'}), "
            f"{versus:.2f}x always-isotonic CBPE"
        )
    return "Default against the targets: " + "; ".join(parts) + "."


def _noise_floor(table: RealTable, result: dict[str, Any]) -> dict[str, float]:
    # A 95% band of a normal spans 3.92 sd; E|N(0, sd)| = 0.798 sd.
    iso = result["variants"]["CBPE, always isotonic"]
    return {
        m: float(np.mean((np.asarray(iso[m]["high"]) - np.asarray(iso[m]["low"])) / 3.92) * 0.798)
        for m in METRICS
    }
