"""What data findings say: one template per kind of finding, and a short name for each kind.

A finding's message says what was found, in which column, how much, and
what to do. The checks compute the numbers and hand them here (values
already formatted as the column's kind shows them), so each template is
tested with its numbers (tests/quality/test_words.py). Columns are set apart
in backticks; values keep their quotes, as the data spell them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from driftline.words import capital, count_of, listing, name, names, percent, plural

if TYPE_CHECKING:
    from driftline.quality._finding import Finding

__all__ = [
    "class_imbalance",
    "constant_in_training",
    "constant_now",
    "duplicates",
    "extra_columns",
    "fractions",
    "headline",
    "label_shift",
    "leakage",
    "missing_column",
    "missing_rise",
    "missing_unexpected",
    "new_labels",
    "out_of_range",
    "problem_words",
    "representative",
    "single_class",
    "text_now",
    "unseen_categories",
    "wrong_kind",
]

# Each kind of finding as a short phrase, to list several in one sentence.
_PROBLEMS = {
    "missing_column": "{cols} missing",
    "extra_columns": "columns the model does not use",
    "type": "values of the wrong kind in {cols}",
    "out_of_range": "values outside the training range in {cols}",
    "unseen_categories": "values the model never saw in {cols}",
    "missing_values": "more missing values in {cols}",
    "constant_column": "a single repeated value in {cols}",
    "duplicate_rows": "repeated rows",
    "representativeness": "rows unlike the training data",
    "class_imbalance": "a rare class in {cols}",
    "label_shift": "a changed mix of labels in {cols}",
    "leakage": "{cols} giving the label away",
}


def problem_words(findings: Sequence[Finding]) -> str:
    """Findings as one phrase, grouped by kind in the order given.

    "values outside the training range in `area` and `radius`; `age` missing".
    """
    columns: dict[str, list[str]] = {}
    for f in findings:
        seen = columns.setdefault(f.check, [])
        if f.column is not None and f.column not in seen:
            seen.append(f.column)
    parts = []
    for check, cols in columns.items():
        template = _PROBLEMS.get(check, check.replace("_", " ") + " in {cols}")
        if "{cols}" in template and not cols:
            template = template.replace(" in {cols}", "").replace("{cols} ", "")
        parts.append(template.format(cols=names(cols)))
    # Kinds apart by semicolons: their own column lists already use "and".
    return "; ".join(parts)


def headline(critical: Sequence[Finding], warnings: Sequence[Finding], columns: int) -> str:
    """The verdict on a batch, what it rests on, and what to do."""
    if not critical and not warnings:
        return f"Data check passed: no problems found in {plural(columns, 'column')}."
    parts = []
    if critical:
        parts.append(f"{plural(len(critical), 'critical problem')} ({problem_words(critical)})")
    if warnings:
        parts.append(f"{plural(len(warnings), 'warning')} ({problem_words(warnings)})")
    if critical:
        return (
            f"Data check failed: {' and '.join(parts)}. Fix the data at its source before the "
            "model scores it: its answers on such rows cannot be trusted."
        )
    return (
        f"Data check passed with {parts[0]}. The model can score these rows; look at the "
        "warnings before trusting its answers."
    )


def missing_column(column: str) -> str:
    return (
        f"Column {name(column)} is missing, and the model needs it (it was in the training "
        "data). Add it to the data before scoring."
    )


def extra_columns(columns: Sequence[str]) -> str:
    return (
        f"{plural(len(columns), 'column')} the model was not trained on will be ignored: "
        f"{names(columns, limit=10)}. Nothing to do, unless one was meant to replace a column "
        "the model needs."
    )


def wrong_kind(
    column: str,
    expected: str,
    got: str,
    n_bad: int | None = None,
    n_present: int | None = None,
    example: object = None,
) -> str:
    """A column holding another kind of value than in training (``expected``, ``got`` in words)."""
    how = ""
    if n_bad is not None and n_present:
        shown = f", e.g. {example!r}" if example is not None else ""
        how = f": {n_bad:,} of {n_present:,} values ({percent(n_bad / n_present)}) are not{shown}"
    return (
        f"{name(column)} should hold {expected} (as in training) but holds {got}{how}. Fix the "
        "source or convert the column before scoring."
    )


def text_now(column: str, got: str) -> str:
    return (
        f"{name(column)} held text in training but holds {got} now; they are compared as text, "
        "so check that codes kept their form (e.g. that '02139' did not become 2139)."
    )


def fractions(column: str, n: int, present: int, example: float) -> str:
    have = "has a fraction" if n == 1 else "have fractions"
    return (
        f"{name(column)} held whole numbers in training, but {plural(n, 'value')} "
        f"({percent(n / present)}) {have} now, e.g. {example:g}. Check the unit or the source of "
        "the column."
    )


def missing_unexpected(column: str, n: int, share: float) -> str:
    return (
        f"{name(column)} is missing in {plural(n, 'row')} ({percent(share)}); it was never missing "
        "in training, so check that the model accepts gaps."
    )


def missing_rise(column: str, share: float, reference_share: float) -> str:
    now = "every row" if share == 1.0 else f"{percent(share)} of rows"
    before = (
        f"up from {percent(reference_share)} of training rows"
        if reference_share
        else "and never was in training"
    )
    return (
        f"{name(column)} is missing in {now}, {before}. Check the source of the column: a "
        "field may have been renamed, dropped or left empty."
    )


def constant_in_training(column: str, value: str) -> str:
    return (
        f"{name(column)} had the same value ({value}) in every training row, so the model cannot "
        "have learned anything from it. Nothing to do, unless it should vary."
    )


def constant_now(column: str, value: str, distinct: int, sampled: bool) -> str:
    more = "+" if sampled else ""
    return (
        f"Every {name(column)} value in this batch is {value}, where training had "
        f"{distinct:,}{more} different values, so the column tells the model nothing here. "
        "Check that the source still fills it."
    )


def duplicates(n: int, share: float, reference_share: float | None) -> str:
    against = (
        f", against {percent(reference_share)} in a training sample of the same size"
        if reference_share is not None
        else ""
    )
    repeat = "repeats" if n == 1 else "repeat"
    return (
        f"{plural(n, 'row')} ({percent(share)}) {repeat} an earlier row exactly{against}. Check "
        "whether the batch was loaded twice."
    )


def representative(auc: float, apart: bool) -> str:
    """The domain classifier's verdict: can it tell the batch from the training rows?"""
    if not apart:
        return (
            "The batch looks like the training data: a classifier trained to tell them apart "
            f"does little better than a coin toss (AUC {auc:.2f}, where 0.5 means "
            "indistinguishable)."
        )
    return (
        f"A classifier can tell this batch from the training data (AUC {auc:.2f}, where 0.5 "
        "means indistinguishable and 1 fully separate), so the training data does not represent "
        "these rows well. The column findings say where they differ; retrain on recent data if "
        "the difference is real."
    )


