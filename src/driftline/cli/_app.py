"""The root command, global options, ``init``, and the top that turns every error into one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

try:  # typer >= 0.22 vendors click privately; its exceptions are not click's
    from typer._click import exceptions as cli_errors
except ImportError:  # pragma: no cover - older typer
    from click import exceptions as cli_errors  # type: ignore[no-redef]

from driftline.cli._context import Context, console, echo_json, examples
from driftline.cli._errors import exit_code, report_bug, say_error
from driftline.errors import DriftlineError

__all__ = ["app", "build", "main"]

app: typer.Typer  # the whole command line, built on first use (see __getattr__ below)

# Every command after ``init``, in the order ``--help`` lists them: its name, the module
# under driftline.cli that holds it, the attribute, and the attribute of its examples
# (None for a group of subcommands). A run builds only the command it names, so it
# neither imports the other modules nor pays for Typer to build their parameters.
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "models": ("_models", "models_app", None),
    "alias": ("_models", "alias_app", None),
    "audit": ("_audit", "audit_app", None),
    "verify": ("_verify", "verify_command", "EXAMPLES"),
    "data": ("_data_audit", "data_app", None),  # `data audit` joins the group there
    "drift": ("_data", "drift_command", "DRIFT_EXAMPLES"),
    "monitor": ("_monitor", "monitor_app", None),
    "alerts": ("_monitor", "alerts_app", None),
    "log": ("_log", "log_app", None),
    "batch": ("_batch", "batch_app", None),
    "forget": ("_log", "forget_command", "FORGET_EXAMPLES"),
    "token": ("_serve", "token_app", None),
    "deploy": ("_serve", "deploy", "DEPLOY_EXAMPLES"),
    "undeploy": ("_serve", "undeploy", "UNDEPLOY_EXAMPLES"),
    "serve": ("_serve", "serve", "SERVE_EXAMPLES"),
    "evaluate": ("_evaluate", "evaluate_command", "EVALUATE_EXAMPLES"),
    "evaluations": ("_evaluate", "evaluations_app", None),
    "gate": ("_gate", "gate_command", "EXAMPLES"),
    "calibrate": ("_calibrate", "calibrate_command", "EXAMPLES"),
    "estimate": ("_estimate", "estimate_command", "EXAMPLES"),
    "doctor": ("_doctor", "doctor_command", "EXAMPLES"),
    "stream": ("_stream", "stream_app", None),
    "policy": ("_loop", "policy_app", None),
    "loop": ("_loop", "loop_app", None),
    "rollout": ("_loop", "rollout_app", None),
    "approve": ("_loop", "approve_command", "APPROVE_EXAMPLES"),
    "reject": ("_loop", "reject_command", "REJECT_EXAMPLES"),
    "rollback": ("_loop", "rollback_command", "ROLLBACK_EXAMPLES"),
    "export": ("_edge", "export_command", "EXPORT_EXAMPLES"),
    "ingest": ("_edge", "ingest_command", "INGEST_EXAMPLES"),
    "distill": ("_edge", "distill_command", "DISTILL_EXAMPLES"),
    "bench": ("_edge", "bench_command", "BENCH_EXAMPLES"),
    "features": ("_features", "features_app", None),
    "ui": ("_ui", "ui_command", "EXAMPLES"),
    "demo": ("_demo", "demo_command", "EXAMPLES"),
}


def _version(value: bool) -> None:
    if value:
        from driftline import __version__

        print(f"driftline {__version__}")
        raise typer.Exit()


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


def build(only: str | None = None) -> typer.Typer:
    """The command line with every command, or with ``init`` and the one named ``only``."""
    import importlib

    names = list(COMMANDS) if only is None else [only]
    epilog = None
    if only is None:
        from driftline.cli._models import REGISTER

        epilog = examples(
            "driftline init",
            REGISTER,
            "driftline gate churn --data labelled.csv --target churned",
            "driftline monitor run churn@champion --window 1h",
        )
    root = typer.Typer(
        name="driftline",
        help="Run machine-learning models in production and keep them honest.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        add_completion=False,
        epilog=epilog,
    )
    root.callback()(_root)
    root.command(epilog=examples("driftline init", "driftline --home team-workspace init"))(init)
    for name in names:
        module_name, attribute, examples_attribute = COMMANDS[name]
        module = importlib.import_module(f"driftline.cli.{module_name}")
        if examples_attribute is None:
            root.add_typer(getattr(module, attribute), name=name)
        else:
            epilog = getattr(module, examples_attribute)
            root.command(name, epilog=epilog)(getattr(module, attribute))
    return root


def _named(args: Sequence[str]) -> str | None:
    """The command a line names, when it is one of COMMANDS (else None: build them all)."""
    values = iter(args)
    for arg in values:
        if arg == "--home":
            next(values, None)
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole command line, built when first asked for (tests, the docs)."""
    if name == "app":
        whole = build()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        # Without standalone mode, click returns (not raises) the code of typer.Exit.
        result = build(_named(args))(args=args, prog_name="driftline", standalone_mode=False)
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


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
