"""Every drift sentence, exactly, for given numbers: the headline, each column, each row test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from driftline.drift import ColumnDrift, DriftReport, DriftResult
from driftline.drift._words import column_sentence, rows_sentence

TODO = (
    "Fix the source if it is a fault in the data; if it is the new normal, retrain on recent data."
)


def col(
    name: str, effect: str, size: float, *, drifted: bool = True, p: float = 0.0004
) -> ColumnDrift:
    return ColumnDrift(name, "numeric", "test", size, p, p, effect, size, 0.1, drifted)


def report(columns: list[ColumnDrift], tests: list[DriftResult] | None = None) -> DriftReport:
    tests = tests or []
    detected = any(c.drifted for c in columns) or any(t.drift_detected for t in tests)
    return DriftReport(detected, 0.001, 0.0, "auto", 0.05, "bh", 1000, 500, columns, tests)


STILL = col("c", "js_distance", 0.05, drifted=False)
MMD = DriftResult("mmd", True, 0.002, 0.1, 0.025, "none", 1000, 500)


@pytest.mark.parametrize(
    ("columns", "tests", "expected"),
    [
        pytest.param(
            [col("a", "wasserstein_normed", 0.2), col("b", "wasserstein_normed", 0.9), STILL],
            [],
            f"2 of 3 columns moved away from the reference data, most of all `b`. {TODO}",
            id="several-largest-first",
        ),
        pytest.param(
            [col("a", "wasserstein_normed", 0.2), STILL],
            [],
            f"1 of 2 columns moved away from the reference data: `a`. {TODO}",
            id="one",
        ),
        pytest.param(
            [col("a", "wasserstein_normed", 0.02, drifted=False), STILL],
            [MMD],
            "The rows as a whole moved away from the reference data (how the columns vary "
            f"together changed), though none of the 2 columns did on its own. {TODO}",
            id="whole-rows-only",
        ),
        pytest.param(
            [col("a", "wasserstein_normed", 0.02, drifted=False), STILL],
            [],
            "None of the 2 columns moved away from the reference data beyond chance and enough "
            "to matter. Nothing to do.",
            id="none",
        ),
        pytest.param(
            [col("a", "wasserstein_normed", 0.02, drifted=False)],
            [],
            "The column `a` did not move away from the reference data beyond chance and enough "
            "to matter. Nothing to do.",
            id="the-only-column",
        ),
    ],
)
def test_headline(columns: list[ColumnDrift], tests: list[DriftResult], expected: str) -> None:
    made = report(columns, tests)
    assert made.headline == expected
    assert made.to_dict()["headline"] == expected


def test_larger_effect_against_its_floor_comes_first() -> None:
    # 0.3 of a distance whose floor is 0.1 moved more than 0.25 standard deviations of floor 0.1.
    wide = ColumnDrift("w", "numeric", "t", 0.25, 0.0, 0.0, "wasserstein_normed", 0.25, 0.1, True)
    mix = ColumnDrift("m", "categorical", "t", 0.3, 0.0, 0.0, "js_distance", 0.3, 0.1, True)
    assert report([wide, mix]).most_drifted() == ["m", "w"]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            col("income", "wasserstein_normed", 1.23),
            "`income` moved by 1.23 standard deviations (floor 0.1, p < 0.001 after correction).",
        ),
        (
            col("region", "js_distance", 0.234),
            "The mix of `region` values changed by 0.234, where 0 is the same mix and 1 nothing "
            "in common (Jensen-Shannon distance, floor 0.1, p < 0.001 after correction).",
        ),
        (
            col("age", "ks_d", 0.213, p=0.032),
            "`age` moved: the share of rows below some value differs by 21 percentage points "
            "(Kolmogorov-Smirnov D 0.213, floor 0.1, p = 0.032 after correction).",
        ),
        (
            col("score", "psi", 0.31, p=0.001),
            "`score` shifted with a population stability index of 0.31, where 0.1 to 0.25 is a "
            "moderate shift and above 0.25 a large one (floor 0.1, p = 0.001 after correction).",
        ),
        (
            col("z", "energy_distance", 2.0),
            "`z` moved: energy distance 2 (floor 0.1, p < 0.001 after correction).",
        ),
    ],
)
def test_column_sentence(column: ColumnDrift, expected: str) -> None:
    assert column_sentence(column) == expected


def test_whole_row_test_sentences() -> None:
    quiet = DriftResult("mmd", False, 0.41, 0.1, 0.05, "none", 1000, 500)
    outputs = DriftResult(
        "model_output_ks", True, 0.0001, 0.3, 0.0167, "bonferroni", 1000, 500,
        [col("proba[0]", "ks_d", 0.1), col("proba[1]", "ks_d", 0.3)],
    )  # fmt: skip
    steady = DriftResult(
        "model_output_ks", False, 0.6, 0.03, 0.0167, "bonferroni", 1000, 500,
        [col("proba[1]", "ks_d", 0.03, drifted=False)],
    )  # fmt: skip
    other = DriftResult("energy", True, 0.01, 0.3, 0.05, "none", 1000, 500)
    near = DriftResult("mmd", True, 0.00498, 0.1, 0.05, "none", 1000, 500)
    classes = DriftResult(
        "model_output", True, 0.002, 40.0, 0.025, "bonferroni", 1000, 100,
        [replace(col("predicted class", "js_distance", 0.45), method="chi2")],
    )  # fmt: skip
    assert rows_sentence(classes) == (
        "The mix of classes the model predicts moved away from its mix on the reference data "
        "by 0.45, where 0 is the same mix and 1 nothing in common (Jensen-Shannon distance, "
        "p = 0.002 against a level of 0.025)."
    )
    assert [rows_sentence(r) for r in (MMD, quiet, near, outputs, steady, other)] == [
        "Taken as whole rows, the data can be told apart from the reference (kernel test MMD, "
        "p = 0.002 against a level of 0.025).",
        "Taken as whole rows, the data cannot be told apart from the reference (kernel test MMD, "
        "p = 0.41 against a level of 0.05).",
        "Taken as whole rows, the data can be told apart from the reference (kernel test MMD, "
        "p = 0.005 against a level of 0.05).",
        "The model's answers moved away from its answers on the reference data, most of all "
        "`proba[1]` (p < 0.001 against a level of 0.0167).",
        "The model's answers look like its answers on the reference data (p = 0.6 against a "
        "level of 0.0167).",
        "The rows moved away from the reference data by the energy test (p = 0.01 against a "
        "level of 0.05).",
    ]


def test_sentences_are_headline_then_columns_largest_first_then_row_tests() -> None:
    made = report([col("a", "wasserstein_normed", 0.2), col("b", "wasserstein_normed", 0.9)], [MMD])
    assert made.sentences() == [
        f"2 of 2 columns moved away from the reference data, most of all `b`. {TODO}",
        "`b` moved by 0.9 standard deviations (floor 0.1, p < 0.001 after correction).",
        "`a` moved by 0.2 standard deviations (floor 0.1, p < 0.001 after correction).",
        "Taken as whole rows, the data can be told apart from the reference (kernel test MMD, "
        "p = 0.002 against a level of 0.025).",
    ]
    assert made.to_dict()["summary"] == made.sentences()
