"""Every data finding's sentence, exactly, for given numbers, and the report's headline."""

from __future__ import annotations

from driftline.quality import Finding
from driftline.quality import _words as words


def test_columns_present_and_of_the_right_kind() -> None:
    assert words.missing_column("region") == (
        "Column `region` is missing, and the model needs it (it was in the training data). Add "
        "it to the data before scoring."
    )
    assert words.extra_columns(["note"]) == (
        "1 column the model was not trained on will be ignored: `note`. Nothing to do, unless "
        "one was meant to replace a column the model needs."
    )
    many = [f"c{i}" for i in range(12)]
    assert words.extra_columns(many).startswith(
        "12 columns the model was not trained on will be ignored: `c0`, `c1`, `c2`, `c3`, `c4`, "
        "`c5`, `c6`, `c7`, `c8`, `c9` and 2 more."
    )
    assert words.wrong_kind("age", "numbers", "text", 1, 500, "forty") == (
        "`age` should hold numbers (as in training) but holds text: 1 of 500 values (0.2%) are "
        "not, e.g. 'forty'. Fix the source or convert the column before scoring."
    )
    assert words.wrong_kind("when", "dates", "true/false values") == (
        "`when` should hold dates (as in training) but holds true/false values. Fix the source or "
        "convert the column before scoring."
    )
    assert words.text_now("zip", "numbers") == (
        "`zip` held text in training but holds numbers now; they are compared as text, so check "
        "that codes kept their form (e.g. that '02139' did not become 2139)."
    )
    assert words.fractions("children", 1, 400, 2.5) == (
        "`children` held whole numbers in training, but 1 value (0.2%) has a fraction now, e.g. "
        "2.5. Check the unit or the source of the column."
    )


def test_missing_values() -> None:
    assert words.missing_unexpected("income", 1, 0.002) == (
        "`income` is missing in 1 row (0.2%); it was never missing in training, so check that "
        "the model accepts gaps."
    )
    todo = "Check the source of the column: a field may have been renamed, dropped or left empty."
    assert words.missing_rise("score", 0.55, 0.113) == (
        f"`score` is missing in 55% of rows, up from 11% of training rows. {todo}"
    )
    assert words.missing_rise("score", 1.0, 0.0) == (
        f"`score` is missing in every row, and never was in training. {todo}"
    )
    assert words.missing_rise("score", 0.0004 + 0.05, 0.0004) == (
        f"`score` is missing in 5% of rows, up from under 0.1% of training rows. {todo}"
    )


def test_constant_columns_and_duplicates() -> None:
    assert words.constant_in_training("member", "true") == (
        "`member` had the same value (true) in every training row, so the model cannot have "
        "learned anything from it. Nothing to do, unless it should vary."
    )
    assert words.constant_now("region", "'north'", 4, sampled=False) == (
        "Every `region` value in this batch is 'north', where training had 4 different values, "
        "so the column tells the model nothing here. Check that the source still fills it."
    )
    assert words.constant_now("id", "7", 1000, sampled=True).startswith(
        "Every `id` value in this batch is 7, where training had 1,000+ different values"
    )
    assert words.duplicates(200, 0.4, 0.012) == (
        "200 rows (40%) repeat an earlier row exactly, against 1.2% in a training sample of the "
        "same size. Check whether the batch was loaded twice."
    )
    assert words.duplicates(1, 0.5, None) == (
        "1 row (50%) repeats an earlier row exactly. Check whether the batch was loaded twice."
    )


def test_representative() -> None:
    assert words.representative(0.514, apart=False) == (
        "The batch looks like the training data: a classifier trained to tell them apart does "
        "little better than a coin toss (AUC 0.51, where 0.5 means indistinguishable)."
    )
    assert words.representative(0.83, apart=True) == (
        "A classifier can tell this batch from the training data (AUC 0.83, where 0.5 means "
        "indistinguishable and 1 fully separate), so the training data does not represent these "
        "rows well. The column findings say where they differ; retrain on recent data if the "
        "difference is real."
    )


RANGE_TODO = (
    "The model never learned what to do with such values: check the unit or the source of the "
    "column, or retrain on data that holds them."
)


