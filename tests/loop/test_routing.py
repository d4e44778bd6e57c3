"""A rollout changes who answers, never how a request's inputs are completed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from driftline import loop, serving
from driftline.features import Feature, FeatureBinding, FeatureView, materialize, register_view

from .conftest import World, fit, make_rows
from .test_levers import sqlite_world  # noqa: F401 - the fixture
from .test_loop_states import POLICY


def test_a_canary_keeps_the_deployments_feature_views(
    sqlite_world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = sqlite_world
    source = tmp_path / "pos.parquet"
    pd.DataFrame(
        {"id": [1, 2], "at": [pd.Timestamp("2026-01-01", tz="UTC")] * 2, "x4": [0.1, 0.2]}
    ).to_parquet(source)
    register_view(
        world.ctx,
        FeatureView(
            "pos",
            entities=["id"],
            timestamp="at",
            source=str(source),
            features=[Feature("x4", "float")],
        ),
    )
    materialize(world.ctx, until=dt.datetime.now(dt.UTC))
    binding = FeatureBinding(("pos:x4",))
    serving.deploy(world.ctx, "shop", features=binding)
    world.policy(POLICY)
    rows = make_rows(world.rng, 800, drift=True)
    version = world.ws.register("shop", fit(rows), train=rows, target="y").version

    run = loop.start(world.ctx, "shop", version, skip_gate=True, actor="alice")
    run = loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))

    (spec,) = serving.list_deployments(world.ctx)
    assert run.state == "canary" and spec.canary_percent == run.percent > 0
    assert spec.features == binding
