"""The estimator contract shared by every per-column drift detector."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from driftline.drift._correction import CORRECTIONS, adjust
from driftline.drift._result import ColumnDrift, DriftResult
from driftline.errors import InputError
from driftline.stats import Profile

__all__ = ["ColumnDetector", "ColumnTest"]


@dataclass(frozen=True)
class ColumnTest:
    """What a detector measured on one column, before the decision."""

    method: str
    statistic: float
    p_value: float
    effect: str
    effect_size: float


class ColumnDetector:
    """Tests every column of a batch against a reference, then decides as one family.

    A column drifts when its p-value, adjusted across the tested columns by
    ``correction`` (``"bh"``, ``"bonferroni"`` or ``"none"``), is at most
    ``alpha`` *and* its effect size exceeds ``threshold`` (``None``: the
    detector's default floor). The p-value says a difference is not noise; the
    floor says it is large enough to matter, which on millions of rows the
    p-value alone cannot.

    ``fit`` takes a :class:`~driftline.stats.Profile` or anything
    ``Profile.build`` reads (then ``bins``, ``max_categories``,
    ``reservoir_size`` and ``seed`` are used to build it); so does ``test``.
    Parameters are stored untouched; learned state ends in ``_``.
    """

    method: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ("numeric", "datetime", "boolean", "categorical")
    default_threshold: ClassVar[float] = 0.1

    def __init__(
        self,
        *,
        columns: Sequence[str] | None = None,
        alpha: float = 0.05,
        correction: str = "bh",
        threshold: float | None = None,
        bins: int = 10,
        max_categories: int = 50,
        reservoir_size: int = 1000,
        seed: int = 0,
    ) -> None:
        self.columns = columns
        self.alpha = alpha
        self.correction = correction
        self.threshold = threshold
        self.bins = bins
        self.max_categories = max_categories
        self.reservoir_size = reservoir_size
        self.seed = seed

    # -- the contract ------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters, as given."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults.get(k)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def fit(self, reference: Any) -> ColumnDetector:
        """Learn the reference: its profile, the columns to test and the floor."""
        self._check_params()
        if isinstance(reference, Profile):
            profile = reference
        else:
            profile = Profile.build(
                reference,
                columns=self.columns,
                bins=self.bins,
                max_categories=self.max_categories,
                reservoir_size=self.reservoir_size,
                seed=self.seed,
            )
        self.reference_ = profile
        self.columns_ = self._testable_columns(profile)
        self.threshold_ = float(
            self.default_threshold if self.threshold is None else self.threshold
        )
        self.n_reference_ = profile.n_rows
        return self

    def test(self, current: Any) -> DriftResult:
        """Compare a batch (or its profile) with the reference."""
        if not hasattr(self, "reference_"):
            raise InputError(
                f"{type(self).__name__} is not fitted; call fit(reference) before test(current)"
            )
        profile = self._current_profile(current)
        measured = [self.test_column(name, self.reference_, profile) for name in self.columns_]
        p_values = np.array([m.p_value for m in measured], dtype=float)
        adjusted = adjust(p_values, self.correction)
        results = [
            ColumnDrift(
                column=name,
                kind=self.reference_.columns[name].kind,
                method=m.method,
                statistic=m.statistic,
                p_value=m.p_value,
                p_value_adjusted=float(adj),
                effect=m.effect,
                effect_size=m.effect_size,
                threshold=self.threshold_,
                drifted=bool(adj <= self.alpha and m.effect_size > self.threshold_),
            )
            for name, m, adj in zip(self.columns_, measured, adjusted, strict=True)
        ]
        drifted = sum(r.drifted for r in results)
        return DriftResult(
            method=self.method,
            drift_detected=drifted > 0,
            p_value=float(adjusted.min()) if adjusted.size else 1.0,
            score=drifted / len(results) if results else 0.0,
            alpha=self.alpha,
            correction=self.correction,
            n_reference=self.n_reference_,
            n_current=profile.n_rows,
            columns=results,
        )

    def test_column(self, name: str, reference: Profile, current: Profile) -> ColumnTest:
        """Measure one column; every detector says how."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------

    def _check_params(self) -> None:
        if not (isinstance(self.alpha, float | int) and 0.0 < self.alpha < 1.0):
            raise InputError(f"alpha must be a number between 0 and 1, got {self.alpha!r}")
        if self.correction not in CORRECTIONS:
            raise InputError(f"correction must be one of {CORRECTIONS}, got {self.correction!r}")
        if self.threshold is not None and not (
            isinstance(self.threshold, float | int) and self.threshold >= 0
        ):
            raise InputError(f"threshold must be a number >= 0 or None, got {self.threshold!r}")

    def _testable_columns(self, profile: Profile) -> list[str]:
        if self.columns is not None:
            names = list(self.columns)
            unknown = [n for n in names if n not in profile.columns]
            if unknown:
                raise InputError(
                    f"columns {unknown} are not in the reference, which has {list(profile.columns)}"
                )
            wrong = [n for n in names if profile.columns[n].kind not in self.kinds]
            if wrong:
                raise InputError(
                    f"{type(self).__name__} tests {'/'.join(self.kinds)} columns; "
                    f"{wrong} are not; use ChiSquareDetector or method='auto' for them"
                )
            return names
        names = [n for n, c in profile.columns.items() if c.kind in self.kinds]
        if not names:
            kinds = {n: c.kind for n, c in profile.columns.items()}
            raise InputError(
                f"{type(self).__name__} tests {'/'.join(self.kinds)} columns and the reference "
                f"has none ({kinds}); use method='auto', which tests every kind"
            )
        return names

    def _current_profile(self, current: Any) -> Profile:
        if not isinstance(current, Profile):
            return Profile.build(
                current,
                reference=self.reference_,
                columns=self.columns_,
                reservoir_size=self.reservoir_size,
                seed=self.seed,
            )
        for name in self.columns_:
            ref, cur = self.reference_.columns[name], current.columns.get(name)
            if cur is None or (cur.kind, cur.edges, cur.categories) != (
                ref.kind,
                ref.edges,
                ref.categories,
            ):
                raise InputError(
                    f"the current profile's column {name!r} is missing or has other bins "
                    f"than the reference; build it with Profile.build(data, reference=ref)"
                )
        return current
