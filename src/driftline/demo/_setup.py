"""Before the first request: the files, the first model, its judgement, its features, its policy.

Each function is one step of the story and calls driftline's public entry
points the way a user's own code would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.demo._world import Year
from driftline.io import read_frame

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from driftline.workspace import Workspace

__all__ = [
    "HOOK",
    "INPUTS",
    "MODEL",
    "TARGET",
    "Audit",
    "First",
    "audit_training_data",
    "features",
    "first_model",
    "new_model",
    "policy",
    "write_files",
]

MODEL = "loans"
TARGET = "defaulted"
NUMBERS = [
    "credit_score",
    "tenure_years",
    "prior_defaults",
    "amount",
    "income",
    "age",
    "term_months",
]
INPUTS = [*NUMBERS, "purpose", "note"]
# The retraining hook the loop calls: the same recipe as the first model, on newer rows.
HOOK = """\
from driftline.demo import new_model


def train(data, champion):
    return new_model().fit(data.drop(columns=["defaulted"]), data["defaulted"])
"""


def new_model(**params: Any) -> Any:
    """The bank's recipe: scaled numbers and the purpose into a logistic regression.

    The note is free text the model does not read; it is kept in the
    application (and so passes through serving) as a real form's would be.
    """
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return make_pipeline(
        make_column_transformer(
            (StandardScaler(), NUMBERS), (OneHotEncoder(handle_unknown="ignore"), ["purpose"])
        ),
        LogisticRegression(max_iter=1000, **params),
    )


def write_files(folder: Path, year: Year) -> dict[str, Path]:
    """The files a bank would have: training data, a labelled holdout, the credit files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "train": folder / "train.parquet",
        "calibration": folder / "calibration.parquet",
        "reference": folder / "reference.parquet",
        "customers": folder / "customers.parquet",
    }
    half = len(year.holdout) // 2
    year.train.to_parquet(paths["train"])
    year.holdout.iloc[:half].to_parquet(paths["calibration"])
    year.holdout.iloc[half:].reset_index(drop=True).to_parquet(paths["reference"])
    year.customers.to_parquet(paths["customers"])
    return paths


@dataclasses.dataclass(frozen=True)
class Audit:
    """What the training-data audit said, and how many of the planted flips it named."""

    output: str
    passed: bool
    flagged: int  # rows it names as likely label errors
    caught: int  # of those, rows the simulator flipped
    planted: int
    rows: int


def audit_training_data(ws: Workspace, train: pd.DataFrame, flipped: np.ndarray) -> Audit:
    """``driftline data audit`` on the training data, held against the flips the world planted."""
    report = ws.audit_data(train, target=TARGET, seed=0)
    issues = report.by_check("label_issues")
    named = {r - 1 for r in issues.rows} if issues is not None else set()  # rows count from 1
    caught = len(named & {int(i) for i in flipped})
    output = "\n".join(f.message for f in report.findings) or "no finding"
    return Audit(output, report.passed, len(named), caught, len(flipped), len(train))


@dataclasses.dataclass(frozen=True)
class First:
    """The first model's way to champion: its versions and what judged it."""

    trained: int
    champion: int
    sentences: list[str]
    calibration: str
    gate: str
    gate_passed: bool


def first_model(ws: Workspace, paths: dict[str, Path], *, resamples: int) -> First:
    """Train, register, evaluate, calibrate, gate and crown the first model."""
    from driftline.gate import GatePolicy

    train = read_frame(paths["train"])
    reference = read_frame(paths["reference"])
    model = new_model().fit(train[INPUTS], train[TARGET])
    mv = ws.register(
        MODEL,
        model,
        train=train,
        target=TARGET,
        description="Chance that a loan application defaults within its first repayments.",
        intended_use="A demonstration of driftline on simulated loan applications.",
    )
    report = ws.evaluate(mv.ref, reference, target=TARGET, n_resamples=resamples)
    calibrated = ws.calibrate(mv.ref, read_frame(paths["calibration"]), target=TARGET)
    candidate = calibrated.version or mv.version
    policy = GatePolicy.from_toml(
        "min_rows = 200\n[thresholds]\naccuracy = { min = 0.65 }\n[calibration]\nmax_ece = 0.1\n"
    )
    decision = ws.gate(
        MODEL, candidate=candidate, baseline=None, data=reference, target=TARGET, policy=policy
    )
    if decision.passed:
        ws.set_alias(MODEL, candidate, "champion")
    return First(
        mv.version,
        candidate,
        report.sentences()[:2],
        calibrated.reason,
        decision.headline,
        decision.passed,
    )


def features(ws: Workspace, paths: dict[str, Path]) -> tuple[int, Any]:
    """The credit-file view, materialized online; the binding that serving looks up by."""
    from driftline.features import Feature, FeatureBinding, FeatureView

    view = FeatureView(
        "credit",
        entities=["customer_id"],
        timestamp="as_of",
        source=str(paths["customers"]),
        features=[
            Feature("credit_score", "float"),
            Feature("tenure_years", "float"),
            Feature("prior_defaults", "int"),
        ],
        description="Each customer's credit file, as the credit bureau last reported it.",
    )
    ws.register_view(view)
    done = ws.materialize()
    return sum(m.rows for m in done), FeatureBinding(("credit:*",))


def policy(folder: Path, *, period: int, month_rows: int) -> Path:
    """The loop's policy for the demo's clock: one monitoring window per simulated month."""
    (folder / "hooks.py").write_text(HOOK, encoding="utf-8")
    canary = max(20, month_rows // 6)  # under the 30% share's rows in the month it runs
    text = f"""\
cooldown = "1h"

[monitor]
window = "{period}s"
lookback = "{3 * period}s"
reference = "reference.parquet"
target = "{TARGET}"

[[alert]]
name = "input-drift"
metric = "drift_share"
above = 0.25
clear = 0.1
min_rows = {min(100, month_rows // 2)}

[[alert]]
name = "accuracy-fell"
metric = "realized_accuracy"
below = 0.65
clear = 0.7
min_rows = {min(100, month_rows // 2)}

[retrain]
hook = "hooks.py:train"
target = "{TARGET}"
window = "{period}s"
holdout = 0.4
min_rows = {month_rows // 2}
on = ["input-drift"]
max_attempts = 1

[gate]
min_rows = {month_rows // 5}
n_resamples = 200
[gate.regression]
accuracy = {{ max_drop = 0.02 }}

[rollout]
interval = "1s"
min_rows = 20
steps = [{{ percent = 30, min_duration = "0s", min_requests = {canary} }}, {{ percent = 100 }}]

[rollback]
error_rate = {{ max_rise = 0.02 }}
accuracy = {{ max_drop = 0.05 }}
output = {{ max_shift = 0.3 }}
"""
    path = folder / f"{MODEL}.toml"
    path.write_text(text, encoding="utf-8")
    return path
