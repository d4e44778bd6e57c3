"""People's levers and the loop's limits: approval, separation of duties, pause, abort, storms."""

from __future__ import annotations

import pytest

from driftline import audit, auth, loop, monitor, serving
from driftline.cli import main
from driftline.errors import ConfigError, ConflictError, ForbiddenError, NotFoundError

from .conftest import World, fit, make_rows
from .test_loop_states import POLICY, _drifted_world


def _candidate(world: World, *, actor: str = "alice", flip: bool = False) -> int:
    rows = make_rows(world.rng, 800, drift=True)
    mv = world.ws.register("shop", fit(rows, flip=flip), train=rows, target="y", actor=actor)
    return mv.version


def _token(world: World, role: str, name: str) -> str:
    return auth.create(world.ctx, role=role, name=name, actor="admin")[1]


@pytest.fixture
def sqlite_world(world_template, tmp_path):  # type: ignore[no-untyped-def]
    from .conftest import copy_world

    w = copy_world(world_template, tmp_path)
    yield w
    w.ws.close()


def test_approval_waits_and_only_another_operator_may_let_it_go_on(sqlite_world: World) -> None:
    world = sqlite_world
    world.policy('approval = "required"\n' + POLICY)
    version = _candidate(world, actor="alice")
    holdout = make_rows(world.rng, 400, drift=True)
    run = loop.start(world.ctx, "shop", version, data=holdout, target="y", actor="alice")
    run = loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    assert run.state == "awaiting_approval", run.reason
    assert run.sentence.startswith(
        f"Version {version} of shop passed the gate and waits for approval"
    )
    # Ticks leave it waiting, and nothing is routed to it.
    assert loop.tick(world.ctx).models[0].run.state == "awaiting_approval"  # type: ignore[union-attr]
    assert serving.list_deployments(world.ctx)[0].canary_percent == 0.0

    with pytest.raises(
        ForbiddenError, match=r"needs the 'operator' role; token .* has 'predictor'"
    ):
        loop.approve(world.ctx, "shop", version, token=_token(world, "predictor", "bob"))
    with pytest.raises(ForbiddenError, match="alice registered version 2 of shop, so someone else"):
        loop.approve(world.ctx, "shop", version, token=_token(world, "operator", "alice"))
    with pytest.raises(ConflictError, match="version 9 of shop is not waiting for approval"):
        loop.approve(world.ctx, "shop", 9, token=_token(world, "operator", "carol"))

    run = loop.approve(
        world.ctx, "shop", version, token=_token(world, "operator", "carol"), note="card read"
    )
    assert run.state == "canary"
    run = loop.tick(world.ctx).models[0].run  # type: ignore[assignment]
    assert run is not None and (run.state, run.percent) == ("canary", 20.0)
    (record,) = loop.approvals(world.ctx, "shop")
    assert (record["decision"], record["actor"], record["role"], record["note"]) == (
        "approved",
        "carol",
        "operator",
        "card read",
    )
    approved = [e for e in audit.events(world.ctx.db) if e.action == "loop.approve"]
    assert [(e.actor, e.payload["registered_by"]) for e in approved] == [("carol", "alice")]


def test_a_rejected_candidate_leaves_the_champion_serving(sqlite_world: World) -> None:
    world = sqlite_world
    world.policy('approval = "required"\n' + POLICY)
    version = _candidate(world)
    run = loop.start(world.ctx, "shop", version, skip_gate=True, actor="alice")
    assert run.state == "awaiting_approval"
    run = loop.reject(
        world.ctx, "shop", version, token=_token(world, "admin", "dave"), note="too soon"
    )
    assert run.state == "rejected"
    assert run.sentence == "dave rejected version 2 of shop (too soon); version 1 keeps serving."
    assert world.ws.get("shop@champion").version == 1


