"""The year replayed: each month's traffic over HTTP (one month as a batch job), its labels a
month later, what the monitor sees, and what the loop does about it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from driftline import loop, monitor
from driftline.demo._setup import INPUTS, MODEL, TARGET, new_model
from driftline.demo._stage import Clock, Stage, wait_for
from driftline.demo._world import PERIODS
from driftline.demo._world import Year as World
from driftline.io import read_frame

if TYPE_CHECKING:
    from driftline.workspace import Workspace

__all__ = ["BAD_MONTH", "BATCH_MONTH", "Month", "Narrator", "Replay", "replay"]

BATCH_MONTH = 3  # the month the branch offices send as a file, scored by a batch job
BAD_MONTH = 8  # the month an operator pushes a hurried candidate past the gate
REQUEST_ROWS = 10  # applications per HTTP request


@dataclasses.dataclass
class Month:
    """One simulated month: its traffic and what driftline saw and did."""

    number: int
    period: str  # stable, shift or concept
    start: dt.datetime  # its monitoring window, on the wall clock
    end: dt.datetime
    rows: int = 0
    via: str = "HTTP"
    served: dict[str, int] = dataclasses.field(default_factory=dict)  # "champion v2": rows
    drift_share: float | None = None
    drifted: list[str] = dataclasses.field(default_factory=list)
    estimated: float | None = None
    realized: float | None = None  # once its labels arrived, a month later
    events: list[str] = dataclasses.field(default_factory=list)  # what the loop did at its end
    alerts: list[str] = dataclasses.field(default_factory=list)  # rules opened on its window


class Narrator(Protocol):
    """What the replay tells as it goes (rendered by ``_show``)."""

    def progress(self, done: int, note: str) -> None: ...

    def month(self, month: Month) -> None: ...

    def event(self, text: str) -> None: ...


@dataclasses.dataclass
class Replay:
    """The replay's outcome: the months, and the loop's two decisive moves."""

    months: list[Month]
    promoted: int | None = None
    promoted_month: int | None = None
    rolled_back: int | None = None
    rolled_back_month: int | None = None
    bad_candidate: int | None = None
    rollback_reason: str = ""


def replay(
    ws: Workspace,
    stage: Stage,
    clock: Clock,
    world: World,
    *,
    files: Path,
    narrator: Narrator,
) -> Replay:
    """Send the year through the server, month by month; see the module docstring."""
    reference = read_frame(files / "reference.parquet")
    year = Replay([])
    owed: list[tuple[str, int]] = []  # labels that arrive next month
    sent = 0
    for frame in world.months:
        number = int(frame["month"].iloc[0])
        start = clock.next_start()
        month = Month(
            number,
            PERIODS[number],
            dt.datetime.fromtimestamp(start, dt.UTC),
            dt.datetime.fromtimestamp(start + clock.period, dt.UTC),
        )
        if year.months:  # last month's labels arrive, then the loop looks
            stage.labels(owed)
            before = year.promoted
            _look(ws, stage, year, year.months[-1], narrator)
            _realized(ws, clock, reference, year.months[-1])
            if year.promoted != before and year.promoted is not None:
                reference = _follow(ws, files, year.promoted, narrator)
        if number == BAD_MONTH:
            _bad_candidate(ws, stage, year, world, narrator)
        _await_routing(ws, stage)
        if time.time() > start + clock.period / 2:  # the look took long: a window of its own
            start = clock.next_start()
            month.start = dt.datetime.fromtimestamp(start, dt.UTC)
            month.end = dt.datetime.fromtimestamp(start + clock.period, dt.UTC)
        clock.until(start + clock.period / 2)
        if number == BATCH_MONTH:
            owed = _batch(ws, frame, files)
            month.via, month.served = "batch job", {f"batch v{_champion(ws)}": len(frame)}
            sent += len(frame)
            narrator.progress(sent, f"month {number}: a batch job scored {len(frame)} rows")
        else:
            owed = []
            for lo in range(0, len(frame), REQUEST_ROWS):
                part = frame.iloc[lo : lo + REQUEST_ROWS]
                # Keyed by the application: the canary's share is the same on every run.
                body = stage.predict(_requests(part), key=str(part["application_id"].iloc[0]))
                key = f"{body['route']} v{body['version']}"
                month.served[key] = month.served.get(key, 0) + len(part)
                owed += list(zip(body["request_ids"], part[TARGET].astype(int), strict=True))
                sent += len(part)
                narrator.progress(sent, f"month {number}: {month.rows + lo + len(part)} served")
        month.rows = len(frame)
        _watch(ws, clock, reference, month)
        year.months.append(month)
        narrator.month(month)
    # The last month's labels arrive too, and the monitor sees them.
    stage.labels(owed)
    _realized(ws, clock, reference, year.months[-1])
    return year


def _requests(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Applications as a client sends them: the customer id, and what the form asked."""
    asked = ["customer_id", "amount", "income", "age", "term_months", "purpose", "note"]
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in part[asked].to_dict("records")
    ]


