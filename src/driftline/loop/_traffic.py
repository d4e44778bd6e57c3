"""A canary step's traffic, read from the inference log: each side's rows, failures, outcomes.

The champion's side is what the ``champion`` route answered with the
champion's version, the canary's what the ``canary`` route answered with the
candidate; shadow copies never count. Labels and outcomes join by request id
(the latest posted of each); failures are the requests a side could not
answer, logged by the server with their route and version.

A classifier's rows also get ``expected_correct``: its probability of being
right after recalibration on labelled rows (CBPE, the estimator monitoring
uses), so both sides' accuracy can be compared before labels arrive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.loop._checks import ArmTraffic

if TYPE_CHECKING:
    from driftline.estimate import CBPE
    from driftline.store import Context

__all__ = ["Estimators", "read_step"]

_DAY = dt.timedelta(days=1)


class Estimators:
    """CBPE per version, fitted once on a labelled reference and kept for later looks."""

    def __init__(self) -> None:
        self._fitted: dict[tuple[str, int, str], CBPE | None] = {}

    def get(
        self,
        ctx: Context,
        model: str,
        versions: Sequence[int],
        reference: pd.DataFrame | None,
        target: str | None,
        key: str,
    ) -> dict[int, CBPE | None]:
        """Each version's estimator on ``reference`` (named by ``key``); None where none fits."""
        if reference is None or target is None or target not in reference:
            return {}
        out = {}
        for version in versions:
            if (model, version, key) not in self._fitted:
                self._fitted[(model, version, key)] = _fit(ctx, model, version, reference, target)
            out[version] = self._fitted[(model, version, key)]
        return out


def _fit(
    ctx: Context, model: str, version: int, reference: pd.DataFrame, target: str
) -> CBPE | None:
    from driftline import registry
    from driftline.errors import InputError
    from driftline.estimate import CBPE, fit_estimator, scored

    mv = registry.get(ctx, f"{model}:{version}")
    features = list(mv.signature.names) if mv.signature is not None else None
    frame = reference[reference[target].notna()]
    try:
        ref = scored(
            frame, model=registry.load_model(ctx, mv), features=features, where="the reference"
        )
        if ref.task == "regression":
            return None
        estimator = fit_estimator(
            ref, frame[target].to_numpy(), metrics=("accuracy",), n_simulations=20
        )
    except InputError:
        return None  # the reference cannot calibrate this version: the check says it is unmeasured
    return estimator if isinstance(estimator, CBPE) else None


def read_step(
    ctx: Context,
    model: str,
    *,
    champion: int,
    canary: int,
    since: dt.datetime,
    until: dt.datetime,
    outcomes: Sequence[str] = (),
    estimators: Mapping[int, CBPE | None] | None = None,
) -> tuple[ArmTraffic, ArmTraffic]:
    """Both sides' traffic in ``[since, until)``."""
    from driftline.store import InferenceLog, join_outcomes

    log = InferenceLog.open(ctx.settings)
    reader = log.reader(model, since=since - _DAY, until=until)
    table = reader.window(since, until, labels=True) if reader.days() else None
    if table is not None and outcomes:
        first = since.date().isoformat()
        table = join_outcomes(table, reader.posted("outcome", first=first), outcomes)
    frame = table.to_pandas() if table is not None else pd.DataFrame()
    failures = reader.posted(
        "failure", first=since.date().isoformat(), last=until.date().isoformat()
    )
    sides = []
    for route, version in (("champion", champion), ("canary", canary)):
        rows = _side(frame, route, version)
        estimator = (estimators or {}).get(version)
        if estimator is not None and not rows.empty:
            rows = _expected(rows, estimator)
        sides.append(ArmTraffic(version, rows, _failed(failures, route, version, since, until)))
    return sides[0], sides[1]


def _side(frame: pd.DataFrame, route: str, version: int) -> pd.DataFrame:
    if frame.empty or "route" not in frame or "version" not in frame:
        return pd.DataFrame()
    mask = (frame["route"] == route) & (pd.to_numeric(frame["version"], errors="coerce") == version)
    return frame[mask.to_numpy()].reset_index(drop=True)


def _failed(table: Any, route: str, version: int, since: dt.datetime, until: dt.datetime) -> int:
    if table is None or not table.num_rows:
        return 0
    frame = table.to_pandas()
    times = pd.to_datetime(frame["timestamp"], utc=True)
    mask = (
        (frame["route"] == route)
        & (pd.to_numeric(frame["version"], errors="coerce") == version)
        & (times >= since)
        & (times < until)
    )
    rows = pd.to_numeric(frame.loc[mask, "rows"], errors="coerce").fillna(1)
    return int(rows.sum())


def _expected(rows: pd.DataFrame, estimator: CBPE) -> pd.DataFrame:
    """Each row's calibrated chance that its answer is right, from its logged probabilities."""
    if "probabilities" not in rows or rows["probabilities"].isna().any():
        return rows
    try:
        raw = np.asarray([list(p) for p in rows["probabilities"]], dtype=float)
        proba = estimator.calibrated(raw)
    except (TypeError, ValueError):
        return rows
    classes = [_label(c) for c in estimator.classes_.tolist()]
    index = {c: i for i, c in enumerate(classes)}
    picked = [index.get(_label(p)) for p in rows["prediction"]]
    if any(i is None for i in picked):
        return rows
    chosen = proba[np.arange(len(rows)), np.asarray(picked, dtype=int)]
    return rows.assign(expected_correct=chosen)


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
