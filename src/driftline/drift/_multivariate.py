"""Dataset-level drift tests on the profiles' row samples: what column tests miss.

A column test sees one marginal at a time, so a rotation, a changed
correlation or a mixture that loses a component while every column keeps its
range goes unseen. These tests compare whole rows. They read the profiles'
reservoirs (uniform row samples whose columns come from the same rows), so
they work the same on DataFrames, files and stored profiles, and their cost
is bounded by the reservoir size whatever the size of the tables.

* :func:`kernel_test`: maximum mean discrepancy on the standardized,
  one-hot encoded rows. The encoding (medians, means, scales, categories) is
  learned from the *pooled* sample, a function of the pooled rows that
  ignores which side each row came from, so the permutation p-value stays
  exact without holding reference rows apart for fitting.
* :func:`model_output_test`: black-box shift detection (Lipton et al. 2018,
  Rabanser et al. 2019): KS on each of the model's predicted probabilities,
  Bonferroni across them. The model is fixed, so the test is exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftline.drift._result import ColumnDrift, DriftResult
from driftline.errors import InputError
from driftline.stats import Profile

__all__ = ["MAX_ROWS", "MIN_ROWS", "kernel_test", "model_output_test", "sample_frame"]

# Rows a side: the kernel test costs O(rows²) per permutation; at 1000 rows a
# side it takes a few tenths of a second on one core.
MAX_ROWS = 1000
# Below this a two-sample test of whole rows has (almost) no power to offer.
MIN_ROWS = 5
# The permutation p-value is valid at any count; 200 relabelings resolve it to
# 1/201, a fifth of the alpha / 2 it may be judged at, for a bounded cost.
N_PERMUTATIONS = 200
# Most frequent categories one-hot encoded per column, as in the column profiles.
MAX_CATEGORIES = 50


def sample_frame(profile: Profile, columns: list[str], *, seed: int) -> pd.DataFrame:
    """The profile's reservoir rows as a DataFrame, at most ``MAX_ROWS`` of them (seeded).

    Numbers are floats and categories strings, as the profile holds them;
    booleans come back as 0/1 and datetimes as seconds since the epoch.
    """
    values = profile.reservoir.values
    frame = pd.DataFrame({name: values[name] for name in columns if name in values})
    if len(frame) > MAX_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), MAX_ROWS, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame


def _encode_pooled(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Standardized numbers (plus missing flags) and one-hot categories of both sides.

    Everything is learned from the pooled rows. Written with numpy rather than
    ``TabularPreprocessor`` because its per-column pandas work cost more than
    the kernel test itself on the small samples this runs on.
    """
    n = len(reference)
    blocks: list[np.ndarray] = []
    for name in reference.columns:
        left, right = reference[name].to_numpy(), current[name].to_numpy()
        values = np.concatenate([left, right])
        if values.dtype.kind in "biuf":
            values = values.astype(np.float64)
            missing = np.isnan(values)
            if missing.all():
                continue
            if missing.any():
                values = np.where(missing, np.median(values[~missing]), values)
                blocks.append(missing[:, None].astype(np.float64))
            spread = values.std()
            # A constant column carries no information; dividing would amplify rounding.
            scale = spread if spread > 1e-12 * max(1.0, float(np.abs(values).max())) else np.inf
            blocks.append(((values - values.mean()) / scale)[:, None])
        else:
            labels = np.array(["\0missing" if v is None else str(v) for v in values], dtype=object)
            names, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
            keep = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
            if len(names) < 2:
                continue
            blocks.append((codes[:, None] == keep[None, :]).astype(np.float64))
    if not blocks:
        return np.zeros((n + len(current), 1)), n
    return np.hstack(blocks), n


def _mmd_permutation(
    z: np.ndarray, n: int, *, n_permutations: int, seed: int
) -> tuple[float, float, float]:
    """Biased MMD² of rows ``z[:n]`` against ``z[n:]``, its permutation p-value, the bandwidth.

    Gaussian kernel, width the median pairwise distance of the pooled rows (a
    function of the pooled rows only, so relabelings stay exchangeable). In
    float32: the permutation products dominate the cost and halve with it,
    while the statistic needs nowhere near float64's precision.
    """
    total = len(z)
    m = total - n
    z = z.astype(np.float32)
    sq = np.einsum("ij,ij->i", z, z)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (z @ z.T), 0.0)
    median = float(np.median(d2[np.triu_indices(total, k=1)]))
    h2 = median if median > 0 else 1.0
    kernel = np.exp(d2 / np.float32(-2.0 * h2))
    w = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)]).astype(np.float32)
    observed = float(w @ kernel @ w)
    rng = np.random.default_rng(seed)
    permuted = np.empty(n_permutations)
    for start in range(0, n_permutations, 100):
        size = min(100, n_permutations - start)
        W = w[np.argsort(rng.random((size, total)), axis=1)].T
        permuted[start : start + size] = np.einsum("ip,ip->p", W, kernel @ W)
    # Ties (identical samples) must count despite float32 rounding of the sums.
    exceed = int(np.sum(permuted >= observed - 1e-5 * max(abs(observed), 1e-12)))
    return observed, (1 + exceed) / (1 + n_permutations), float(np.sqrt(h2))


