"""GatePolicy: TOML in, plain data out; mistakes named by key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.errors import InputError
from driftline.gate import Bound, GatePolicy

FULL = """\
min_rows = 200
confidence = 0.9
n_resamples = 500

[thresholds]
accuracy = { min = 0.8 }
log_loss = { max = 0.5 }

[regression]
accuracy = { max_drop = 0.01 }

[slices]
segments = ["region"]
define = ["age>=60 and region=north"]
metric = "f1"
min_accuracy = 0.7
max_gap = 0.15
max_drop = 0.02
min_rows = 40

[calibration]
max_ece = 0.05

[quality]
must_pass = false
"""


def test_reads_every_criterion_and_round_trips(tmp_path: Path) -> None:
    policy = GatePolicy.from_toml(FULL)
    assert policy.min_rows == 200 and policy.confidence == 0.9 and policy.n_resamples == 500
    assert policy.thresholds == {"accuracy": Bound(min=0.8), "log_loss": Bound(max=0.5)}
    assert policy.regression == {"accuracy": 0.01}
    assert policy.slices is not None
    assert policy.slices.segments == ("region",) and policy.slices.metric == "f1"
    assert policy.slices.thresholds == {"accuracy": Bound(min=0.7)}
    assert (policy.slices.max_gap, policy.slices.max_drop, policy.slices.min_rows) == (
        0.15,
        0.02,
        40,
    )
    assert policy.max_ece == 0.05 and policy.quality is False
    assert policy.metrics == ("accuracy", "log_loss", "f1")
    assert GatePolicy.from_toml(policy.to_toml()) == policy
    assert GatePolicy.from_dict(policy.to_dict()) == policy
    path = tmp_path / "gate.toml"
    path.write_text(FULL)
    assert GatePolicy.from_toml(path) == GatePolicy.from_toml(str(path)) == policy


def test_defaults() -> None:
    assert GatePolicy.from_toml("min_rows = 100") == GatePolicy()
    assert GatePolicy.default().regression == {"accuracy": 0.01}
    assert GatePolicy.default("regression").regression == {"r2": 0.01}
    empty = GatePolicy.from_toml("min_rows = 100\n")
    assert empty.min_rows == 100 and empty.quality and not empty.thresholds


def test_gate_table_of_a_model_policy_file() -> None:
    text = """
    [[alert]]
    name = "input-drift"
    metric = "drift_share"
    above = 0.1

    [gate]
    min_rows = 50
    [gate.regression]
    accuracy = { max_drop = 0.02 }
    """
    policy = GatePolicy.from_toml(text)
    assert policy.min_rows == 50 and policy.regression == {"accuracy": 0.02}
    # Without a [gate] table, the other services' tables are left alone too.
    assert GatePolicy.from_toml('min_rows = 7\n[[alert]]\nname = "x"\n').min_rows == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "min_row = 5",
            r"key 'min_row' \(line 1\) is not a gate policy key; did you mean 'min_rows'",
        ),
        ("\n[thresholds]\naccuracy = { mn = 0.8 }", r"key 'thresholds.accuracy.mn' \(line 3\)"),
        ('min_rows = "many"', r"key 'min_rows' \(line 1\) must be a whole number, got text 'many'"),
        ("min_rows = 0", r"'min_rows' \(line 1\) must be at least 1, got 0"),
        ("confidence = 1.5", r"'confidence' \(line 1\) must be above 0 and below 1"),
        (
            "[regression]\nacc = { max_drop = 0.1 }",
            r"'regression.acc' \(line 2\) is not a metric; did you mean 'accuracy'",
        ),
        (
            "[regression]\naccuracy = { max_drop = -0.1 }",
            r"'regression.accuracy.max_drop' \(line 2\) must be at least 0",
        ),
        (
            "[regression]\naccuracy = 0.01",
            r"'regression.accuracy' \(line 2\) must be a table, got a number",
        ),
        (
            "[slices]\nsegments = ['r']\nmin_acuracy = 0.7",
            r"'slices.min_acuracy' \(line 3\) names no metric; did you mean 'min_accuracy'",
        ),
        ("[slices]\nmax_gap = 0.1", r"'slices' \(line 1\) needs segments"),
        ("[slices]\nsegments = 'region'", r"'slices.segments' \(line 2\) must be a list of text"),
        (
            "[slices]\ndefine = ['age >>> 3']",
            r"'slices.define' \(line 2\) item 1 \('age >>> 3'\) is not a slice",
        ),
        (
            "[calibration]\nmax_ece = true",
            r"'calibration.max_ece' \(line 2\) must be a number, got true/false",
        ),
        ("[quality]\nmust_pass = 1", r"'quality.must_pass' \(line 2\) must be true or false"),
        ("[gate]\nthresholds = 3", r"'gate.thresholds' \(line 2\) must be a table"),
    ],
)
def test_mistakes_name_the_key_and_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        GatePolicy.from_toml(text)


def test_unreadable_policies(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"is not valid TOML.*line 2"):
        GatePolicy.from_toml("min_rows = 1\nthis is not toml")
    with pytest.raises(InputError, match=r"gate policy file '.*nope\.toml' does not exist"):
        GatePolicy.from_toml(tmp_path / "nope.toml")
