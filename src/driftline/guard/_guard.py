"""One deployment's guard while it serves: rate limits, input scores, hardened answers, sweeps.

The server asks it four things per request, in order: may this caller send
now (``admit``), how unlike training are these inputs (``check``, which
refuses them under the reject policy), what may the caller see of the answer
(``harden``), and does this caller's stream look like a sweep (``watch``).
The scorers are the ones fitted at registration, loaded once per version.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import select

from driftline import audit, registry
from driftline.errors import InputError, RateLimitedError, UnlikeTrainingError
from driftline.guard._harden import harden
from driftline.guard._limits import Buckets, RateLimiter
from driftline.guard._policy import GuardPolicy
from driftline.guard._sweep import NEAR, SWEEP_SHARE, SweepFinding, SweepWatch, typical_distance
from driftline.guard._words import limited_sentence, sweep_sentence, unlike_sentence
from driftline.registry import ModelVersion, Prediction
from driftline.store import AlertRow

if TYPE_CHECKING:
    from driftline.represent import FrozenOutlierScorer
    from driftline.store import Context

__all__ = ["SWEEP_RULE", "Guard", "Scores", "open_sweep_alert"]

SWEEP_RULE = "query-sweep"
_NO_WINDOW = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Scores:
    """Each input's outlier score as a multiple of the fitted line, and which cross the policy's."""

    ratios: np.ndarray
    unlike: np.ndarray
    embedded: np.ndarray  # the inputs in the guard's representation, for the sweep watch

    def flags(self) -> list[bool]:
        return [bool(x) for x in self.unlike]


class Guard:
    """The guard of one deployed model, for the policy given at deployment."""

    def __init__(
        self, ctx: Context, model: str, policy: GuardPolicy, *, buckets: Buckets | None = None
    ) -> None:
        """``buckets``: where the rate limits count (default: this process alone)."""
        self.ctx = ctx
        self.model = model
        self.policy = policy
        self._scorers: dict[int, FrozenOutlierScorer | None] = {}
        self._tokens = (
            RateLimiter(
                policy.token_rate, policy.burst, buckets=buckets, scope=f"{model}\x1ftoken\x1f"
            )
            if policy.token_rate is not None
            else None
        )
        self._addresses = (
            RateLimiter(
                policy.address_rate, policy.burst, buckets=buckets, scope=f"{model}\x1faddress\x1f"
            )
            if policy.address_rate is not None
            else None
        )
        self._sweeps: SweepWatch | None = None

    # -- before the model ------------------------------------------------------------

    def admit(self, token: str | None, address: str | None, rows: int = 1) -> None:
        """Spend ``rows`` inputs of the caller's budgets; RateLimitedError (429) when one is short."""
        if self.policy.limits and rows > self.policy.burst:
            raise InputError(
                f"{self.model} answers at most {self.policy.burst} inputs per request from one "
                f"caller, got {rows}; send them in smaller requests"
            )
        if self._tokens is not None and token is not None:
            wait = self._tokens.take(token, rows)
            if wait:
                raise RateLimitedError(
                    limited_sentence(f"token {token!r}", self._tokens.rate, wait),
                    retry_after=wait,
                )
        if self._addresses is not None and address is not None:
            wait = self._addresses.take(address, rows)
            if wait:
                raise RateLimitedError(
                    limited_sentence(f"address {address}", self._addresses.rate, wait),
                    retry_after=wait,
                )

    def scorer(self, version: ModelVersion) -> FrozenOutlierScorer | None:
        if version.version not in self._scorers:
            self._scorers[version.version] = registry.load_guard(self.ctx, version)
        return self._scorers[version.version]

    def check(
        self, version: ModelVersion, frame: pd.DataFrame | np.ndarray, names: list[str]
    ) -> Scores | None:
        """The inputs' scores; under the reject policy, UnlikeTrainingError (422) when any is unlike."""
        if self.policy.mode == "off":
            return None
        scorer = self.scorer(version)
        if scorer is None:
            return None
        try:
            embedded = scorer.embed(frame, names if isinstance(frame, np.ndarray) else None)
        except (KeyError, ValueError, TypeError):
            return None  # inputs the signature refuses next, with its own words
        scores = scorer.score_embedded(embedded)
        ratios = scores / scorer.threshold if scorer.threshold > 0 else scores
        # NaN (a value the signature refuses a moment later) is not judged here.
        unlike = np.nan_to_num(ratios, nan=0.0) > self.policy.threshold
        if self.policy.mode == "reject" and unlike.any():
            rows = [int(i) for i in np.flatnonzero(unlike)]
            raise UnlikeTrainingError(
                unlike_sentence(self.model, rows, [float(ratios[i]) for i in rows], len(ratios))
            )
        return Scores(ratios, unlike, embedded)

    # -- after the model -------------------------------------------------------------

    def harden(self, prediction: Prediction) -> Prediction:
        return harden(prediction, self.policy)

    def watch(
        self,
        caller: str,
        version: ModelVersion,
        frame: pd.DataFrame | np.ndarray,
        names: list[str],
        scores: Scores | None = None,
    ) -> SweepFinding | None:
        """Add the request's inputs to the caller's recent ones; a finding when they sweep."""
        scorer = self.scorer(version)
        if self._sweeps is None:
            near = NEAR * typical_distance(scorer.reference) if scorer is not None else None
            self._sweeps = SweepWatch(self.policy.sweep_rows, near)
        raw = _numeric(frame)
        embedded = scores.embedded if scores is not None else None
        if scorer is not None and embedded is None:
            with contextlib.suppress(KeyError, ValueError, TypeError):
                embedded = scorer.embed(frame, names if isinstance(frame, np.ndarray) else None)
        return self._sweeps.observe(caller, raw, embedded)


def _numeric(frame: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The inputs as numbers for comparing rows: categories by their code in this request."""
    if isinstance(frame, np.ndarray):
        return np.asarray(frame, dtype=np.float64)
    columns = []
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            columns.append(pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64))
        else:
            columns.append(pd.util.hash_array(col.astype(str).to_numpy()).astype(np.float64))
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def open_sweep_alert(ctx: Context, model: str, who: str, finding: SweepFinding) -> int | None:
    """Open the query-sweep alert for ``who`` on ``model``; None when one is open already."""
    rule = f"{SWEEP_RULE}:{who}"[:100]
    now = dt.datetime.now(dt.UTC)
    message = sweep_sentence(
        model, who, finding.rows, finding.single_change, finding.near_duplicates, finding.distinct
    )
    with ctx.db.write() as s:
        existing = s.scalar(
            select(AlertRow.id).where(
                AlertRow.model == model, AlertRow.rule == rule, AlertRow.status == "open"
            )
        )
        if existing is not None:
            return None
        row = AlertRow(
            model=model,
            rule=rule,
            severity="warning",
            status="open",
            message=message,
            metric="sweep_share",
            value=finding.value,
            threshold=SWEEP_SHARE,
            opened_at=now,
            # Monitoring takes the newest window_start of a model's alerts as the last
            # window it judged; a sweep judges no window, so it must not move that mark.
            window_start=_NO_WINDOW,
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            actor="driftline-serve",
            action="alert.open",
            subject=f"{model}/{rule}",
            payload={"alert": row.id, "value": finding.value, "caller": who},
        )
        return int(row.id)
