"""``driftline policy``, ``loop``, ``rollout``, ``approve``, ``reject`` and ``rollback``."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import typer

from driftline.cli._context import Context, console, echo_json, examples

__all__ = [
    "APPROVE_EXAMPLES",
    "REJECT_EXAMPLES",
    "ROLLBACK_EXAMPLES",
    "approve_command",
    "loop_app",
    "policy_app",
    "reject_command",
    "rollback_command",
    "rollout_app",
]

CHECK = "driftline policy check churn.toml"
policy_app = typer.Typer(
    help="Each model's loop policy: monitoring, retraining, gate, rollout, rollback.",
    no_args_is_help=True,
    epilog=examples(CHECK, "driftline policy set churn churn.toml"),
)
TICK = "driftline loop tick"
loop_app = typer.Typer(
    help="Close the loop: alert, retrain, gate, canary, promote or roll back.",
    no_args_is_help=True,
    epilog=examples(TICK, "driftline loop run --every 30s"),
)
START = "driftline rollout start churn 4"
rollout_app = typer.Typer(
    help="Roll a version out by hand, or hold, resume or stop a rollout.",
    no_args_is_help=True,
    epilog=examples(START, "driftline rollout status churn"),
)
APPROVE_EXAMPLES = examples("driftline approve churn 4 --token dl_... --note 'checked the card'")
REJECT_EXAMPLES = examples("driftline reject churn 4 --token dl_... --note 'fails on new stores'")
ROLLBACK_EXAMPLES = examples("driftline rollback churn")


def _say(lines: list[str]) -> None:
    for line in lines:
        console().print(line, soft_wrap=True)


# -- policy -------------------------------------------------------------------------------


@policy_app.command("check", epilog=examples(CHECK, "driftline policy check churn.toml --json"))
def policy_check(
    file: Path = typer.Argument(..., help="The policy TOML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Check a policy file: every mistake is named with its key and line (exit 2)."""
    from driftline.loop import LoopPolicy

    policy = LoopPolicy.load(file)
    if as_json:
        echo_json(policy.summary())
        return
    steps = ", ".join(f"{s.percent:g}%" for s in policy.rollout.steps)
    rules = ", ".join(r.check for r in policy.rollback)
    retrain = (
        f"retrains with {policy.retrain.hook or policy.retrain.command}"
        if policy.retrain
        else "does not retrain"
    )
    console().print(
        f"{file.name} is a valid policy: it {retrain}, rolls out in steps of {steps}, rolls "
        f"back on {rules}, and approval is {policy.approval}.",
        soft_wrap=True,
    )


@policy_app.command("set", epilog=examples("driftline policy set churn churn.toml"))
def policy_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
    file: Path = typer.Argument(..., help="The policy TOML file."),
) -> None:
    """Check a policy file and make it the model's (the loop reads it on every tick)."""
    from driftline.loop import set_policy

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        policy = set_policy(ws.context, name, file)
    console().print(f"{name} now follows {file.name} (sha256 {policy.sha256[:12]})")


@policy_app.command("show", epilog=examples("driftline policy show churn"))
def policy_show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
) -> None:
    """Print the policy the loop follows for a model."""
    from driftline.loop import policy_path

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        path = policy_path(ws.context, name)
        if not path.is_file():
            console().print(f"{name} has no policy: the loop uses the defaults for its rollouts")
            return
        print(path.read_text(encoding="utf-8"), end="")


# -- the loop ----------------------------------------------------------------------------


