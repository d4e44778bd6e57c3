"""``driftline drift`` and ``driftline data check``: compare a batch with the training data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from driftline.cli._context import Context, console, echo_json, examples, write_output
from driftline.errors import DriftlineError, InputError

__all__ = ["data_app", "drift_command"]

CHECK = "driftline data check train.csv today.csv --target churned"
data_app = typer.Typer(
    help="Check data before a model scores it.", no_args_is_help=True, epilog=examples(CHECK)
)
DRIFT_EXAMPLES = examples(
    "driftline drift train.csv today.csv",
    "driftline drift --model churn@champion today.csv --html drift.html",
)

REF_ARGUMENT = typer.Argument(
    None, help="Reference (training) data, CSV or Parquet; optional with --model."
)
CUR_ARGUMENT = typer.Argument(None, help="Current data to compare, CSV or Parquet.")
MODEL_OPTION = typer.Option(
    None, "--model", help="NAME@ALIAS or NAME:VERSION: use its signature and stored reference."
)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")
HTML_OPTION = typer.Option(None, "--html", help="Also write a self-contained HTML report here.")


def _paths(ref: Path | None, cur: Path | None, model: str | None) -> tuple[Path | None, Path]:
    """REF and CUR; with --model a single path is CUR and the model's reference is used."""
    if cur is None and ref is not None and model is not None:
        return None, ref
    if cur is None or ref is None:
        raise InputError(
            "give two files, REF and CUR (e.g. train.csv today.csv), or --model NAME@ALIAS "
            "and CUR to compare with the data the model was registered with"
        )
    return ref, cur


@contextmanager
def _reading(path: Path | None) -> Iterator[None]:
    """Turn a reader's failure into one line that names the file."""
    import pyarrow as pa

    try:
        yield
    except DriftlineError:
        raise  # already says what failed: a StorageError is an OSError but not the file's fault
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = f"{str(path)!r}" if path is not None else "the data"
        raise InputError(
            f"cannot read {where}: {first}; give a CSV or Parquet file whose columns hold the "
            f"same kinds of values as the reference ('driftline data check' names wrong ones)"
        ) from exc


def _write_html(report: Any, out: Path, quiet: bool, **profiles: Any) -> None:
    from driftline.report import render_html

    page = render_html(report, redactor=report_redactor(), **profiles)
    write_output(out, page, "HTML report", quiet)


def report_redactor() -> Any:
    """The redactor of the workspace the command runs in (``--home`` or the default)."""
    import click

    from driftline.privacy import Redactor
    from driftline.settings import Settings

    current = click.get_current_context(silent=True)
    home = getattr(current.find_root().obj, "home", None) if current is not None else None
    return Redactor.from_settings(Settings.load(home))


def _model_reference(ctx: typer.Context, model: str, need_profile: bool) -> tuple[Any, Any]:
    """A version's signature and, when REF is omitted, its stored reference profile."""
    signature, profile, _ = _model_parts(ctx, model, need_profile, load=False)
    return signature, profile


def _model_parts(
    ctx: typer.Context, model: str, need_profile: bool, *, load: bool
) -> tuple[Any, Any, Any]:
    """Signature, stored profile (when REF is omitted) and, with ``load``, the model itself."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        version = ws.get(model)
        profile = ws.load_profile(version) if need_profile else None
        loaded = ws.load_model(version) if load else None
    return version.signature, profile, loaded


def drift_command(
    ctx: typer.Context,
    ref: Path | None = REF_ARGUMENT,
    cur: Path | None = CUR_ARGUMENT,
    model: str | None = MODEL_OPTION,
    columns: str | None = typer.Option(
        None, "--columns", help="Comma-separated columns to test (default: all, or the model's)."
    ),
    as_json: bool = JSON_OPTION,
    html: Path | None = HTML_OPTION,
) -> None:
    """Did the data drift? Compare CUR with REF column by column.

    A column drifts when its change is beyond chance and larger than a floor
    that makes it matter. Exit code: 0 no drift, 1 drift detected, 2 bad input
    (a missing or unreadable file, an unknown column or model).
    """
    from driftline.drift import drift
    from driftline.stats import Profile

    ref_path, cur_path = _paths(ref, cur, model)
    names = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    reference = None
    loaded = None
    if model is not None:
        # The model joins in: a shift in what it predicts is drift too (black-box shift detection).
        signature, reference, loaded = _model_parts(ctx, model, ref_path is None, load=True)
        if names is None and signature is not None:
            names = signature.names
    if reference is None:
        with _reading(ref_path):
            reference = Profile.build(ref_path, columns=names)
    with _reading(cur_path):
        current = Profile.build(cur_path, reference=reference, columns=names)
    report = drift(reference, current, columns=names, model=loaded)
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report)
    if html is not None:
        _write_html(report, html, as_json, reference=reference, current=current)
    if report.drift_detected:
        raise typer.Exit(1)


@data_app.command(
    "check",
    epilog=examples(
        CHECK, "driftline data check --model churn@champion today.csv --html check.html"
    ),
)
def check(
    ctx: typer.Context,
    ref: Path | None = REF_ARGUMENT,
    cur: Path | None = CUR_ARGUMENT,
    target: str | None = typer.Option(
        None,
        "--target",
        help="Label column: check class balance and leakage (default with --model and no "
        "REF: the model's label).",
    ),
    model: str | None = MODEL_OPTION,
    as_json: bool = JSON_OPTION,
    html: Path | None = HTML_OPTION,
) -> None:
    """Is CUR fit to be scored by a model trained on REF? Report data-quality problems.

    Checks missing and wrongly typed columns, values outside the training
    range, unseen categories, rises in missing values, duplicate rows,
    constant columns, label balance and leakage (with --target), and whether
    the training data represents the batch. Exit code: 0 passed (warnings
    allowed), 1 critical problems found, 2 bad input (a missing or unreadable
    file, an unknown column or model).
    """
    from driftline.quality import check_quality

    ref_path, cur_path = _paths(ref, cur, model)
    signature = profile = None
    if model is not None:
        signature, profile = _model_reference(ctx, model, need_profile=ref_path is None)
        if target is None and ref_path is None and signature is not None and signature.output:
            target = signature.output.target
    with _reading(None):
        report = check_quality(
            ref_path, cur_path, signature=signature, target=target, profile=profile
        )
    if as_json:
        echo_json(report.to_dict())
    else:
        console().print(report)
    if html is not None:
        _write_html(report, html, as_json)
    if not report.passed:
        raise typer.Exit(1)
