"""Every detector passes the conformance kit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from driftline.drift import METHODS
from driftline.drift.checks import all_checks, check_detector

DETECTORS = [cls() for cls in METHODS.values()]
CASES = [
    pytest.param(check, id=f"{type(det).__name__}-{check.__name__}")
    for det in DETECTORS
    for check in all_checks(det)
]


@pytest.mark.parametrize("check", CASES)
def test_detector_conforms(check: Callable[[], None]) -> None:
    check()


def test_kit_catches_a_detector_that_cries_wolf() -> None:
    class Alarmist(METHODS["ks"]):  # type: ignore[misc,valid-type]
        default_threshold = 0.0

    with pytest.raises(AssertionError, match="alarmed on"):
        check_detector(Alarmist(alpha=0.9, correction="none"))


def test_kit_catches_a_detector_that_touches_its_parameters() -> None:
    class Meddler(METHODS["ks"]):  # type: ignore[misc,valid-type]
        def fit(self, reference):  # type: ignore[no-untyped-def]
            self.alpha = 0.01
            return super().fit(reference)

    with pytest.raises(AssertionError, match="changed parameter 'alpha'"):
        check_detector(Meddler())