def kernel_test(
    reference: pd.DataFrame, current: pd.DataFrame, *, alpha: float, seed: int
) -> DriftResult:
    """MMD permutation test on standardized rows (encoding learned from the pooled sample)."""
    encoded, n = _encode_pooled(reference, current)
    statistic, p_value, _ = _mmd_permutation(encoded, n, n_permutations=N_PERMUTATIONS, seed=seed)
    return DriftResult(
        method="mmd",
        drift_detected=p_value <= alpha,
        p_value=p_value,
        score=statistic,
        alpha=alpha,
        correction="none",
        n_reference=n,
        n_current=len(encoded) - n,
    )


def _model_input(model: Any, frame: pd.DataFrame) -> Any:
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        missing = [str(n) for n in names if str(n) not in frame.columns]
        if missing:
            raise InputError(
                f"the model was trained on columns {missing} that the drift profiles do not "
                f"hold (they have {list(frame.columns)}); profile every column the model reads"
            )
        return frame[[str(n) for n in names]]
    if hasattr(model, "n_features_in_"):
        # Fitted on a plain array: hand it one, columns in the profile's order.
        return frame.to_numpy()
    return frame


def _outputs(encoder: Any, frame: pd.DataFrame, side: str) -> np.ndarray:
    try:
        return np.asarray(encoder.transform(_model_input(encoder.model, frame)), dtype=float)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"drift(model=...) could not score the {side} rows ({type(exc).__name__}: {exc}); "
            "the model gets the profiled columns as a DataFrame (numbers as floats, "
            "categories as strings), or as an array when it was fitted on one"
        ) from exc


def check_model(model: Any) -> None:
    """An actionable error unless ``model`` can answer ``predict_proba`` or ``predict``."""
    if not any(callable(getattr(model, m, None)) for m in ("predict_proba", "predict")):
        raise InputError(
            f"model= must be a fitted model with predict_proba() or predict(), "
            f"got {type(model).__name__}; pass the estimator or pipeline itself"
        )


def model_output_test(
    model: Any, reference: pd.DataFrame, current: pd.DataFrame, *, alpha: float
) -> DriftResult:
    """KS on each predicted probability (or prediction), Bonferroni across them."""
    from driftline.represent import ModelOutputEncoder, ks_test

    encoder = ModelOutputEncoder(model)
    try:
        encoder.fit(_model_input(model, reference))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"drift(model=...) could not score the reference rows ({type(exc).__name__}: "
            f"{exc}); pass a fitted model that reads the profiled columns"
        ) from exc
    ref_out = _outputs(encoder, reference, "reference")
    cur_out = _outputs(encoder, current, "current")
    result = ks_test(ref_out, cur_out, alpha=alpha)
    names = _output_names(encoder, ref_out.shape[1])
    p_values = np.atleast_1d(result.details["p_values"])
    statistics = np.atleast_1d(result.details["statistics"])
    d = len(p_values)
    outputs = [
        ColumnDrift(
            column=name,
            kind="numeric",
            method="ks",
            statistic=float(s),
            p_value=float(p),
            p_value_adjusted=float(min(1.0, d * p)),
            effect="ks_d",
            effect_size=float(s),
            threshold=0.0,
            drifted=bool(min(1.0, d * p) <= alpha),
        )
        for name, s, p in zip(names, statistics, p_values, strict=True)
    ]
    return DriftResult(
        method="model_output_ks",
        drift_detected=result.drifted,
        p_value=result.p_value,
        score=result.statistic,
        alpha=alpha,
        correction="bonferroni",
        n_reference=result.n_reference,
        n_current=result.n_current,
        columns=outputs,
    )


def _output_names(encoder: Any, width: int) -> list[str]:
    classes = getattr(encoder.model, "classes_", None)
    if encoder.classes_ is not None:
        return [f"predicted={c}" for c in encoder.classes_]
    if classes is not None and encoder.method_ == "predict_proba":
        labels = [str(c) for c in classes]
        labels = labels[1:] if encoder.positive_only_ else labels
        if len(labels) == width:
            return [f"proba[{c}]" for c in labels]
    return [f"output[{i}]" for i in range(width)]