def _champion(ws: Workspace) -> int:
    return ws.get(f"{MODEL}@champion").version


def _batch(ws: Workspace, frame: pd.DataFrame, files: Path) -> list[tuple[str, int]]:
    """The month's file scored by a batch job, credit files joined as they were then."""
    entities = frame[["customer_id"]].assign(at=pd.Timestamp(dt.datetime.now(dt.UTC)))
    joined = ws.historical(entities, ["credit:*"], timestamp="at").to_pandas()
    rows = frame.drop(columns=["credit_score", "tenure_years", "prior_defaults"]).merge(
        joined[["customer_id", "credit_score", "tenure_years", "prior_defaults"]],
        on="customer_id",
    )
    path = files / "inbox" / "applications.parquet"
    path.parent.mkdir(exist_ok=True)
    rows[["application_id", *INPUTS]].to_parquet(path)
    done = ws.batch_score(
        f"{MODEL}@champion",
        input=path,
        output=files / "scores",
        log=True,
        key="application_id",
    )
    # A batch job's request ids: batch-<the input's fingerprint>-<key> (see the README).
    run_id = f"batch-{done.input_fingerprint[7:19]}"
    return [
        (f"{run_id}-{a}", int(y)) for a, y in zip(rows["application_id"], rows[TARGET], strict=True)
    ]


def _watch(ws: Workspace, clock: Clock, reference: pd.DataFrame, month: Month) -> None:
    """What the monitor sees in the month just served, before any of its labels."""
    seen = monitor.run(
        ws.context,
        f"{MODEL}@champion",
        window=clock.window,
        since=month.start,
        until=month.end,
        rules=(),
        reference=reference,
        target=TARGET,
    )
    for w in seen.windows:
        if w.start == month.start and w.evaluated:
            month.drift_share = w.metrics.get("drift_share")
            month.drifted = list(w.drifted_columns)
            month.estimated = _accuracy(w.metrics.get("estimated"))


def _realized(ws: Workspace, clock: Clock, reference: pd.DataFrame, month: Month) -> None:
    """The month's accuracy once its labels arrived, from its window of the log."""
    for ref in {f"{MODEL}@champion", *_versions(month)}:
        seen = monitor.run(
            ws.context,
            ref,
            window=clock.window,
            since=month.start,
            until=month.end,
            rules=(),
            reference=reference,
            target=TARGET,
        )
        for w in seen.windows:
            value = _accuracy(w.metrics.get("realized"))
            if w.start == month.start and value is not None and w.rows * 2 >= month.rows:
                month.realized = value


def _versions(month: Month) -> set[str]:
    """The version that answered most of the month (the champion may have changed since)."""
    if not month.served:
        return set()
    top = max(month.served, key=lambda k: month.served[k])
    return {f"{MODEL}:{top.rsplit('v', 1)[1]}"}


