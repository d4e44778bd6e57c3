"""check_quality(): is a batch fit to be scored by a model trained on the reference?"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.quality._columns import check_constant, check_missing
from driftline.quality._finding import Finding, ordered
from driftline.quality._input import (
    Expect,
    Reference,
    column_values,
    expectations,
    read_reference,
    read_rows,
    text_columns,
)
from driftline.quality._labels import check_labels, check_leakage, is_classification
from driftline.quality._report import QualityReport
from driftline.quality._rows import check_duplicates, check_representative
from driftline.quality._types import check_presence, check_types, fmt_value
from driftline.quality._unseen import check_categories, check_ranges
from driftline.schema import Signature
from driftline.stats import Kind, Profile, kind_of

__all__ = ["check_quality"]


def check_quality(
    reference: Any,
    current: Any,
    *,
    signature: Signature | None = None,
    target: str | None = None,
    profile: Profile | None = None,
    alpha: float = 0.01,
    seed: int = 0,
) -> QualityReport:
    """Check a batch against what the model was trained on; findings in plain words.

    ``reference`` (the training data) and ``current`` (the batch) are pandas
    or polars DataFrames, Arrow tables, 2-D numpy arrays or paths of Parquet
    or CSV files; ``reference`` may also be a :class:`~driftline.stats.Profile`
    (its row sample stands in for the rows) or None when ``profile`` or
    ``signature`` is given. ``signature`` says what each input column should
    hold (inferred from the reference when not given). With ``target``, the
    label column of the reference (and of the batch, when it has labels), the
    labels are checked too.

    Checks: missing and wrongly typed columns, values outside the training
    range, unseen categories, rises in missing values, duplicate rows,
    constant columns, class imbalance and label shift, single features that
    leak the label, and whether a classifier can tell the batch from the
    training rows. A finding is a warning only when it is both beyond chance
    (tests at level ``alpha``, corrected across columns) and large enough to
    matter; ``critical`` findings make ``passed`` false.

    Example::

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> train = pd.DataFrame({"age": rng.integers(18, 82, 1000)})
        >>> batch = pd.DataFrame({"age": rng.integers(18, 100, 500)})
        >>> report = check_quality(train, batch)
        >>> report.passed, report.findings[0].check
        (False, 'out_of_range')
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InputError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    if target is not None and not isinstance(target, str):
        raise InputError(f"target must be a column name, got {target!r}")
    if profile is not None and not isinstance(profile, Profile):
        raise InputError(f"profile must be a driftline Profile, got {type(profile).__name__}")
    ref = read_reference(reference, profile)
    if ref.rows is None and signature is None:
        raise InputError(
            "a data check needs the training data: pass reference= (rows or a Profile), "
            "profile= or signature="
        )
    if target is not None and ref.rows is not None and target not in ref.rows.column_names:
        raise InputError(
            f"target column {target!r} is not in the reference; it has "
            f"{ref.rows.column_names}; pass the label column of the training data"
        )
    expect = expectations(ref, signature, target)
    target_kind = _kind(ref, target)
    cur = read_rows(current, what="current data", text=text_columns(expect, target_kind, target))
    if cur.num_rows == 0:
        raise InputError("the current data has no rows; pass the batch to check")

    findings: list[Finding] = check_presence(expect, cur.column_names, target)
    type_findings, values = check_types(expect, cur)
    findings += type_findings
    findings += check_ranges(expect, values, ref.n_rows, alpha)
    findings += check_categories(expect, values, ref, alpha, seed)
    findings += check_missing(expect, values, ref, alpha)
    findings += check_constant(expect, values, ref, alpha)
    checks = ["columns", "types", "out_of_range", "unseen_categories", "missing_values"]
    checks += ["constant_column", "duplicate_rows"]
    skipped: dict[str, str] = {}

    ref_values = _reference_values(ref, expect)
    current_frame = _frame(values)
    if current_frame is not None:
        findings += check_duplicates(current_frame, _frame(ref_values), alpha, seed)

    if target is None:
        skipped["labels"] = "no target column given"
    elif ref.rows is None or target_kind is None:
        skipped["labels"] = "the reference has no rows with labels"
    else:
        labels = column_values(ref.rows, target, target_kind)
        task = signature.output.task if signature and signature.output else None
        classification = is_classification(labels, task)
        if classification:
            current_labels = None
            if target in cur.column_names:
                current_labels = _label_text(column_values(cur, target, target_kind), target_kind)
            ref_text = _label_text(labels, target_kind)
            findings += check_labels(target, ref_text, current_labels, alpha)
            checks.append("class_imbalance")
        features = {n: v for n, v in ref_values.items() if n != target}
        findings += check_leakage(
            target, labels, features, classification=classification, seed=seed
        )
        checks.append("leakage")

    if ref.rows is None:
        skipped["representativeness"] = "the reference has no rows"
    else:
        found, reason = check_representative(ref_values, values, alpha, seed)
        if reason is None:
            checks.append("representativeness")
            findings += found
        else:
            skipped["representativeness"] = reason

    return QualityReport(
        findings=ordered(findings),
        n_reference=ref.n_rows,
        n_current=cur.num_rows,
        columns=list(expect),
        checks=checks,
        skipped=skipped,
        alpha=float(alpha),
        target=target,
    )


def _kind(ref: Reference, name: str | None) -> Kind | None:
    if name is None or ref.rows is None or name not in ref.rows.column_names:
        return None
    try:
        return kind_of(name, ref.rows.column(name).type)
    except InputError as exc:
        raise InputError(f"the target column cannot be checked: {exc}") from exc


def _reference_values(ref: Reference, expect: dict[str, Expect]) -> dict[str, np.ndarray]:
    """Reference columns in the kind the checks compare, where the reference agrees."""
    out: dict[str, np.ndarray] = {}
    if ref.rows is None:
        return out
    for name, e in expect.items():
        kind = _kind(ref, name) if name in ref.rows.column_names else None
        if kind is not None and (kind == e.kind or (kind, e.kind) == ("boolean", "numeric")):
            out[name] = column_values(ref.rows, name, kind)
    return out


def _frame(values: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    return pd.DataFrame(values) if values else None


def _label_text(labels: np.ndarray, kind: Kind) -> list[str]:
    """Labels as people read them: 'yes', 'true', '3'; missing labels dropped."""
    if labels.dtype == object:
        return [str(v) for v in labels if v is not None]
    present = labels[~np.isnan(labels)]
    # Labels repeat: format each distinct value once, not once per row.
    distinct, codes = np.unique(present, return_inverse=True)
    if kind == "boolean":
        names = ["true" if v else "false" for v in distinct]
    else:
        names = [fmt_value(float(v), kind) for v in distinct]
    return list(np.array(names, dtype=object)[codes])