def test_out_of_range() -> None:
    assert words.out_of_range("age", 0.24, "above", low="18", high="81", now="96") == (
        f"24% of `age` values are above anything seen in training (largest 81 then, 96 now). "
        f"{RANGE_TODO}"
    )
    assert words.out_of_range("when", 0.012, "below", low="2024-01-01", high="2024-12-31",
                              now="2023-06-30") == (
        "1.2% of `when` values are below anything seen in training (smallest 2024-01-01 then, "
        f"2023-06-30 now). {RANGE_TODO}"
    )  # fmt: skip
    assert words.out_of_range(
        "x", 0.0009, "both", low="0", high="1", above=0.0005, below=0.0004, matters=False
    ) == (
        "Under 0.1% of `x` values are outside the training range 0 to 1 (under 0.1% above, "
        "under 0.1% below)."
    )


def test_unseen_categories() -> None:
    todo = (
        "The model treats them as unknown: check the source for new categories or misspellings, "
        "and retrain once they are real."
    )
    assert words.unseen_categories("region", [("mars", 60), ("venus", 1)], 0.122) == (
        f"`region` has 2 values never seen in training, in 12% of rows: 'mars' (60 rows) and "
        f"'venus' (1 row). {todo}"
    )
    assert words.unseen_categories("region", [("mars", 20)], 0.05) == (
        "`region` has 1 value never seen in training, in 5% of rows: 'mars' (20 rows). The model "
        "treats it as unknown: check the source for new categories or misspellings, and retrain "
        "once it is real."
    )
    seven = [(f"v{i}", 7 - i) for i in range(7)]
    assert words.unseen_categories("city", seven, 0.05) == (
        "`city` has 7 values never seen in training, in 5% of rows: 'v0' (7 rows), 'v1' (6 "
        "rows), 'v2' (5 rows), 'v3' (4 rows), 'v4' (3 rows) and 2 more. " + todo
    )


def test_labels() -> None:
    assert words.single_class("y", 1) == (
        "The training labels in `y` have a single class (1), so a model cannot learn to tell "
        "classes apart from them. Train on data that holds every class."
    )
    assert words.single_class("y", None).startswith(
        "The training labels in `y` have a single class (none)"
    )
    assert words.class_imbalance("y", "fraud", 0.02, 40, 2000) == (
        "Only 2% of training labels in `y` are 'fraud' (40 of 2,000 rows), so a model can look "
        "accurate while rarely predicting it. Judge it by its recall on 'fraud', not by accuracy."
    )
    assert words.new_labels("y", {"refund": 3, "chargeback": 1}) == (
        "The labels in `y` include classes never seen in training: 'refund' (3 rows) and "
        "'chargeback' (1 row). The model cannot predict them; retrain with examples of them."
    )
    assert words.label_shift("y", 1, 0.5, 0.9) == (
        "The share of 1 labels in `y` changed from 50% in training to 90%, so accuracy measured "
        "in training no longer applies as is. Evaluate the model again on recent labelled rows."
    )
    assert words.leakage("refund", "y", "balanced accuracy", "over 99.9%") == (
        "`refund` alone predicts `y` almost perfectly in the training data (balanced accuracy "
        "over 99.9% on held-out rows). A single column this telling usually means leakage: it is "
        "recorded after the outcome or is the label in disguise, so the model will not have it, "
        "or it will not mean the same, when it is used. Train without it, unless it is known at "
        "prediction time."
    )


def finding(check: str, column: str | None, severity: str = "critical") -> Finding:
    return Finding(check, column, severity, "…")  # type: ignore[arg-type]


def test_headline() -> None:
    assert words.headline([], [], 1) == "Data check passed: no problems found in 1 column."
    assert words.headline([], [finding("duplicate_rows", None, "warning")], 5) == (
        "Data check passed with 1 warning (repeated rows). The model can score these rows; look "
        "at the warnings before trusting its answers."
    )
    critical = [finding("out_of_range", "age"), finding("out_of_range", "income"),
                finding("missing_column", "region")]  # fmt: skip
    warnings = [finding("unseen_categories", "city", "warning")] * 2
    assert words.headline(critical, warnings, 5) == (
        "Data check failed: 3 critical problems (values outside the training range in `age` and "
        "`income`; `region` missing) and 2 warnings (values the model never saw in `city`). Fix "
        "the data at its source before the model scores it: its answers on such rows cannot be "
        "trusted."
    )
