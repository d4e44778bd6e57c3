"""A conformance kit: the same checks over every drift detector.

Like scikit-learn's ``check_estimator`` and river's ``checks``: a detector
that passes keeps the estimator contract and does not cry wolf. Run them all
with :func:`check_detector`, or one by one in a parametrized test::

    @pytest.mark.parametrize("check", all_checks(KSDetector()), ids=lambda c: c.__name__)
    def test_conformance(check):
        check()

A failed check raises ``AssertionError`` with a sentence saying what broke.
``make_data(seed, n)`` makes a table for the detector (the default has a
number, a datetime, a yes/no and a category column); reference and current
tables drawn with different seeds come from the same distribution.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "all_checks",
    "check_detector",
    "check_deterministic",
    "check_fit_returns_self",
    "check_keyword_only_parameters",
    "check_no_false_alarm_on_identical_data",
    "check_no_false_alarm_storm",
    "check_parameters_untouched_by_fit",
    "check_result_is_plain_data",
    "check_test_before_fit_raises",
    "default_data",
]

DataMaker = Callable[[int, int], Any]


def default_data(seed: int, n: int) -> pd.DataFrame:
    """A table with one column of each kind, the same distribution for every seed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "number": rng.normal(0.0, 1.0, n),
            "when": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.exponential(3600, n), "s"),
            "flag": rng.random(n) < 0.3,
            "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def _fail(message: str) -> None:
    # Explicit raise, not assert: the kit must keep checking under python -O.
    raise AssertionError(message)


def _clone(detector: Any) -> Any:
    return type(detector)(**copy.deepcopy(detector.get_params()))


def check_keyword_only_parameters(detector: Any, make_data: DataMaker = default_data) -> None:
    """Every constructor parameter is keyword-only and stored under its own name."""
    for param in list(inspect.signature(type(detector).__init__).parameters.values())[1:]:
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            _fail(f"{type(detector).__name__} parameter {param.name!r} must be keyword-only")
        if not hasattr(detector, param.name):
            _fail(f"{type(detector).__name__} must store parameter {param.name!r} as is")


def check_fit_returns_self(detector: Any, make_data: DataMaker = default_data) -> None:
    """``fit`` returns the detector itself, so calls chain."""
    fresh = _clone(detector)
    if fresh.fit(make_data(0, 200)) is not fresh:
        _fail(f"{type(detector).__name__}.fit must return self")


def check_parameters_untouched_by_fit(detector: Any, make_data: DataMaker = default_data) -> None:
    """``fit`` learns into attributes ending in ``_`` and leaves parameters alone."""
    fresh = _clone(detector)
    before = fresh.get_params()
    snapshot = copy.deepcopy(before)
    fresh.fit(make_data(0, 200))
    after = fresh.get_params()
    for name, value in before.items():
        if after[name] is not value or repr(after[name]) != repr(snapshot[name]):
            _fail(f"{type(detector).__name__}.fit changed parameter {name!r}")


def check_test_before_fit_raises(detector: Any, make_data: DataMaker = default_data) -> None:
    """``test`` before ``fit`` raises a driftline InputError naming ``fit``."""
    from driftline.errors import InputError

    try:
        _clone(detector).test(make_data(0, 50))
    except InputError as exc:
        if "fit" not in str(exc):
            _fail(f"the error for test-before-fit should say to call fit, got: {exc}")
        return
    _fail(f"{type(detector).__name__}.test before fit must raise InputError")


def check_deterministic(detector: Any, make_data: DataMaker = default_data) -> None:
    """The same parameters and data give the same result, to the last digit."""
    reference, current = make_data(1, 300), make_data(2, 300)
    first = _clone(detector).fit(reference).test(current).to_dict()
    second = _clone(detector).fit(reference).test(current).to_dict()
    if first != second:
        _fail(f"{type(detector).__name__} gave two results for one seed and one input")


def check_result_is_plain_data(detector: Any, make_data: DataMaker = default_data) -> None:
    """The result's ``to_dict`` is strict JSON (no NaN, no objects)."""
    result = _clone(detector).fit(make_data(1, 200)).test(make_data(2, 200))
    try:
        json.dumps(result.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        _fail(f"{type(detector).__name__} result is not plain JSON: {exc}")


def check_no_false_alarm_on_identical_data(
    detector: Any, make_data: DataMaker = default_data
) -> None:
    """A batch tested against itself never drifts."""
    data = make_data(3, 500)
    if _clone(detector).fit(data).test(data).drift_detected:
        _fail(f"{type(detector).__name__} found drift between a table and itself")


def check_no_false_alarm_storm(
    detector: Any,
    make_data: DataMaker = default_data,
    *,
    trials: int = 40,
    n: int = 300,
    max_rate: float = 0.2,
) -> None:
    """On batches from the reference's distribution, alarms stay rare.

    With the default alpha of 0.05, 40 trials alarm more than 20% of the time
    with probability below 1e-4 if the detector keeps its level.
    """
    alarms = 0
    for trial in range(trials):
        fitted = _clone(detector).fit(make_data(1000 + 2 * trial, n))
        alarms += fitted.test(make_data(1001 + 2 * trial, n)).drift_detected
    if alarms > max_rate * trials:
        _fail(
            f"{type(detector).__name__} alarmed on {alarms} of {trials} batches drawn from "
            f"the reference's own distribution; expected at most {max_rate:.0%}"
        )


_CHECKS = (
    check_keyword_only_parameters,
    check_fit_returns_self,
    check_parameters_untouched_by_fit,
    check_test_before_fit_raises,
    check_deterministic,
    check_result_is_plain_data,
    check_no_false_alarm_on_identical_data,
    check_no_false_alarm_storm,
)


def all_checks(detector: Any, make_data: DataMaker = default_data) -> Iterator[Callable[[], None]]:
    """Every check, bound to ``detector`` and named after the check."""
    for check in _CHECKS:
        bound = functools.partial(check, detector, make_data)
        yield functools.update_wrapper(bound, check)


def check_detector(detector: Any, make_data: DataMaker = default_data) -> None:
    """Run every check; the first failure raises ``AssertionError``."""
    for check in all_checks(detector, make_data):
        check()
