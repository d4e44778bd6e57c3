"""``driftline models ...`` and ``driftline alias ...``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples, write_output
from driftline.errors import InputError

REGISTER = (
    "driftline models register churn --artifact model.skops --train train.csv --target churned "
    "--alias champion"
)
models_app = typer.Typer(
    help="Register and inspect models.",
    no_args_is_help=True,
    epilog=examples(
        REGISTER,
        "driftline models list",
        "driftline models show churn@champion",
        "driftline models card churn@champion --out README.md",
    ),
)
alias_app = typer.Typer(
    help="Point aliases such as champion at versions.",
    no_args_is_help=True,
    epilog=examples("driftline alias set churn 3 champion"),
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts.")


@models_app.command(
    "list", epilog=examples("driftline models list", "driftline models list --json")
)
def list_models(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List registered models with their newest version and aliases."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        models = ws.models()
    if as_json:
        echo_json([m.to_dict() for m in models])
        return
    if not models:
        console().print("no models registered yet: driftline models register NAME --artifact FILE")
        return
    table = Table("model", "versions", "latest", "aliases", "updated", "description")
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in m.aliases.items()) or "-"
        table.add_row(
            m.name,
            str(m.versions),
            str(m.latest),
            aliases,
            m.updated_at.strftime("%Y-%m-%d %H:%M"),
            m.description[:60],
        )
    console().print(table)


@models_app.command(
    "show",
    epilog=examples("driftline models show churn@champion", "driftline models show churn:3 --card"),
)
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS"),
    card: bool = typer.Option(False, "--card", help="Print the model card (markdown)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one version: signature, metrics, lineage, aliases."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        mv = ws.get(ref)
        full = ws.model_card(mv.ref) if card and not as_json else None
    if as_json:
        echo_json(mv.to_dict())
        return
    out = console()
    if full is not None:  # the card as regenerated now, as `driftline models card` writes it
        # Imported here: rich.markdown (and markdown-it) is a fifth of the CLI's start-up.
        from rich.markdown import Markdown

        out.print(Markdown(full.markdown(front_matter=False)))
        return
    head = Table.grid(padding=(0, 2))
    head.add_row("model", f"[bold]{mv.name}[/] version {mv.version}")
    head.add_row("aliases", ", ".join(mv.aliases) or "-")
    head.add_row("artifact", f"{mv.flavor}, {mv.artifact_size:,} bytes, sha256 {mv.sha256[:16]}…")
    head.add_row("registered", f"{mv.created_at:%Y-%m-%d %H:%M} by {mv.created_by}")
    head.add_row("lineage", _lineage(mv.lineage))
    if mv.description:
        head.add_row("description", mv.description)
    if mv.signature and mv.signature.output:
        o = mv.signature.output
        classes = f", classes {', '.join(map(str, o.classes))}" if o.classes else ""
        head.add_row("output", f"{o.task} of {o.target}{classes}")
    out.print(head)
    if mv.metrics:
        metrics = Table("metric", "value", title="metrics", title_justify="left")
        for k, v in mv.metrics.items():
            metrics.add_row(k, f"{v:.4g}")
        out.print(metrics)
    if mv.signature:
        sig = Table("column", "kind", "values", "nullable", title="signature", title_justify="left")
        for c in mv.signature.columns:
            if c.categories is not None:
                values = ", ".join(c.categories[:6]) + (" …" if len(c.categories) > 6 else "")
            elif c.min is not None:
                values = f"{c.min:g} … {c.max:g}"
            else:
                values = "-"
            sig.add_row(c.name, c.kind, values, "yes" if c.nullable else "no")
        out.print(sig)


CARD = "driftline models card churn@champion --format json --out card.json"


@models_app.command(
    "card", epilog=examples("driftline models card churn@champion --out README.md", CARD)
)
def card_command(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS"),
    form: str = typer.Option(
        "md", "--format", help="md (markdown with YAML front matter) or json."
    ),
    out_file: Path | None = typer.Option(None, "--out", help="Write to this file, not stdout."),
) -> None:
    """The version's model card, regenerated from its gate decision, evaluation and audit record.

    Markdown starts with Hugging Face model-card metadata (model-index with the metrics,
    datasets named by fingerprint); JSON holds the same card as data.
    """
    if form not in ("md", "json"):
        raise InputError(f"--format is md or json, got {form!r}")
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        made = ws.model_card(ref)
    text = made.markdown() if form == "md" else json.dumps(made.to_dict(), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_output(out_file, text, "model card", quiet=False)


def _lineage(lineage: dict[str, object]) -> str:
    parts = []
    if lineage.get("data_fingerprint"):
        parts.append(f"data {str(lineage['data_fingerprint'])[:19]}…")
    parts.append(f"code {lineage.get('code_revision') or 'unknown'}")
    if lineage.get("parent"):
        parts.append(f"parent {lineage['parent']}")
    return ", ".join(parts)


def _parse_metrics(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        try:
            if not sep or not key:
                raise ValueError
            out[key] = float(raw)
        except ValueError:
            raise InputError(f"--metric takes NAME=NUMBER, got {item!r}") from None
    return out


def _parse_personal(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        column, sep, action = item.partition("=")
        if not sep or not column.strip():
            raise InputError(
                f"--personal takes COLUMN=hash, COLUMN=redact or COLUMN=drop, got {item!r}"
            )
        out[column.strip()] = action.strip()
    return out


@models_app.command(
    "register",
    epilog=examples(
        REGISTER,
        "driftline models register churn --artifact model.onnx --metric auc=0.91 --parent churn:2",
        "driftline models register churn --artifact model.skops --train train.csv --target churned "
        "--personal email=hash --personal notes=redact",
    ),
)
def register(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    artifact: Path = typer.Option(
        ..., "--artifact", help=".skops, .onnx or (trusted) pickle file."
    ),
    train: Path | None = typer.Option(
        None, "--train", help="Training data: a CSV or Parquet file, or a folder of them."
    ),
    target: str | None = typer.Option(None, "--target", help="Label column in the training data."),
    description: str = typer.Option("", "--description", help="What the model is for."),
    metric: list[str] = typer.Option([], "--metric", help="NAME=VALUE, repeatable."),
    personal: list[str] = typer.Option(
        [],
        "--personal",
        help="COLUMN=hash|redact|drop: an input never written in clear (repeatable).",
    ),
    parent: str | None = typer.Option(None, "--parent", help="Version this one derives from."),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias at the new version."),
    trust_pickle: bool = typer.Option(
        False,
        "--trust-pickle",
        help="Accept a pickle file (it can run code; the choice is audited).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a model file as a new version."""
    obj: Context = ctx.obj
    metrics = _parse_metrics(metric)
    marked = _parse_personal(personal)
    from driftline.io import read_frame

    # Read as `driftline drift` and the data checks read it, so the signature and the
    # reference profile type each column as every later check will.
    frame = read_frame(train, what="the training data") if train else None
    if target is not None and frame is None:
        raise InputError("--target needs --train: the label column is read from the training data")
    with obj.workspace() as ws:
        mv = ws.register(
            name,
            artifact,
            train=frame,
            target=target,
            description=description,
            metrics=metrics,
            parent=parent,
            trust=trust_pickle,
            personal=marked or None,
        )
        if alias:
            mv = ws.set_alias(name, mv.version, alias)
    if as_json:
        echo_json(mv.to_dict())
    else:
        aliases = f" ({', '.join(mv.aliases)})" if mv.aliases else ""
        console().print(f"registered [bold]{mv.ref}[/]{aliases}, sha256 {mv.sha256[:16]}…")


@alias_app.command("set", epilog=examples("driftline alias set churn 3 champion"))
def alias_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    version: int = typer.Argument(..., help="Version number."),
    alias: str = typer.Argument(..., help="Alias, e.g. champion."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Point ALIAS of model NAME at VERSION."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        mv = ws.set_alias(name, version, alias)
    if as_json:
        echo_json({"name": name, "alias": alias, "version": mv.version})
    else:
        console().print(f"{name}@{alias} → version {mv.version}")


@alias_app.command("remove", epilog=examples("driftline alias remove churn challenger"))
def alias_remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    alias: str = typer.Argument(..., help="Alias to remove."),
) -> None:
    """Remove ALIAS from model NAME."""
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        ws.remove_alias(name, alias)
    console().print(f"removed {name}@{alias}")
