"""The loop's states on SQLite and PostgreSQL: alert, retrain, gate, canary, promote or roll back."""

from __future__ import annotations

import datetime as dt

import numpy as np

from driftline import audit, loop, monitor, serving

from .conftest import World, fit, make_rows

POLICY = """\
cooldown = "1h"

[monitor]
window = "1h"
lookback = "1d"

[[alert]]
name = "input-drift"
metric = "drift_share"
above = 0.2
min_rows = 100

[retrain]
hook = "hooks.py:train"
target = "y"
window = "1d"
holdout = 0.4
min_rows = 300
max_attempts = 1

[gate]
min_rows = 100
[gate.regression]
accuracy = { max_drop = 0.02 }

[rollout]
min_rows = 50
steps = [
  { percent = 20, min_duration = "0s", min_requests = 200 },
  { percent = 50, min_duration = "0s", min_requests = 200 },
  { percent = 100 },
]

[rollback]
error_rate = { max_rise = 0.02 }
accuracy = { max_drop = 0.05 }
estimated_accuracy = { max_drop = 0.05 }
"""


def _hours_ago(h: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=h)


def _drifted_world(world: World) -> None:
    """An hour of ordinary traffic, then an hour where the inputs and the boundary moved."""
    world.policy(POLICY)
    world.log(make_rows(world.rng, 400), version=1, at=_hours_ago(3))
    world.log(make_rows(world.rng, 900, drift=True), version=1, at=_hours_ago(2))


def _split_traffic(world: World, n: int, *, canary: int, percent: float, **kwargs: object) -> None:
    rows = make_rows(world.rng, n, drift=True)
    k = int(n * percent / 100)
    world.log(rows.iloc[k:], version=1)
    world.log(rows.iloc[:k], version=canary, route="canary", **kwargs)  # type: ignore[arg-type]


def test_drift_retrains_gates_canaries_and_promotes(world: World) -> None:
    _drifted_world(world)
    ctx = world.ctx

    report = loop.tick(ctx)
    run = report.models[0].run
    assert run is not None, report.lines
    # The drift alert opened, the loop retrained, the candidate passed the gate and went on canary.
    (alert,) = monitor.alerts(ctx, model="shop")
    assert alert.rule == "input-drift" and run.alert_id == alert.id
    assert (run.state, run.step, run.percent, run.candidate) == ("canary", 0, 20.0, 2), run.reason
    candidate = world.ws.get("shop:2")
    lineage = candidate.lineage
    assert lineage["loop_run"] == run.id and lineage["alert"] == alert.id
    assert lineage["alert_rule"] == "input-drift" and lineage["parent"] == "shop:1"
    window = lineage["data_window"]
    assert dt.datetime.fromisoformat(window["to"]) - dt.datetime.fromisoformat(
        window["from"]
    ) == dt.timedelta(days=1)
    feedback = lineage["feedback"]
    # Every training row came from the log: answered by shop:1 itself.
    assert feedback["share_decided_by_model"] == 1.0 and feedback["rows_given"] == 0
    assert feedback["versions"] == {"1": lineage["training_rows"]}
    assert 0 < feedback["labels_equal_to_answer"] < 1
    rows = lineage["training_rows"]
    assert run.reason == (
        f"Version 2 of shop passed the gate against version 1; 100% of its {rows:,} training "
        "rows were answered by shop itself, so their labels may echo its own decisions."
    )
    assert candidate.created_by == "loop"
    spec = serving.list_deployments(ctx)[0]
    assert (spec.canary_alias, spec.canary_percent) == ("candidate", 20.0)

    _split_traffic(world, 1200, canary=2, percent=20)
    run = loop.tick(ctx).models[0].run
    assert run is not None and (run.state, run.step, run.percent) == ("canary", 1, 50.0), run
    _split_traffic(world, 600, canary=2, percent=50)
    run = loop.tick(ctx).models[0].run
    assert run is not None and run.state == "promoted", run
    assert run.reason.startswith("Version 2 of shop passed its last step (50%")

    assert world.ws.get("shop@champion").version == 2
    assert world.ws.get("shop@previous").version == 1
    spec = serving.list_deployments(ctx)[0]
    assert (spec.alias, spec.canary_alias, spec.canary_percent) == ("champion", None, 0.0)
    looks = loop.analyses(ctx, run.id)
    assert [a["decision"] for a in looks] == ["advance", "promote"]
    accuracy = next(c for c in looks[0]["summary"]["checks"] if c["name"] == "accuracy")
    assert accuracy["verdict"] == "fine" and accuracy["canary"] > accuracy["champion"]
    estimated = next(c for c in looks[0]["summary"]["checks"] if c["name"] == "estimated_accuracy")
    assert estimated["verdict"] == "fine" and estimated["rows"][1] > 200

    assert audit.verify(ctx.db).ok
    events = audit.events(ctx.db)
    since = next(e.seq for e in events if e.action == "policy.set")
    moves = [(e.actor, e.action) for e in events if e.seq > since]
    assert ("loop", "alert.open") in moves
    assert [a for who, a in moves if a.startswith(("loop.", "rollout."))] == [
        "loop.start",
        "loop.retrain",
        "loop.gate",
        "rollout.start",
        "rollout.step",
        "rollout.promote",
    ]
    assert {who for who, a in moves if a.startswith(("loop.", "rollout.", "deploy", "alias"))} == {
        "loop"
    }
    # No second retraining: the alert's one attempt is spent and the cooldown holds.
    assert loop.tick(ctx).models[0].run is None


