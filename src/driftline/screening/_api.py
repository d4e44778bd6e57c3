"""audit_data(): screen training data before a model learns from it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.io import fingerprint
from driftline.screening import _words as words
from driftline.screening._labels import label_issues, out_of_fold_probabilities, self_confidence
from driftline.screening._leakage import single_feature_auc
from driftline.screening._model import make_model
from driftline.screening._report import AuditFinding, AuditReport, Severity
from driftline.screening._rows import (
    cross_matches,
    duplicate_groups,
    near_duplicates,
    outlier_rows,
    row_hashes,
)

__all__ = ["LABEL_CRITICAL_SHARE", "LEAK_CRITICAL_AUC", "audit_data", "echo_finding"]

# A share of suspect labels this large changes what a model learns: fix before training.
LABEL_CRITICAL_SHARE = 0.03
# One feature this close to a perfect separation is almost always the label in disguise.
LEAK_CRITICAL_AUC = 0.995
LEAK_WARNING_AUC = 0.98
_LISTED = 200  # rows listed per finding (the count is always whole)


class _Rows:
    """Row numbers (1-based) and key values of positions, for findings."""

    def __init__(self, positions: np.ndarray, keys: pd.Series | None) -> None:
        self.positions = positions
        self.keys = keys

    def numbers(self, where: np.ndarray) -> list[int]:
        return [int(self.positions[i]) + 1 for i in where[:_LISTED]]

    def key_values(self, where: np.ndarray) -> list[str]:
        if self.keys is None:
            return []
        return [str(self.keys.iloc[i]) for i in where[:_LISTED]]

    def text(self, where: np.ndarray, limit: int = 2) -> list[str]:
        shown = self.key_values(where) or [str(r) for r in self.numbers(where)]
        return shown[:limit]


def _frame(data: Any, what: str) -> pd.DataFrame:
    from driftline.io import read_frame

    return data if isinstance(data, pd.DataFrame) else read_frame(data, what=what)


def audit_data(
    data: Any,
    *,
    target: str,
    model: str = "logistic",
    eval_data: Any = None,
    key: str | None = None,
    folds: int = 5,
    seed: int = 0,
    outlier_fpr: float = 0.01,
) -> AuditReport:
    """Screen training rows for wrong labels, duplicates, leakage and outliers.

    Parameters
    ----------
    data:
        The training rows (a DataFrame, or a CSV or Parquet path).
    target:
        The label column.
    model:
        The model whose out-of-fold probabilities judge the labels:
        ``"logistic"``, ``"forest"`` or ``"boosting"``.
    eval_data:
        Evaluation rows: any also in the training data is leakage.
    key:
        A column identifying rows (not a feature): findings name rows by it.
    """
    frame = _frame(data, "the training data")
    columns = [str(c) for c in frame.columns]
    for col, role in ((target, "label"), (key, "key")):
        if col is not None and col not in columns:
            raise InputError(
                f"no {role} column {col!r} in the training data; its columns are "
                f"{', '.join(columns[:12])}"
            )
    labelled = frame[target].notna().to_numpy()
    positions = np.flatnonzero(labelled)
    rows = frame.loc[labelled].reset_index(drop=True)
    features = rows.drop(columns=[c for c in (target, key) if c is not None])
    if len(rows) < 10 or features.shape[1] == 0:
        raise InputError(
            f"the audit needs at least 10 labelled rows and one feature, got {len(rows):,} "
            f"rows and {features.shape[1]} features"
        )
    make_model(model, features, seed)  # an unknown kind fails before any work
    ids = _Rows(positions, rows[key].astype(str) if key is not None else None)
    report = AuditReport(
        n_rows=len(rows),
        target=target,
        model=model,
        dataset=fingerprint(frame).removeprefix("sha256:"),
        findings=[],
    )
    if not labelled.all():
        report.notes.append(f"{plural_rows(int((~labelled).sum()))} without a label left out")
    codes, classes = pd.factorize(rows[target], sort=True)
    report.add(_labels(features, codes, len(classes), model, folds, seed, ids, report))
    hashes = row_hashes(features)
    groups = duplicate_groups(hashes)
    report.add(_duplicates(groups, codes, ids))
    exact = np.zeros(len(rows), dtype=bool)
    for g in groups:
        exact[g] = True
    report.add(_near(features, exact, ids))
    if eval_data is not None:
        other = _frame(eval_data, "the evaluation data")
        missing = [c for c in features.columns if c not in other.columns]
        if missing:
            raise InputError(
                f"the evaluation data lacks column(s) {', '.join(map(repr, missing[:5]))} of "
                f"the training data; give evaluation rows with the same columns"
            )
        report.n_eval = len(other)
        report.add(_cross(features, other[features.columns], other, key))
    report.add(_outliers(features, outlier_fpr, seed, ids, report))
    aucs = single_feature_auc(features, codes, len(classes), folds=folds, seed=seed)
    for column, auc in sorted(aucs.items(), key=lambda ca: -ca[1]):
        if auc >= LEAK_WARNING_AUC:
            severity: Severity = "critical" if auc >= LEAK_CRITICAL_AUC else "warning"
            report.add(
                AuditFinding(
                    "leaky_feature",
                    severity,
                    words.leak_sentence(column, auc),
                    column=column,
                    details={"auc": round(auc, 4)},
                )
            )
    return report


def plural_rows(k: int) -> str:
    return f"{k:,} row" if k == 1 else f"{k:,} rows"


def _labels(
    features: pd.DataFrame,
    codes: np.ndarray,
    n_classes: int,
    model: str,
    folds: int,
    seed: int,
    ids: _Rows,
    report: AuditReport,
) -> AuditFinding | None:
    if n_classes < 2:
        report.notes.append("labels not checked: the label column holds a single class")
        return None
    smallest = int(np.bincount(codes).min())
    k = min(folds, smallest)
    if k < 2:
        report.notes.append(
            "labels not checked: some class has a single row, too few to judge its labels"
        )
        return None
    probs = out_of_fold_probabilities(features, codes, kind=model, folds=k, seed=seed)
    mask = label_issues(codes, probs)
    found = np.flatnonzero(mask)
    if len(found) == 0:
        return None
    found = found[np.argsort(self_confidence(codes[found], probs[found]), kind="stable")]
    share = len(found) / len(codes)
    return AuditFinding(
        "label_issues",
        "critical" if share >= LABEL_CRITICAL_SHARE else "warning",
        words.label_sentence(len(found), len(codes), ids.text(found)),
        rows=ids.numbers(found),
        keys=ids.key_values(found),
        details={"count": len(found), "share": share, "folds": k, "model": model},
    )


def _duplicates(groups: list[np.ndarray], codes: np.ndarray, ids: _Rows) -> AuditFinding | None:
    if not groups:
        return None
    copies = sum(len(g) - 1 for g in groups)
    conflicting = [g for g in groups if len(set(codes[g].tolist())) > 1]
    rows = np.concatenate(conflicting or groups)
    severity: Severity = "warning" if conflicting or copies > 0.05 * len(codes) else "info"
    return AuditFinding(
        "duplicates",
        severity,
        words.duplicates_sentence(copies, len(groups), len(conflicting)),
        rows=ids.numbers(rows),
        keys=ids.key_values(rows),
        details={"copies": copies, "groups": len(groups), "conflicting": len(conflicting)},
    )


def _near(features: pd.DataFrame, exact: np.ndarray, ids: _Rows) -> AuditFinding | None:
    pairs = near_duplicates(features, exact)
    if not pairs:
        return None
    where = np.array([i for p in pairs for i in p[:2]])
    first = ids.text(np.array(pairs[0][:2]))
    return AuditFinding(
        "near_duplicates",
        "info",
        words.near_sentence(len(pairs), [" and ".join(first)]),
        rows=ids.numbers(where),
        keys=ids.key_values(where),
        details={"pairs": len(pairs)},
    )


def _cross(
    train: pd.DataFrame, other: pd.DataFrame, whole: pd.DataFrame, key: str | None
) -> AuditFinding | None:
    exact, near = cross_matches(train, other)
    if len(exact) == 0 and len(near) == 0:
        return None
    share = len(exact) / max(len(other), 1)
    eval_ids = _Rows(np.arange(len(other)), whole[key].astype(str) if key in whole else None)
    where = np.concatenate([exact, near])
    return AuditFinding(
        "eval_leakage",
        "critical" if share >= 0.01 else "warning",
        words.cross_sentence(len(exact), len(near), len(other)),
        rows=eval_ids.numbers(where),
        keys=eval_ids.key_values(where),
        details={"exact": len(exact), "near": len(near), "share": share, "rows_are": "eval"},
    )


def _outliers(
    features: pd.DataFrame, fpr: float, seed: int, ids: _Rows, report: AuditReport
) -> AuditFinding | None:
    if len(features) * fpr < 2:
        report.notes.append(
            f"outliers not checked: {len(features):,} rows are too few to set a line that "
            f"{fpr:g} of ordinary rows cross"
        )
        return None
    try:
        found, ratio = outlier_rows(features, fpr=fpr, seed=seed)
    except InputError as exc:
        report.notes.append(f"outliers not checked: {exc}")
        return None
    if len(found) == 0:
        return None
    found = found[np.argsort(-ratio[found], kind="stable")]
    share = len(found) / len(features)
    return AuditFinding(
        "outliers",
        "warning" if share > 3 * fpr else "info",
        words.outlier_sentence(len(found), len(features), fpr),
        rows=ids.numbers(found),
        keys=ids.key_values(found),
        details={"count": len(found), "share": share, "expected_share": fpr},
    )


def echo_finding(
    model: str,
    labels: np.ndarray,
    predictions: np.ndarray,
    expected: float,
    rows: list[int],
    keys: list[str],
) -> AuditFinding | None:
    """Labels that equal the model's own predictions more often than its accuracy allows.

    ``expected`` is the share a model as accurate as this one would agree with
    independently given labels. The gap is judged by a one-sided binomial z
    (more than 3 standard errors) and its size (5 points: warning; 15: critical).
    """
    n = len(labels)
    if n == 0:
        return None
    same = np.asarray([str(a) == str(b) for a, b in zip(labels, predictions, strict=True)])
    observed = float(same.mean())
    p = min(max(expected, 1e-6), 1 - 1e-6)
    z = (observed - p) / math.sqrt(p * (1 - p) / n)
    gap = observed - expected
    severity: Severity = "info"
    if z > 3 and gap >= 0.05:
        severity = "critical" if gap >= 0.15 else "warning"
    return AuditFinding(
        "echo_labels",
        severity,
        words.echo_sentence(model, n, observed, expected),
        rows=rows[:_LISTED],
        keys=keys[:_LISTED],
        details={"matched": n, "observed": observed, "expected": expected, "z": z},
    )