@loop_app.command("tick", epilog=examples(TICK, "driftline loop tick --json"))
def loop_tick(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """One pass of the loop over every model with a policy (safe from cron)."""
    from driftline.loop import tick

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        report = tick(ws.context)
    if as_json:
        echo_json(report.to_dict())
    else:
        _say(report.lines)


@loop_app.command("run", epilog=examples("driftline loop run", "driftline loop run --every 30s"))
def loop_run(
    ctx: typer.Context,
    every: str | None = typer.Option(
        None, "--every", help="Time between ticks (default: the policies' rollout interval)."
    ),
    ticks: int | None = typer.Option(None, "--ticks", min=1, help="Stop after this many ticks."),
) -> None:
    """Tick until stopped (Ctrl-C), printing what each tick did."""
    from driftline.loop import run
    from driftline.monitor import parse_period

    period = parse_period(every) if every else None
    obj: Context = ctx.obj
    stop = threading.Event()
    with obj.workspace() as ws:
        try:
            run(ws.context, every=period, stop=stop, ticks=ticks, on_tick=_print_tick)
        except KeyboardInterrupt:
            stop.set()


def _print_tick(report: Any) -> None:
    stamp = report.at.astimezone(dt.UTC).strftime("%H:%M:%S")
    _say([f"{stamp} {line}" for line in report.lines])


# -- rollouts -----------------------------------------------------------------------------


def _actor(ws: Any, token: str | None) -> str | None:
    """The person a token names, after checking it may pull the loop's levers."""
    if token is None:
        return None
    from driftline import auth
    from driftline.errors import ForbiddenError

    found = auth.verify(ws.context, token)
    if not auth.allows(found.role, "operator"):
        raise ForbiddenError(
            f"the rollout levers need the 'operator' role; token {found.id} has {found.role!r}"
        )
    return found.name


TOKEN_HELP = "An operator's API token: the audit names its holder (default: DRIFTLINE_ACTOR)."


@rollout_app.command(
    "start",
    epilog=examples(START, "driftline rollout start churn 4 --data holdout.csv --target churned"),
)
def rollout_start(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
    version: int = typer.Argument(..., min=1, help="The version to roll out."),
    data: Path | None = typer.Option(None, "--data", help="Labelled rows for the gate."),
    target: str | None = typer.Option(None, "--target", help="The label column of --data."),
    skip_gate: bool = typer.Option(False, "--skip-gate", help="Go to the canary without the gate."),
    token: str | None = typer.Option(None, "--token", help=TOKEN_HELP),
) -> None:
    """Roll VERSION out against the serving champion: gate, approval, canary steps."""
    from driftline import loop

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        run = loop.start(
            ws.context,
            name,
            version,
            data=data,
            target=target,
            skip_gate=skip_gate,
            actor=_actor(ws, token),
        )
        run = loop.advance(ws.context, run, loop.load_policy(ws.context, name))
    console().print(run.sentence, soft_wrap=True)


def _lever(verb: str) -> Any:
    def command(
        ctx: typer.Context,
        name: str = typer.Argument(..., help="The model's name."),
        token: str | None = typer.Option(None, "--token", help=TOKEN_HELP),
    ) -> None:
        from driftline import loop

        obj: Context = ctx.obj
        with obj.workspace() as ws:
            run = getattr(loop, verb)(ws.context, name, actor=_actor(ws, token))
        console().print(run.sentence, soft_wrap=True)

    return command


rollout_app.command(
    "pause",
    epilog=examples("driftline rollout pause churn"),
    help="Hold a rollout at its step (a harmful canary is still rolled back).",
)(_lever("pause"))
rollout_app.command(
    "resume", epilog=examples("driftline rollout resume churn"), help="Let a paused rollout go on."
)(_lever("resume"))
rollout_app.command(
    "abort",
    epilog=examples("driftline rollout abort churn"),
    help="Stop a rollout: all traffic goes back to the champion.",
)(_lever("abort"))


@rollout_app.command(
    "status",
    epilog=examples("driftline rollout status churn", "driftline rollout status churn --json"),
)
def rollout_status(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Where the model's rollout stands, and what its last looks found."""
    from driftline import loop

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        found = loop.status(ws.context, name)
    if as_json:
        echo_json(found)
        return
    run = found["run"]
    if run is None:
        console().print(f"{name} has had no rollout yet")
        return
    lines = [run["sentence"]]
    last = found["analyses"][-1:] if found["analyses"] else []
    for look in last:
        lines += [f"  {c['sentence']}" for c in look["summary"]["checks"]]
    _say(lines)
    if last and last[0]["summary"].get("sides"):
        console().print(_sides_table(last[0]["summary"]["sides"]))


_SHOWN = {
    "requests": "requests",
    "error_rate": "failed",
    "latency_p50": "latency p50 (ms)",
    "latency_p99": "latency p99 (ms)",
    "accuracy": "right, where labelled",
    "estimated_accuracy": "expected to be right",
}


def _sides_table(sides: dict[str, Any]) -> Any:
    """Each version's figures in the step, side by side."""
    from rich.table import Table

    from driftline.words import numbers, percent

    champion, canary = sides["champion"], sides["canary"]
    table = Table(
        "in this step",
        f"champion v{champion['version']}",
        f"canary v{canary['version']}",
        show_edge=False,
    )
    keys = [k for k in _SHOWN if k in champion or k in canary]
    keys += sorted(k for k in {**champion, **canary} if k.startswith("outcome:"))
    for key in keys:
        a, b = champion.get(key), canary.get(key)
        if key in ("error_rate", "accuracy", "estimated_accuracy"):
            shown = tuple("-" if v is None else percent(v) for v in (a, b))
        else:
            shown = numbers(a, b)
        table.add_row(_SHOWN.get(key, key.replace("outcome:", "outcome ")), *shown)
    return table


def rollback_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The model's name."),
    token: str | None = typer.Option(None, "--token", help=TOKEN_HELP),
) -> None:
    """Back to the champion: stop the canary, or undo the loop's last promotion."""
    from driftline import loop

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        run = loop.rollback(ws.context, name, actor=_actor(ws, token))
    console().print(run.sentence, soft_wrap=True)


def _decide(verb: str) -> Any:
    def command(
        ctx: typer.Context,
        name: str = typer.Argument(..., help="The model's name."),
        version: int = typer.Argument(..., min=1, help="The version waiting for approval."),
        token: str = typer.Option(..., "--token", help="An operator's API token."),
        note: str = typer.Option("", "--note", help="Why, for the record."),
    ) -> None:
        from driftline import loop

        obj: Context = ctx.obj
        with obj.workspace() as ws:
            run = getattr(loop, verb)(ws.context, name, version, token=token, note=note)
            if verb == "approve":
                run = loop.advance(ws.context, run, loop.load_policy(ws.context, name))
        console().print(run.sentence, soft_wrap=True)

    return command


approve_command = _decide("approve")
approve_command.__doc__ = "Let a version waiting for approval go on to its canary (operator role)."
reject_command = _decide("reject")
reject_command.__doc__ = "Stop a version waiting for approval; the champion keeps serving."
