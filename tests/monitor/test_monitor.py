"""Monitoring windows: drift per window, stored results, alerts with hysteresis."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import ConfigError, DataNotFoundError, InputError, Workspace, monitor
from driftline.cli import main
from driftline.monitor import AlertRule
from driftline.monitor._windows import align, parse_period, windows

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def traffic(shifts: list[float], rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """One day of traffic per entry; 'income' shifted by that many standard deviations."""
    rng = np.random.default_rng(seed)
    days = []
    for day, shift in enumerate(shifts):
        days.append(
            pd.DataFrame(
                {
                    "timestamp": T0
                    + dt.timedelta(days=day)
                    + pd.to_timedelta(rng.uniform(0, 86_399, rows), unit="s"),
                    "age": rng.normal(45, 12, rows),
                    "income": rng.normal(50, 10, rows) + shift * 10,
                    "region": rng.choice(["north", "south"], rows),
                }
            )
        )
    return pd.concat(days, ignore_index=True)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    rng = np.random.default_rng(1)
    n = 3000
    train = pd.DataFrame(
        {
            "age": rng.normal(45, 12, n),
            "income": rng.normal(50, 10, n),
            "region": rng.choice(["north", "south"], n),
        }
    )
    train["y"] = (train["income"] + rng.normal(0, 5, n) > 50).astype(int)
    X = train[["age", "income"]]
    workspace.register(
        "credit",
        LogisticRegression().fit(X, train["y"]),
        train=train[["age", "income", "y"]],
        target="y",
    )
    return workspace


def test_periods_and_aligned_windows() -> None:
    assert parse_period("15m") == dt.timedelta(minutes=15)
    assert parse_period("1d") == dt.timedelta(days=1)
    with pytest.raises(InputError, match="like 15m, 1h or 1d"):
        parse_period("daily")
    start = dt.datetime(2026, 11, 1, 10, 37, tzinfo=dt.UTC)
    assert align(start, dt.timedelta(hours=1)) == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    cuts = windows(start, start + dt.timedelta(hours=2), dt.timedelta(hours=1))
    assert [a.hour for a, _ in cuts] == [10, 11, 12]


def test_hysteresis_rule_does_not_flap() -> None:
    rule = AlertRule("r", "drift_share", above=0.3, clear=0.1)
    states, is_open = [], False
    for value in [0.0, 0.35, 0.25, 0.31, 0.2, 0.05, 0.29, 0.4]:
        action = rule.step(is_open, value)
        is_open = {"open": True, "resolve": False}.get(action or "", is_open)
        states.append(is_open)
    assert states == [False, True, True, True, True, False, False, True]


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown metric"):
        AlertRule("r", "accuracy", above=1)
    with pytest.raises(ConfigError, match="exactly one"):
        AlertRule("r", "rows", above=1, below=0)
    with pytest.raises(ConfigError, match="clear must not exceed"):
        AlertRule("r", "drift_share", above=0.1, clear=0.5)


def test_drift_opens_then_resolves_an_alert(ws: Workspace) -> None:
    # Two quiet days, three shifted days, two quiet days again.
    data = traffic([0, 0, 1.0, 1.0, 1.0, 0, 0])
    run = monitor.run(ws.context, "credit", data, window="1d")
    assert [w.start.day for w in run.windows] == [1, 2, 3, 4, 5, 6, 7]
    assert [w.drifted_columns for w in run.windows] == [
        [],
        [],
        ["income"],
        ["income"],
        ["income"],
        [],
        [],
    ]
    assert [(a.rule, a.opened_at.day) for a in run.opened] == [("input-drift", 3)]
    assert [(a.rule, a.resolved_at.day) for a in run.resolved if a.resolved_at] == [
        ("input-drift", 7)
    ]
    assert "income" in run.opened[0].message and "credit" in run.opened[0].message
    assert [e.action for e in ws.audit_events(action="alert.open")] == ["alert.open"]
    stored = monitor.alerts(ws.context, model="credit")
    assert [a.status for a in stored] == ["resolved"]


def test_rerun_replaces_windows_and_does_not_reopen(ws: Workspace) -> None:
    data = traffic([0, 1.0, 1.0])
    first = monitor.run(ws.context, "credit", data, window="1d")
    again = monitor.run(ws.context, "credit", data, window="1d")
    assert len(first.opened) == 1 and again.opened == [] and again.resolved == []
    assert len(monitor.alerts(ws.context)) == 1
    later = monitor.run(ws.context, "credit", traffic([0, 1.0, 1.0, 0]), window="1d")
    assert [a.resolved_at.day for a in later.resolved if a.resolved_at] == [5]


def test_small_windows_are_not_judged(ws: Workspace) -> None:
    data = traffic([2.0], rows=30)
    run = monitor.run(ws.context, "credit", data, window="1d")
    assert [w.evaluated for w in run.windows] == [False]
    assert run.opened == []


def test_since_limits_the_range_and_hourly_windows_work(ws: Workspace) -> None:
    data = traffic([0, 0], rows=2400)
    run = monitor.run(ws.context, "credit", data, window="1h", since=T0 + dt.timedelta(days=1))
    assert len(run.windows) == 24
    assert all(w.start >= T0 + dt.timedelta(days=1) for w in run.windows)


def test_wrong_inputs_name_the_problem(ws: Workspace, tmp_path: Path) -> None:
    data = traffic([0])
    with pytest.raises(InputError, match="no time column 'ts'"):
        monitor.run(ws.context, "credit", data, time_column="ts")
    with pytest.raises(InputError, match="none of credit:1's input columns"):
        monitor.run(ws.context, "credit", data[["timestamp"]].assign(other=1))
    with pytest.raises(
        DataNotFoundError, match=r"prediction log: there is no file .*nope\.parquet"
    ):
        monitor.run(ws.context, "credit", tmp_path / "nope.parquet")


def test_cli_monitor_run_on_parquet(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.parquet"
    traffic([0, 1.5]).to_parquet(path)
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[alert]]\nname = "drifting"\nmetric = "drift_detected"\nabove = 0.5\nmin_rows = 50\n'
    )
    home = str(ws.home)
    db = ws.settings.database_url
    import os

    os.environ["DRIFTLINE_DATABASE_URL"] = db
    try:
        code = main(
            [
                "--home",
                home,
                "monitor",
                "run",
                "credit",
                "--data",
                str(path),
                "--policy",
                str(policy),
            ]
        )
        out = capsys.readouterr().out
        assert code == 0 and "alert opened" in out and "income" in out
        code = main(["--home", home, "alerts", "list", "--status", "open", "--json"])
        import json

        assert [a["rule"] for a in json.loads(capsys.readouterr().out)] == ["drifting"]
        code = main(
            ["--home", home, "monitor", "run", "credit", "--data", str(path), "--window", "daily"]
        )
        assert code == 2 and "like 15m" in capsys.readouterr().err
    finally:
        del os.environ["DRIFTLINE_DATABASE_URL"]


def test_reads_the_inference_log_by_default(ws: Workspace) -> None:
    from driftline.store import InferenceLog

    with pytest.raises(InputError, match="holds no predictions"):
        monitor.run(ws.context, "credit")
    log = InferenceLog(ws.home / "log")
    data = traffic([0, 1.0], rows=300)
    for i, row in enumerate(data.itertuples(index=False)):
        log.append(
            {
                "kind": "prediction",
                "request_id": f"r{i}",
                "timestamp": row.timestamp.isoformat(),
                "model": "credit",
                "version": 1,
                "route": "champion",
                "inputs": {"age": row.age, "income": row.income},
                "prediction": 0,
            }
        )
    log.close()
    run = monitor.run(ws.context, "credit", window="1d")
    assert [w.rows for w in run.windows] == [300, 300]
    assert [w.drifted_columns for w in run.windows] == [[], ["income"]]


def test_quality_findings_count_per_window_and_can_alert(ws: Workspace) -> None:
    data = traffic([0, 0], rows=300)
    day2 = data["timestamp"] >= T0 + dt.timedelta(days=1)
    data.loc[day2, "age"] = data.loc[day2, "age"] + 80  # far beyond anything seen in training
    run = monitor.run(ws.context, "credit", data, window="1d")
    assert [w.metrics["quality_critical"] >= 1 for w in run.windows] == [False, True]
    assert any(a.rule == "data-quality" and a.severity == "critical" for a in run.opened)


def test_an_alert_monitoring_did_not_raise_does_not_mark_windows_judged(ws: Workspace) -> None:
    # The loop opens its own alerts (a rollback) at the moment it acts, mid-window; the
    # window it falls in must still be judged by monitoring's rules when it is looked at.
    from driftline.store import AlertRow

    with ws.context.db.write() as s:
        when = T0 + dt.timedelta(days=2, hours=12)
        s.add(
            AlertRow(
                model="credit",
                rule="rollout-rollback",
                severity="critical",
                status="open",
                message="version 2 was rolled back",
                metric="accuracy",
                value=0.2,
                threshold=0.05,
                opened_at=when,
                window_start=when,
            )
        )
    run = monitor.run(ws.context, "credit", traffic([0, 0, 1.0]), window="1d")
    assert [(a.rule, a.opened_at.day) for a in run.opened] == [("input-drift", 3)]