def test_pause_holds_the_step_resume_goes_on_abort_sends_traffic_back(sqlite_world: World) -> None:
    world = sqlite_world
    world.policy(POLICY)
    version = _candidate(world)
    run = loop.start(world.ctx, "shop", version, skip_gate=True, actor="alice")
    loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    loop.pause(world.ctx, "shop", actor="erin")
    rows = make_rows(world.rng, 1500, drift=True)
    world.log(rows.iloc[300:], version=1)
    world.log(rows.iloc[:300], version=version, route="canary")
    run = loop.tick(world.ctx).models[0].run  # type: ignore[assignment]
    assert run is not None and (run.state, run.step, run.paused) == ("canary", 0, True)
    assert "(paused: it stays at this share until resumed)" in run.sentence
    loop.resume(world.ctx, "shop", actor="erin")
    run = loop.tick(world.ctx).models[0].run  # type: ignore[assignment]
    assert run is not None and (run.step, run.percent) == (1, 50.0)
    run = loop.abort(world.ctx, "shop", actor="erin")
    assert run.state == "aborted"
    assert run.sentence == (
        "erin stopped the rollout of version 2 of shop; version 1 answers all traffic."
    )
    assert serving.list_deployments(world.ctx)[0].canary_percent == 0.0
    actors = {(e.action, e.actor) for e in audit.events(world.ctx.db)}
    assert {
        ("rollout.pause", "erin"),
        ("rollout.resume", "erin"),
        ("rollout.abort", "erin"),
    } <= actors
    with pytest.raises(NotFoundError, match="shop has no rollout under way"):
        loop.pause(world.ctx, "shop")


def test_rollback_after_a_promotion_puts_the_previous_champion_back(sqlite_world: World) -> None:
    world = sqlite_world
    steps = POLICY[POLICY.index("steps = [") : POLICY.index("]\n", POLICY.index("steps = [")) + 2]
    world.policy(POLICY.replace(steps, "steps = [{ percent = 100 }]\n"))
    version = _candidate(world)
    run = loop.start(world.ctx, "shop", version, skip_gate=True, actor="alice")
    run = loop.advance(world.ctx, run, loop.load_policy(world.ctx, "shop"))
    assert run.state == "promoted" and world.ws.get("shop@champion").version == version
    run = loop.rollback(world.ctx, "shop", actor="frank")
    assert run.state == "rolled_back"
    assert world.ws.get("shop@champion").version == 1
    assert world.ws.get("shop@previous").version == version
    moves = [
        (e.payload["version"], e.actor) for e in audit.events(world.ctx.db, subject="shop@champion")
    ]
    assert moves == [(1, "tester"), (version, "loop"), (1, "frank")]
    with pytest.raises(NotFoundError, match="shop has no rollout to undo"):
        loop.rollback(world.ctx, "shop")


def test_a_retrain_that_fails_leaves_the_champion_and_says_why(sqlite_world: World) -> None:
    world = sqlite_world
    _drifted_world(world)
    (world.home.parent / "policy" / "hooks.py").write_text(
        "def train(data, champion):\n    raise ValueError('the warehouse is closed')\n"
    )
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "retrain_failed"
    assert run.reason == (
        "Retraining shop failed, so version 1 keeps serving: the retrain hook hooks.py:train "
        "raised ValueError: the warehouse is closed."
    )
    assert world.ws.get("shop@champion").version == 1 and len(world.ws.versions("shop")) == 1


def test_a_candidate_that_fails_the_gate_is_not_rolled_out(sqlite_world: World) -> None:
    world = sqlite_world
    _drifted_world(world)
    (world.home.parent / "policy" / "hooks.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n\n"
        "def train(data, champion):\n"
        "    return LogisticRegression().fit(data.drop(columns=['y']), 1 - data['y'])\n"
    )
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "gate_failed"
    assert run.reason.startswith(
        "Version 2 of shop did not pass the gate, so version 1 keeps serving: "
    )
    assert serving.list_deployments(world.ctx)[0].canary_percent == 0.0


def test_cooldown_and_attempts_per_alert_stop_a_retrain_storm(sqlite_world: World) -> None:
    world = sqlite_world
    _drifted_world(world)
    (world.home.parent / "policy" / "hooks.py").write_text(
        "def train(data, champion):\n    raise ValueError('no')\n"
    )
    first = loop.tick(world.ctx).models[0]
    assert first.run is not None and first.run.state == "retrain_failed"
    again = loop.tick(world.ctx).models[0]
    assert again.run is None
    assert any(
        "already started 1 retraining(s) of shop, the most its policy allows" in n
        for n in again.notes
    )
    # A new alert, but the cooldown holds.
    world.policy(POLICY.replace("max_attempts = 1", "max_attempts = 5"))
    later = loop.tick(world.ctx).models[0]
    assert later.run is None
    assert any("was last retrained" in n and "cooldown of 1 hour" in n for n in later.notes), (
        later.notes
    )
    assert len(loop.list_runs(world.ctx, "shop")) == 1


