"""A policy requiring a clean audit: the loop audits the rows it would retrain on, and stops on a failure."""

from __future__ import annotations

import datetime as dt

import numpy as np

from driftline import audit, loop, registry

from .conftest import World, make_rows
from .test_loop_states import POLICY

AUDITED = POLICY + '\n[audit]\nrequire = "clean"\n'


def _hours_ago(h: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=h)


def _world(world: World, *, flipped: float) -> None:
    """Ordinary traffic, then drifted traffic whose labels are wrong for ``flipped`` of its rows."""
    world.policy(AUDITED)
    # Labels only after the change: rows of both sides of a moved boundary would disagree,
    # and the audit would rightly call the older ones mislabelled.
    world.log(make_rows(world.rng, 400), version=1, at=_hours_ago(3), labels=False)
    drifted = make_rows(world.rng, 900, drift=True)
    wrong = np.random.default_rng(11).random(len(drifted)) < flipped
    drifted.loc[wrong, "y"] = 1 - drifted.loc[wrong, "y"]
    world.log(drifted, version=1, at=_hours_ago(2))


def test_retraining_data_failing_the_audit_stops_the_loop_with_its_reason(world: World) -> None:
    _world(world, flipped=0.25)
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "retrain_failed", run
    assert run.reason.startswith(
        "Retraining shop failed, so version 1 keeps serving: the policy requires a clean audit "
        "of the training data, and the "
    )
    assert "rows the loop would learn from failed it: " in run.reason
    assert "labels" in run.reason and "driftline audit list --action data.audit" in run.reason
    assert [v.version for v in registry.list_versions(world.ctx, "shop")] == [1]  # none new
    events = audit.events(world.ctx.db)
    audited = [e for e in events if e.action == "data.audit"]
    assert len(audited) == 1 and audited[0].actor == "loop"
    assert audited[0].payload["passed"] is False and audited[0].payload["target"] == "y"
    retrain = [e for e in events if e.action == "loop.retrain"]
    assert len(retrain) == 1 and retrain[0].payload["passed"] is False
    assert "failed it" in retrain[0].payload["error"]
    assert audit.verify(world.ctx.db).ok


def test_clean_retraining_data_is_audited_then_registered(world: World) -> None:
    _world(world, flipped=0.0)
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.candidate == 2, run.reason
    audited = [e for e in audit.events(world.ctx.db) if e.action == "data.audit"]
    assert len(audited) == 1 and audited[0].payload["passed"] is True
    # The audit recorded is of the very rows registered: register found it by their fingerprint.
    registered = world.ws.get("shop:2").lineage["data_fingerprint"]
    assert audited[0].subject == "data:" + registered.removeprefix("sha256:")
