"""The root command, global options, and the one place errors become exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

try:  # typer >= 0.22 vendors click privately; its exceptions are not click's
    from typer._click import exceptions as cli_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as cli_errors  # type: ignore[no-redef]

from driftline.cli import (
    _audit,
    _calibrate,
    _data,
    _estimate,
    _evaluate,
    _gate,
    _log,
    _models,
    _monitor,
    _serve,
)
from driftline.cli._context import Context, console, echo_json
from driftline.errors import (
    DriftlineError,
    InputError,
    IntegrityError,
    MissingDependencyError,
    NotFoundError,
    StorageError,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="driftline",
    help="Run machine-learning models in production and keep them honest.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(_models.models_app, name="models")
app.add_typer(_models.alias_app, name="alias")
app.add_typer(_audit.audit_app, name="audit")
app.add_typer(_data.data_app, name="data")
app.command("drift")(_data.drift_command)
app.add_typer(_monitor.monitor_app, name="monitor")
app.add_typer(_monitor.alerts_app, name="alerts")
app.add_typer(_log.log_app, name="log")
app.add_typer(_serve.token_app, name="token")
app.command("deploy")(_serve.deploy)
app.command("undeploy")(_serve.undeploy)
app.command("serve")(_serve.serve)
app.command("evaluate")(_evaluate.evaluate_command)
app.add_typer(_evaluate.evaluations_app, name="evaluations")
app.command("gate")(_gate.gate_command)
app.command("calibrate")(_calibrate.calibrate_command)
app.command("estimate")(_estimate.estimate_command)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", help="Workspace folder (default: $DRIFTLINE_HOME or ./.driftline)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    ctx.obj = Context(home=home, debug=debug)


@app.command()
def init(
    ctx: typer.Context,
    home: Path | None = typer.Option(None, "--home", help="Where to create the workspace."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Create a workspace (default ./.driftline, or DRIFTLINE_HOME)."""
    from driftline.workspace import Workspace

    obj: Context = ctx.obj
    with Workspace.init(home or obj.home) as ws:
        info = {
            "home": str(ws.home),
            "database": ws.db.dialect,
            "artifacts": ws.settings.artifacts_url,
        }
    if as_json:
        echo_json(info)
    else:
        console().print(f"workspace ready at [bold]{info['home']}[/] ({info['database']})")


# Exit codes, decided here and nowhere else: 2 when the caller asked for
# something wrong (fix the command), 1 when the work itself failed.
def exit_code(exc: DriftlineError) -> int:
    if isinstance(exc, InputError | NotFoundError):
        return 2
    if isinstance(exc, IntegrityError | StorageError | MissingDependencyError):
        return 1
    return 2 if isinstance(exc, ValueError) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
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
        print(f"driftline: error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