def _accuracy(table: Any) -> float | None:
    if not isinstance(table, dict):
        return None
    entry = table.get("accuracy")
    value = entry.get("value") if isinstance(entry, dict) else entry
    return None if value is None else float(value)


def _look(ws: Workspace, stage: Stage, year: Replay, month: Month, narrator: Narrator) -> None:
    """One tick of the loop: it judges last month's window and moves its rollout."""
    report = loop.tick(ws.context, actor="loop")
    for alert in monitor.alerts(ws.context, model=MODEL):
        if alert.opened_at == month.start:
            month.alerts.append(alert.rule)
    for tick in report.models:
        for note in tick.notes:
            # "retraining X after the alert 'R': <the alert's sentence, said just before>"
            narrator.event(note.split(": ", 1)[0] if note.startswith("retraining ") else note)
        run = tick.run
        if run is None:
            continue
        month.events.append(run.state)
        if run.state == "promoted" and year.promoted is None:
            year.promoted, year.promoted_month = run.candidate, month.number + 1
        if run.state == "rolled_back" and year.rolled_back is None:
            year.rolled_back, year.rolled_back_month = run.candidate, month.number + 1
            year.rollback_reason = run.reason
        if run.reason:
            narrator.event(run.reason)


def _follow(ws: Workspace, files: Path, version: int, narrator: Narrator) -> pd.DataFrame:
    """Point monitoring at the new champion's own held-out rows, as its owner would.

    Estimated accuracy reads a model's confidence against labelled rows it
    was not trained on; the first model's rows say little about a model
    trained on another kind of applicant.
    """
    from driftline.loop import set_policy

    info = ws.get(f"{MODEL}:{version}").lineage["evaluation_data"]
    blob = ws.artifacts.get_blob(
        info["key"], info["sha256"], what="the loop's held-out rows", remedy="run the demo again"
    )
    path = files / f"reference-v{version}.parquet"
    path.write_bytes(blob)
    policy = files / f"{MODEL}.toml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        text.replace('reference = "reference.parquet"', f'reference = "{path.name}"'),
        encoding="utf-8",
    )
    set_policy(ws.context, MODEL, policy, actor="data-scientist")
    narrator.event(
        f"a data scientist points monitoring at version {version}'s own "
        f"{info['rows']} held-out rows, so its accuracy is estimated against its own kind"
    )
    return read_frame(path)


def _bad_candidate(
    ws: Workspace, stage: Stage, year: Replay, world: World, narrator: Narrator
) -> None:
    """An operator in a hurry: a model trained on a file whose labels were coded the other way
    round (1 meant repaid), pushed past the gate."""
    recent = world.months[BAD_MONTH - 2]
    inverted = 1 - recent[TARGET]
    hurried = new_model().fit(recent[INPUTS], inverted)
    mv = ws.register(
        MODEL,
        hurried,
        train=recent[INPUTS].assign(**{TARGET: inverted}),
        target=TARGET,
        description="Retrained by hand on a file whose labels were coded the other way round.",
        actor="operator",
    )
    run = loop.start(ws.context, MODEL, mv.version, skip_gate=True, actor="operator")
    run = loop.advance(ws.context, run, loop.load_policy(ws.context, MODEL))
    year.bad_candidate = mv.version
    narrator.event(
        f"an operator pushes {mv.ref} past the gate (skip_gate); the loop gives it "
        f"{run.percent:g}% of traffic as a canary"
    )


def _await_routing(ws: Workspace, stage: Stage) -> None:
    """Wait until the server routes as the deployment now says (it reloads on its own)."""
    from driftline.serving import list_deployments

    def applied() -> bool:
        specs = [d for d in list_deployments(ws.context) if d.model == MODEL]
        if not specs:
            return False
        spec = specs[0]
        percent, versions = stage.routing()
        wanted = {route: ws.get(ref).version for route, ref in spec.refs().items()}
        return percent == spec.canary_percent and all(
            versions.get(r) == v for r, v in wanted.items()
        )

    wait_for(applied, timeout=30, what="the server to route as the deployment says")
