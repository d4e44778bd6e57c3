"""The whole story, step by step: :func:`run` tells it and returns what happened.

Each step calls driftline's public entry points as a user's code would, and
what the story reports is what they returned: nothing is pretended.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from driftline.demo import _setup
from driftline.demo import _words as words
from driftline.demo._result import Story
from driftline.demo._scan import scan
from driftline.demo._show import Show
from driftline.demo._stage import Clock, Stage
from driftline.demo._world import simulate
from driftline.demo._year import REQUEST_ROWS, replay
from driftline.errors import InputError, UnavailableError

if TYPE_CHECKING:
    from driftline.workspace import Workspace

__all__ = ["Story", "run"]


def run(
    home: str | Path | None = None,
    *,
    fast: bool = False,
    wait: bool = True,
    show: Show | None = None,
    stop: threading.Event | None = None,
) -> Story:
    """Tell the story in a fresh workspace at ``home`` (a new temporary folder by default).

    ``fast`` replays fewer applications per month (for CI); ``wait`` keeps the
    server answering until Ctrl-C (or ``stop`` is set) once the story is told.
    """
    import driftline

    began = time.monotonic()
    show = show or Show()
    root = _fresh(home)
    files = root / "files"
    world = simulate(rows_per_month=300 if fast else 500, train_rows=1500 if fast else 3000)
    show.step("a workspace", f"a fresh workspace in {root} (SQLite and files: nothing to install)")
    # The embedded default whatever DRIFTLINE_* variables say: the demo never writes
    # into a database or bucket of yours.
    ws = driftline.Workspace.init(
        root,
        actor="demo",
        database_url=f"sqlite:///{root / 'driftline.db'}",
        artifacts_url=str(root / "artifacts"),
        log_url=str(root / "log" / "parquet"),
        online_store_url=f"sqlite:///{root / 'features' / 'online.db'}",
    )
    stage: Stage | None = None
    try:
        paths = _setup.write_files(files, world)
        show.say(
            f"a simulated bank: {len(world.train):,} past loan applications to learn from, "
            f"{len(world.customers):,} credit files, and a year of new applications to come"
        )

        show.step("audit the training data", "driftline data audit")
        audit = _setup.audit_training_data(ws, world.train, world.flipped)
        show.say(audit.output)
        show.say(words.audit_caught(audit.caught, audit.planted, audit.flagged))

        show.step("train, evaluate, calibrate, gate, register as champion")
        first = _setup.first_model(ws, paths, resamples=200 if fast else 500)
        for sentence in [*first.sentences, first.calibration, first.gate]:
            show.say(sentence)
        if not first.gate_passed:
            raise InputError(f"the first model did not pass its gate: {first.gate}")

        show.step("features by customer id", "a feature view, materialized online")
        rows, binding = _setup.features(ws, paths)
        from driftline.serving import deploy

        deploy(ws.context, _setup.MODEL, features=binding)
        show.say(
            f"{rows:,} credit files copied to the online store; the deployment looks them up "
            "by each application's customer_id"
        )

        show.step("personal data", "redaction before anything is written")
        show.say(
            "every value callers send passes the redactor before it is written: e-mail "
            "addresses, phone numbers, card numbers, IBANs and national ids in the notes become "
            "[EMAIL], [PHONE], ... (the [privacy] table of driftline.toml says per column)"
        )

        stage = Stage(ws.context, _setup.MODEL)
        period = _period(stage, fast)
        policy = _setup.policy(files, period=period, month_rows=len(world.months[0]))
        from driftline.loop import set_policy

        set_policy(ws.context, _setup.MODEL, policy)
        show.step(
            "a year of applications",
            f"served over HTTP at {stage.url}; one month every {period} s of the clock",
        )
        show.say(
            "labels arrive a month late (the first repayment is due then); the loop looks "
            "at the start of each month"
        )
        total = sum(len(m) for m in world.months)
        with show.progress(total) as narrator:
            year = replay(ws, stage, Clock(period), world, files=files, narrator=narrator)

        show.step("the dashboard", "/ui")
        dashboard, token = _dashboard(ws, stage)
        show.say(words.dashboard_line(dashboard, token))

        show.step("what happened")
        found = scan(root, world.planted)
        verified = ws.verify_audit()
        story = Story(
            root,
            stage.url,
            period,
            first,
            audit,
            dashboard,
            year,
            found,
            verified.ok,
            verified.sentence,
            dashboard_token=token,
        )
        story.seconds = time.monotonic() - began
        show.summary(story)
        if wait:
            show.say(f"the server keeps answering at {stage.url}; Ctrl-C to stop")
            _wait(stop)
        return story
    finally:
        if stage is not None:
            stage.stop()
        ws.close()


def _fresh(home: str | Path | None) -> Path:
    if home is None:
        return Path(tempfile.mkdtemp(prefix="driftline-demo-"))
    root = Path(home)
    if root.exists() and any(root.iterdir()):
        if not (root / "files" / "loans.toml").exists():
            raise InputError(
                f"--home {str(root)!r} is not empty and holds no earlier demo; the demo starts "
                "from a fresh workspace, so give a new or empty folder"
            )
        shutil.rmtree(root)  # an earlier demo's folder: told again from the start
    root.mkdir(parents=True, exist_ok=True)
    return root


def _period(stage: Stage, fast: bool) -> int:
    """Seconds per simulated month: room for a month's requests in half of it, on this machine."""
    probe = [
        {
            "customer_id": 100_001,
            "amount": 12.0,
            "income": 50.0,
            "age": 40.0,
            "term_months": 36,
            "purpose": "car",
            "note": "",
        }
    ] * REQUEST_ROWS
    began = time.monotonic()
    for _ in range(3):
        stage.predict(probe)
    per_request = (time.monotonic() - began) / 3
    requests = (300 if fast else 500) / REQUEST_ROWS
    # A month's requests take at most a third of its window, its labels and look the rest.
    return max(3 if fast else 4, math.ceil(3 * requests * per_request))


def _dashboard(ws: Workspace, stage: Stage) -> tuple[str, str]:
    """The dashboard's address, checked to answer, and an operator token to sign in with."""
    from driftline import auth

    response = stage.get("/ui/signin")
    if response.status_code != 200:
        raise UnavailableError(f"the dashboard did not answer: HTTP {response.status_code}")
    _, secret = auth.create(ws.context, role="operator", name="you", actor="demo")
    return f"{stage.url}/ui", secret


def _wait(stop: threading.Event | None) -> None:
    stop = stop or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
