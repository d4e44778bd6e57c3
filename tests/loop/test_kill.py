"""``kill -9`` between any two steps of the loop, and at the worst moment inside each: it resumes.

Every move of a run is one ``_runs.create`` or ``_runs.commit``, after the
step's side effect (a registration, a gate decision, an alias, a deployment).
A forked child runs ticks and kills itself with SIGKILL just before or just
after the n-th move; the parent then ticks to the end and checks that the
result is the one an uninterrupted loop reaches, with nothing done twice.
"""

from __future__ import annotations

import collections
import itertools
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from driftline import Workspace, audit, loop, serving

from .conftest import copy_world
from .test_loop_states import POLICY, _drifted_world

FAST = POLICY.replace(
    "[gate]\nmin_rows = 100\n", "[gate]\nmin_rows = 100\nn_resamples = 200\n"
).replace("min_requests = 200 }", "min_requests = 0 }")
# create, retrain, gate, canary start, next step, promotion
MOVES = 6


@pytest.fixture(scope="module")
def drifted_template(world_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("kill-template")
    world = copy_world(world_template, where)
    world.policy(FAST)
    _drifted_world(world)
    world.policy(FAST)  # _drifted_world set the slower one
    world.ws.close()
    return world.home


def _open(home: Path) -> Workspace:
    return Workspace.open(home, create=False, database_url=f"sqlite:///{home / 'driftline.db'}")


def _counting(
    fn: Callable[..., Any], calls: itertools.count[int], point: int, when: str
) -> Callable[..., Any]:
    def move(*args: Any, **kwargs: Any) -> Any:
        n = next(calls)
        if n == point and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = fn(*args, **kwargs)
        if n == point and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    return move


def _killed_at(home: Path, point: int, when: str) -> int:
    """Fork a child that ticks and kills itself at the move; returns the signal that ended it."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            from driftline.loop import _runs

            calls = itertools.count(1)
            _runs.commit = _counting(_runs.commit, calls, point, when)  # type: ignore[method-assign]
            _runs.create = _counting(_runs.create, calls, point, when)  # type: ignore[method-assign]
            with _open(home) as ws:
                for _ in range(MOVES):
                    loop.tick(ws.context)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("point", range(1, MOVES + 1))
def test_kill_9_at_any_move_resumes_on_the_next_tick(
    drifted_template: Path, tmp_path: Path, point: int, when: str
) -> None:
    import shutil

    home = tmp_path / "ws"
    shutil.copytree(drifted_template, home)
    assert _killed_at(home, point, when) == signal.SIGKILL

    with _open(home) as ws:
        for _ in range(MOVES):
            report = loop.tick(ws.context)
            if (
                report.models
                and report.models[0].run is not None
                and not report.models[0].run.active
            ):
                break
        (run,) = loop.list_runs(ws.context, "shop")
        assert run.state == "promoted", (point, when, run.reason)
        assert ws.get("shop@champion").version == 2 and ws.get("shop@previous").version == 1
        assert [v.version for v in ws.versions("shop")] == [1, 2]  # no second candidate
        spec = serving.list_deployments(ws.context)[0]
        assert (spec.canary_alias, spec.canary_percent) == (None, 0.0)
        assert audit.verify(ws.context.db).ok
        actions = collections.Counter(e.action for e in audit.events(ws.context.db))
        once = ("loop.start", "loop.retrain", "gate.decision", "loop.gate", "rollout.start")
        assert {a: actions[a] for a in (*once, "rollout.step", "rollout.promote")} == dict.fromkeys(
            (*once, "rollout.step", "rollout.promote"), 1
        )
        # Deployed; 20%; 50%; back to the champion alone: no move written twice.
        assert [
            e.payload["canary_percent"] for e in audit.events(ws.context.db, action="deploy")
        ] == [
            0.0,
            20.0,
            50.0,
            0.0,
        ]
        assert actions["model.register"] == 2 and actions["alias.remove"] == 1