def out_of_range(
    column: str,
    share: float,
    side: str,
    *,
    low: str,
    high: str,
    now: str = "",
    above: float = 0.0,
    below: float = 0.0,
    matters: bool = True,
) -> str:
    """Values beyond the training range; ``side`` is "above", "below" or "both"."""
    if side == "above":
        what = f"above anything seen in training (largest {high} then, {now} now)"
    elif side == "below":
        what = f"below anything seen in training (smallest {low} then, {now} now)"
    else:
        what = (
            f"outside the training range {low} to {high} ({percent(above)} above, "
            f"{percent(below)} below)"
        )
    text = capital(f"{percent(share)} of {name(column)} values are {what}.")
    if not matters:
        return text
    return (
        f"{text} The model never learned what to do with such values: check the unit or the "
        "source of the column, or retrain on data that holds them."
    )


def unseen_categories(column: str, counts: Sequence[tuple[object, int]], share: float) -> str:
    """Values never seen in training; ``counts`` are (value, rows), most rows first."""
    shown = [f"{value!r} ({plural(rows, 'row')})" for value, rows in counts[:5]]
    more = len(counts) - 5
    listed = listing([*shown, f"{more} more"] if more > 0 else shown, limit=6)
    them, are = ("it", "it is") if len(counts) == 1 else ("them", "they are")
    return (
        f"{name(column)} has {plural(len(counts), 'value')} never seen in training, in "
        f"{percent(share)} of rows: {listed}. The model treats {them} as unknown: check the "
        f"source for new categories or misspellings, and retrain once {are} real."
    )


def single_class(target: str, only: object) -> str:
    shown = "none" if only is None else repr(only)
    return (
        f"The training labels in {name(target)} have a single class ({shown}), so a model cannot "
        "learn to tell classes apart from them. Train on data that holds every class."
    )


def class_imbalance(target: str, rare: object, share: float, rows: int, total: int) -> str:
    return (
        f"Only {percent(share)} of training labels in {name(target)} are {rare!r} "
        f"({count_of(rows, total, 'row')}), so a model can look accurate while rarely predicting "
        f"it. Judge it by its recall on {rare!r}, not by accuracy."
    )


def new_labels(target: str, counts: Mapping[object, int]) -> str:
    shown = listing([f"{k!r} ({plural(v, 'row')})" for k, v in counts.items()], limit=5)
    return (
        f"The labels in {name(target)} include classes never seen in training: {shown}. The "
        "model cannot predict them; retrain with examples of them."
    )


def label_shift(target: str, label: object, before: float, after: float) -> str:
    return (
        f"The share of {label!r} labels in {name(target)} changed from {percent(before)} in "
        f"training to {percent(after)}, so accuracy measured in training no longer applies as "
        "is. Evaluate the model again on recent labelled rows."
    )


def leakage(column: str, target: str, measure: str, score: str) -> str:
    return (
        f"{name(column)} alone predicts {name(target)} almost perfectly in the training data "
        f"({measure} {score} on held-out rows). A single column this telling usually means "
        "leakage: it is recorded after the outcome or is the label in disguise, so the model "
        "will not have it, or it will not mean the same, when it is used. Train without it, "
        "unless it is known at prediction time."
    )