def test_a_bad_policy_file_stops_the_loop_for_that_model_and_says_why(sqlite_world: World) -> None:
    world = sqlite_world
    world.policy(POLICY)
    (world.home / "policies" / "shop.toml").write_text("[rollout]\nstepz = []\n")
    report = loop.tick(world.ctx)
    (model,) = report.models
    assert model.error is not None and "key 'rollout.stepz' (line 2)" in model.error
    assert "did you mean 'steps'?" in model.error
    assert monitor.alerts(world.ctx, model="shop") == []
    with pytest.raises(ConfigError):
        loop.load_policy(world.ctx, "shop")


def test_one_tick_at_a_time(world: World) -> None:
    """On SQLite a file lock, on PostgreSQL an advisory lock: both die with their holder."""
    from driftline.loop._lock import tick_lock

    with tick_lock(world.ctx) as held:
        assert held
        report = loop.tick(world.ctx)
    assert not report.ran
    assert report.lines == ["another loop tick is running in this workspace; this one did nothing"]
    assert loop.tick(world.ctx).ran


def test_the_cli_levers_name_the_token_holder_in_the_audit(
    sqlite_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world = sqlite_world
    world.policy('approval = "required"\n' + POLICY)
    version = _candidate(world, actor="alice")
    home = str(world.home)
    operator = _token(world, "operator", "carol")
    viewer = _token(world, "viewer", "vic")
    assert (
        main(
            [
                "--home",
                home,
                "rollout",
                "start",
                "shop",
                str(version),
                "--skip-gate",
                "--token",
                operator,
            ]
        )
        == 0
    )
    assert "waits for approval" in capsys.readouterr().out
    assert main(["--home", home, "approve", "shop", str(version), "--token", viewer]) == 1
    err = capsys.readouterr().err
    assert "needs the 'operator' role" in err and err.count("\n") == 1
    assert (
        main(["--home", home, "approve", "shop", str(version), "--token", operator, "--note", "ok"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(f"Version {version} of shop answers 20% of its traffic")
    rows = make_rows(world.rng, 600, drift=True)
    world.log(rows.iloc[120:], version=1)
    world.log(rows.iloc[:120], version=version, route="canary")
    loop.tick(world.ctx)  # a look: 120 canary requests of the 200 the step needs
    assert main(["--home", home, "rollout", "status", "shop"]) == 0
    status = capsys.readouterr().out
    assert status.startswith(f"Version {version} of shop answers 20% of its traffic at step 1")
    assert "champion v1" in status and f"canary v{version}" in status
    assert "right, where labelled" in status and "latency p99 (ms)" in status
    assert main(["--home", home, "rollout", "status", "shop", "--json"]) == 0
    assert '"state": "canary"' in capsys.readouterr().out
    assert main(["--home", home, "rollback", "shop", "--token", operator]) == 0
    assert capsys.readouterr().out.startswith("carol rolled back version 2 of shop")
    actors = {(e.action, e.actor) for e in audit.events(world.ctx.db)}
    assert {
        ("loop.start", "carol"),
        ("loop.approve", "carol"),
        ("rollout.rollback", "carol"),
    } <= actors


def test_a_shell_command_can_retrain_and_its_model_file_is_registered(sqlite_world: World) -> None:
    import sys

    world = sqlite_world
    folder = world.home.parent / "policy"
    folder.mkdir(exist_ok=True)
    (folder / "train_cmd.py").write_text(
        "import sys\n"
        "import pandas as pd, skops.io as sio\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "args = dict(zip(sys.argv[1::2], sys.argv[2::2]))\n"
        "data = pd.read_parquet(args['--data'])\n"
        "model = LogisticRegression().fit(data.drop(columns=['y']), data['y'])\n"
        "sio.dump(model, args['--out'])\n"
    )
    command = f'command = "{sys.executable} train_cmd.py --data {{data}} --out {{out}}"'
    _drifted_world(world)
    world.policy(POLICY.replace('hook = "hooks.py:train"', command))
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and (run.state, run.candidate) == ("canary", 2), run.reason
    candidate = world.ws.get("shop:2")
    assert candidate.flavor == "sklearn" and candidate.lineage["loop_run"] == run.id


def test_a_failing_shell_command_says_its_last_words(sqlite_world: World) -> None:
    world = sqlite_world
    _drifted_world(world)
    world.policy(
        POLICY.replace(
            'hook = "hooks.py:train"', "command = \"sh -c 'echo out of memory >&2; exit 3' {out}\""
        )
    )
    run = loop.tick(world.ctx).models[0].run
    assert run is not None and run.state == "retrain_failed"
    assert run.reason == (
        "Retraining shop failed, so version 1 keeps serving: the retrain command exited with 3: "
        "out of memory."
    )
