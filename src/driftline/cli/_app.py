"""The root command, global options, ``init``, and the top that turns every error into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import typer

try:  # typer >= 0.22 vendors click privately; its exceptions are not click's
    from typer._click import exceptions as cli_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as cli_errors  # type: ignore[no-redef]

from driftline.cli import (
    _audit,
    _batch,
    _calibrate,
    _data,
    _data_audit,
    _demo,
    _doctor,
    _edge,
    _estimate,
    _evaluate,
    _features,
    _gate,
    _log,
    _loop,
    _models,
    _monitor,
    _serve,
    _stream,
    _ui,
    _verify,
)
from driftline.cli._context import Context, console, echo_json, examples
from driftline.cli._errors import exit_code, report_bug, say_error
from driftline.errors import DriftlineError

__all__ = ["app", "main"]

app = typer.Typer(
    name="driftline",
    help="Run machine-learning models in production and keep them honest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    epilog=examples(
        "driftline init",
        _models.REGISTER,
        "driftline gate churn --data labelled.csv --target churned",
        "driftline monitor run churn@champion --window 1h",
    ),
)
app.add_typer(_models.models_app, name="models")
app.add_typer(_models.alias_app, name="alias")
app.add_typer(_audit.audit_app, name="audit")
app.command("verify", epilog=_verify.EXAMPLES)(_verify.verify_command)
app.add_typer(_data.data_app, name="data")
_data.data_app.command("audit", epilog=_data_audit.EXAMPLES)(_data_audit.audit_command)
app.command("drift", epilog=_data.DRIFT_EXAMPLES)(_data.drift_command)
app.add_typer(_monitor.monitor_app, name="monitor")
app.add_typer(_monitor.alerts_app, name="alerts")
app.add_typer(_log.log_app, name="log")
app.add_typer(_batch.batch_app, name="batch")
app.command("forget", epilog=_log.FORGET_EXAMPLES)(_log.forget_command)
app.add_typer(_serve.token_app, name="token")
app.command("deploy", epilog=_serve.DEPLOY_EXAMPLES)(_serve.deploy)
app.command("undeploy", epilog=_serve.UNDEPLOY_EXAMPLES)(_serve.undeploy)
app.command("serve", epilog=_serve.SERVE_EXAMPLES)(_serve.serve)
app.command("evaluate", epilog=_evaluate.EVALUATE_EXAMPLES)(_evaluate.evaluate_command)
app.add_typer(_evaluate.evaluations_app, name="evaluations")
app.command("gate", epilog=_gate.EXAMPLES)(_gate.gate_command)
app.command("calibrate", epilog=_calibrate.EXAMPLES)(_calibrate.calibrate_command)
app.command("estimate", epilog=_estimate.EXAMPLES)(_estimate.estimate_command)
app.command("doctor", epilog=_doctor.EXAMPLES)(_doctor.doctor_command)
app.add_typer(_stream.stream_app, name="stream")
app.add_typer(_loop.policy_app, name="policy")
app.add_typer(_loop.loop_app, name="loop")
app.add_typer(_loop.rollout_app, name="rollout")
app.command("approve", epilog=_loop.APPROVE_EXAMPLES)(_loop.approve_command)
app.command("reject", epilog=_loop.REJECT_EXAMPLES)(_loop.reject_command)
app.command("rollback", epilog=_loop.ROLLBACK_EXAMPLES)(_loop.rollback_command)
app.command("export", epilog=_edge.EXPORT_EXAMPLES)(_edge.export_command)
app.command("ingest", epilog=_edge.INGEST_EXAMPLES)(_edge.ingest_command)
app.command("distill", epilog=_edge.DISTILL_EXAMPLES)(_edge.distill_command)
app.command("bench", epilog=_edge.BENCH_EXAMPLES)(_edge.bench_command)
app.add_typer(_features.features_app, name="features")
app.command("ui", epilog=_ui.EXAMPLES)(_ui.ui_command)
app.command("demo", epilog=_demo.EXAMPLES)(_demo.demo_command)


def _version(value: bool) -> None:
    if value:
        from driftline import __version__

        print(f"driftline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", help="Workspace folder (default: $DRIFTLINE_HOME or ./.driftline)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_version,
    ),
) -> None:
    ctx.obj = Context(home=home, debug=debug)


@app.command(epilog=examples("driftline init", "driftline --home team-workspace init"))
def init(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", help="Where to create the workspace."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Create a workspace (default ./.driftline, or DRIFTLINE_HOME).

    First checks that the metadata database answers (a connection and the
    schema migration) and that the artifact store takes a small probe and
    gives it back; says which failed and how to fix it. Exit code: 0 ready,
    1 a store failed, 2 a setting is wrong.
    """
    from driftline.settings import Settings
    from driftline.store import check_stores, mask_url
    from driftline.workspace import Workspace

    obj: Context = ctx.obj
    where = home or obj.home
    health = check_stores(Settings.load(where))
    if not health.ok:
        if as_json:
            echo_json(health.to_dict())
        for check in health.failed:
            say_error(check.message)
        raise typer.Exit(max(exit_code(c.error) if c.error else 1 for c in health.failed))
    with Workspace.init(where) as ws:
        info = {
            "home": str(ws.home),
            "database": ws.db.dialect,
            "artifacts": mask_url(ws.settings.artifacts_url),
        }
    if as_json:
        echo_json(info)
    else:
        console().print(f"workspace ready at [bold]{info['home']}[/] ({info['database']})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        plain = _plain_drift(args)
        if plain is not None:
            plain()
            return 0
        # Without standalone mode, click returns (not raises) the code of typer.Exit.
        result = app(args=args, prog_name="driftline", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("driftline: aborted", file=sys.stderr)
        return 130
    except cli_errors.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "driftline --help")
        return 0
    except cli_errors.UsageError as exc:
        if debug:
            raise
        command = exc.ctx.command_path if exc.ctx else "driftline"
        message = exc.format_message().rstrip(".")
        print(f"driftline: error: {message} (see: {command} --help)", file=sys.stderr)
        return 2
    except cli_errors.ClickException as exc:
        if debug:
            raise
        print(f"driftline: error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except DriftlineError as exc:
        if debug:
            raise
        say_error(str(exc))
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debug:
            raise
        report_bug(exc, args)
        return 1
    return result if isinstance(result, int) else 0


def _plain_drift(args: list[str]) -> Callable[[], None] | None:
    """``driftline drift REF CUR [--json]`` as a call of its command; None for any other line.

    Typer builds every command's parameters (each through a pydantic type
    adapter, pydantic imported for it) on every run: about a fifth of the
    0.6 s the comparison of two files may take from start to report. The
    plain form of the command needs none of it; any other argument (an
    option, ``--help``, a path starting with a dash) goes through Typer.
    """
    if not args or args[0] != "drift":
        return None
    paths = [arg for arg in args[1:] if arg != "--json"]
    if len(paths) != 2 or any(path.startswith("-") for path in paths):
        return None
    ref, cur = (Path(path) for path in paths)
    as_json = "--json" in args

    def run() -> None:
        # The command reads the click context only for --model and --html.
        _data.drift_command(cast(typer.Context, None), ref, cur, None, None, as_json, None)

    return run


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