def test_a_canary_worse_on_labels_is_rolled_back_and_an_alert_says_why(world: World) -> None:
    world.policy(POLICY)
    bad = fit(make_rows(world.rng, 800), flip=True)
    world.ws.register("shop", bad, train=make_rows(world.rng, 200), target="y", actor="alice")
    run = loop.start(world.ctx, "shop", 2, skip_gate=True, actor="alice")
    run = loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    assert (run.state, run.percent) == ("canary", 20.0)

    rows = make_rows(world.rng, 1000)
    world.log(rows.iloc[200:], version=1)
    world.log(rows.iloc[:200], version=2, route="canary")
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "rolled_back"
    assert run.reason.startswith("shop is back on version 1 alone: version 2 was right on"), (
        run.reason
    )
    assert "worse than the 5 points allowed, so it was taken out of service at its 20% step." in (
        run.reason
    )
    spec = serving.list_deployments(world.ctx)[0]
    assert (spec.canary_alias, spec.canary_percent) == (None, 0.0)
    (alert,) = monitor.alerts(world.ctx, model="shop", status="open")
    assert alert.rule == "rollout-rollback" and alert.message == run.reason
    assert alert.severity == "critical"
    events = audit.events(world.ctx.db)
    rolled = [e for e in events if e.action == "rollout.rollback"]
    assert len(rolled) == 1 and rolled[0].actor == "loop"
    assert rolled[0].payload["check"] == "accuracy" and rolled[0].payload["p"] < 0.01
    deploys = [e.payload["canary_percent"] for e in events if e.action == "deploy"]
    assert deploys == [0.0, 20.0, 0.0]  # the alias history: deployed, canary, back
    assert audit.verify(world.ctx.db).ok


def test_a_canary_failing_more_requests_is_rolled_back(world: World) -> None:
    world.policy(POLICY)
    world.ws.register(
        "shop", fit(make_rows(world.rng, 800)), train=make_rows(world.rng, 200), target="y"
    )
    run = loop.start(world.ctx, "shop", 2, skip_gate=True, actor="alice")
    loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    rows = make_rows(world.rng, 1500)
    world.log(rows.iloc[300:], version=1, labels=False, failed=12)
    world.log(rows.iloc[:300], version=2, route="canary", labels=False, failed=60)
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "rolled_back"
    assert "version 2 failed 17% of 360 requests against 1% for version 1" in run.reason


def test_an_outcome_that_drops_rolls_back(world: World) -> None:
    world.policy(
        POLICY.replace(
            "[rollback]\n",
            "[rollback.outcomes]\npurchase = { max_drop = 0.01, missing = 0 }\n\n[rollback]\n",
        )
    )
    world.ws.register(
        "shop", fit(make_rows(world.rng, 800)), train=make_rows(world.rng, 200), target="y"
    )
    run = loop.start(world.ctx, "shop", 2, skip_gate=True, actor="alice")
    loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    rng = np.random.default_rng(9)
    rows = make_rows(world.rng, 2000)
    world.log(
        rows.iloc[400:], version=1, labels=False, outcomes={"purchase": rng.binomial(1, 0.3, 1600)}
    )
    world.log(
        rows.iloc[:400],
        version=2,
        route="canary",
        labels=False,
        outcomes={"purchase": rng.binomial(1, 0.1, 400)},
    )
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "rolled_back", run
    assert run.reason == (
        "shop is back on version 1 alone: version 2 led to `purchase` averaging 0.095 per "
        "answer against 0.298 for version 1, worse than the 0.01 allowed, so it was taken out "
        "of service at its 20% step."
    )


def test_an_outcome_is_an_alert_rule_per_window_of_the_version(world: World) -> None:
    """Outcomes joined to the answers they followed, averaged per window, judged by a rule."""
    world.policy(
        POLICY.replace(
            "[retrain]",
            '[[alert]]\nname = "fewer-purchases"\nmetric = "outcome:purchase"\nbelow = 0.2\n'
            "min_rows = 100\n\n[retrain]",
        ).replace('on = ["input-drift"]\n', "")
    )
    rng = np.random.default_rng(12)
    world.log(
        make_rows(world.rng, 300),
        version=1,
        at=_hours_ago(3),
        outcomes={"purchase": rng.binomial(1, 0.3, 300)},
    )
    world.log(
        make_rows(world.rng, 300),
        version=1,
        at=_hours_ago(2),
        outcomes={"purchase": rng.binomial(1, 0.1, 300)},
    )
    notes = loop.tick(world.ctx).models[0].notes
    opened = [a for a in monitor.alerts(world.ctx, model="shop") if a.rule == "fewer-purchases"]
    assert len(opened) == 1 and 0.05 < opened[0].value < 0.15
    assert opened[0].message in notes
    assert "`purchase` averaged 0." in opened[0].message
    assert "per answer of shop:1, below the alert level of 0.2" in opened[0].message
