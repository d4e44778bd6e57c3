"""``driftline deploy``, ``driftline serve`` and ``driftline token``."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from driftline.cli._context import Context, console, echo_json, examples
from driftline.errors import InputError

CREATE = "driftline token create --role predictor --name checkout-service --expires 30d"
token_app = typer.Typer(
    help="API tokens with roles: viewer, predictor, operator, admin.",
    no_args_is_help=True,
    epilog=examples(CREATE, "driftline token list"),
)
DEPLOY_EXAMPLES = examples(
    "driftline deploy churn",
    "driftline deploy churn --canary challenger --percent 10",
    "driftline deploy churn --shadow challenger",
    "driftline deploy churn --features customer:* --on-missing default",
    "driftline deploy churn --guard flag --guard-threshold 2 --labels-only --token-rate 5",
)
UNDEPLOY_EXAMPLES = examples("driftline undeploy churn")
SERVE_EXAMPLES = examples(
    "driftline serve",
    "driftline serve --host 0.0.0.0 --port 8080 --auth --workers 4",
)


def deploy(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Model name."),
    alias: str = typer.Option("champion", "--alias", help="Alias that answers."),
    canary: str | None = typer.Option(
        None, "--canary", help="Alias that answers a share of traffic."
    ),
    percent: float = typer.Option(0.0, "--percent", help="Canary share, 0 to 100."),
    shadow: str | None = typer.Option(
        None, "--shadow", help="Alias that gets a copy; never answers."
    ),
    features: str | None = typer.Option(
        None,
        "--features",
        help="Complete the model's inputs from feature views by the request's entity key: "
        "view:feature or view:*, comma-separated.",
    ),
    on_missing: str = typer.Option(
        "fail", "--on-missing", help="An entity without values: fail (HTTP 400) or default."
    ),
    on_stale: str = typer.Option(
        "fail", "--on-stale", help="Values older than the view's time-to-live: fail or default."
    ),
    policy: Path | None = typer.Option(
        None, "--policy", help="The model's policy TOML; its [features] table declares them."
    ),
    guard: str | None = typer.Option(
        None,
        "--guard",
        help="Inputs unlike the training data: off, log (score in the log), flag (marked in "
        "the answer and the log) or reject (HTTP 422). Also [guard] in --policy.",
    ),
    guard_threshold: float = typer.Option(
        1.0,
        "--guard-threshold",
        help="Line for 'unlike', as a multiple of the one fitted at registration "
        "(1: about 1 in 100 training-like inputs cross it).",
    ),
    round_to: int | None = typer.Option(
        None, "--round", help="Answer probabilities rounded to this many decimals."
    ),
    top_k: int | None = typer.Option(
        None, "--top-k", help="Answer only the K most likely classes' probabilities."
    ),
    labels_only: bool = typer.Option(
        False, "--labels-only", help="Answer labels only, no probabilities."
    ),
    token_rate: float | None = typer.Option(
        None, "--token-rate", help="Inputs per second allowed to one token (HTTP 429 beyond)."
    ),
    address_rate: float | None = typer.Option(
        None, "--address-rate", help="Inputs per second allowed to one client address."
    ),
    burst: int = typer.Option(20, "--burst", help="Inputs a caller may send at once."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Deploy a model (a running server picks the change up within a second)."""
    from driftline import serving
    from driftline.features import FeatureBinding

    binding = None
    if features is not None:
        binding = FeatureBinding(tuple(features.split(",")), on_missing, on_stale)
    elif policy is not None:
        binding = FeatureBinding.from_policy(policy)
    guard_policy = _guard_policy(
        guard,
        policy,
        threshold=guard_threshold,
        round=round_to,
        top_k=top_k,
        labels_only=labels_only,
        token_rate=token_rate,
        address_rate=address_rate,
        burst=burst,
    )
    obj: Context = ctx.obj
    with obj.workspace() as ws:
        spec = serving.deploy(
            ws.context,
            name,
            alias=alias,
            canary=canary,
            percent=percent,
            shadow=shadow,
            features=binding,
            guard=guard_policy,
        )
    if as_json:
        echo_json(spec.to_dict())
        return
    parts = [f"{name}@{alias} answers"]
    if spec.canary_alias:
        parts.append(
            f"{name}@{spec.canary_alias} answers {spec.canary_percent:g}% (sticky per key)"
        )
    if spec.shadow_alias:
        parts.append(f"{name}@{spec.shadow_alias} shadows every request")
    if spec.features is not None:
        parts.append(
            f"inputs completed from {', '.join(spec.features.use)} "
            f"(missing: {spec.features.on_missing}, stale: {spec.features.on_stale})"
        )
    if spec.guard is not None:
        parts.append(spec.guard.describe())
    console().print("deployed: " + "; ".join(parts))


def _guard_policy(mode: str | None, policy: Path | None, **given: Any) -> Any:
    """The guard policy from the flags, else the policy file's [guard] table, else None."""
    from driftline.guard import GuardPolicy

    defaults = {"threshold": 1.0, "labels_only": False, "burst": 20}
    flagged = mode is not None or any(
        v is not None and v != defaults.get(k) for k, v in given.items()
    )
    if given["threshold"] != 1.0 and mode not in ("flag", "reject"):
        raise InputError(
            "--guard-threshold needs --guard flag or --guard reject: it is the line past "
            "which an input counts as unlike the training data"
        )
    if flagged:
        return GuardPolicy(mode=mode or "off", **given)  # type: ignore[arg-type]
    if policy is not None:
        return GuardPolicy.from_policy(policy)
    return None


def undeploy(ctx: typer.Context, name: str = typer.Argument(..., help="Model name.")) -> None:
    """Stop serving a model."""
    from driftline import serving

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        serving.undeploy(ws.context, name)
    console().print(f"undeployed {name}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes sharing the workspace."
    ),
    use_auth: bool = typer.Option(False, "--auth", help="Require tokens (driftline token create)."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow a public address without --auth."
    ),
    max_batch_size: int = typer.Option(64, "--max-batch-size", min=1, help="Rows per model call."),
    max_latency_ms: float = typer.Option(
        2.0, "--max-latency-ms", min=0, help="Longest wait to fill a batch."
    ),
    timeout: float = typer.Option(
        10.0, "--timeout", min=0.001, help="Seconds before a queued request gets 503."
    ),
    log_sync: str = typer.Option(
        "write", "--log-sync", help="write (survives kill -9) or fsync (power loss)."
    ),
    with_loop: bool = typer.Option(
        False, "--loop", help="Also run the loop (driftline loop run) in this process."
    ),
) -> None:
    """Serve every deployed model over HTTP until stopped (Ctrl-C finishes in-flight requests)."""
    import uvicorn

    from driftline import ui
    from driftline.serving import ServerConfig, create_app

    if log_sync not in ("write", "fsync"):
        raise InputError(f"--log-sync must be write or fsync, got {log_sync!r}")
    if not _loopback(host) and not use_auth and not insecure:
        raise InputError(
            f"refusing to serve on {host} without authentication: add --auth (and create tokens "
            "with 'driftline token create'), or --insecure if something else guards the port"
        )
    obj: Context = ctx.obj
    config = ServerConfig(
        auth=use_auth,
        max_batch_size=max_batch_size,
        max_latency_ms=max_latency_ms,
        timeout_s=timeout,
        log_wait_for=log_sync,
    )
    ws = obj.workspace()
    options = {"host": host, "port": port, "log_level": "warning", "timeout_graceful_shutdown": 30}
    console().print(
        f"serving {ws.home} on http://{host}:{port} ({workers} worker(s), auth {'on' if use_auth else 'off'}); "
        f"dashboard at http://{host}:{port}/ui/"
    )
    stop_loop = _start_loop(ws.settings) if with_loop else None
    try:
        if workers == 1:
            app = ui.mount(create_app(ws.context, config), ws.context)  # the dashboard at /ui
            uvicorn.run(app, **options)  # type: ignore[arg-type]
            return
        _serve_workers(ws, config, workers, options)
    finally:
        if stop_loop is not None:
            stop_loop()


def _start_loop(settings: Any) -> Callable[[], None]:
    """Run the loop's ticks in a thread of this process, on its own store handles.

    It ends with the server; a tick cut short by the signal is taken up again by the next
    tick, as after any crash.
    """
    import threading

    from driftline import loop
    from driftline.store import Context as Stores

    stores = Stores.open(settings, create=False)
    stop = threading.Event()
    thread = threading.Thread(
        target=loop.run, args=(stores,), kwargs={"stop": stop}, name="driftline-loop", daemon=True
    )
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(timeout=60)
        stores.close()

    return finish


def _serve_workers(ws: Any, config: Any, workers: int, options: dict[str, Any]) -> None:
    import uvicorn

    from driftline.serving import CONFIG_ENV, SUPERVISOR_ENV

    os.environ["DRIFTLINE_HOME"] = str(ws.home)
    os.environ[SUPERVISOR_ENV] = str(os.getpid())  # workers stop when this process dies
    os.environ[CONFIG_ENV] = json.dumps(dataclasses.asdict(config))
    ws.close()
    uvicorn.run(
        "driftline.ui:serving_app_from_env",
        factory=True,
        workers=workers,
        **options,
    )


@token_app.command("create", epilog=examples(CREATE))
def token_create(
    ctx: typer.Context,
    role: str = typer.Option(..., "--role", help="viewer, predictor, operator or admin."),
    name: str = typer.Option("", "--name", help="Who or what uses it."),
    expires: str | None = typer.Option(None, "--expires", help="Lifetime, like 30d or 12h."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Create a token; its secret is printed once."""
    from driftline import auth
    from driftline.monitor import parse_period

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        token, secret = auth.create(
            ws.context, role=role, name=name, expires_in=parse_period(expires) if expires else None
        )
    if as_json:
        echo_json({**token.to_dict(), "secret": secret})
        return
    console().print(f"token {token.id} ({token.role}) for {token.name}:")
    console().print(secret, soft_wrap=True)
    console().print("store it now: it is not shown again")


@token_app.command("list", epilog=examples("driftline token list", "driftline token list --json"))
def token_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never their secrets)."""
    from driftline import auth

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        tokens = auth.list_tokens(ws.context)
    if as_json:
        echo_json([t.to_dict() for t in tokens])
        return
    table = Table("id", "name", "role", "active", "created", "expires")
    for t in tokens:
        table.add_row(
            t.id,
            t.name,
            t.role,
            "yes" if t.active else "no",
            f"{t.created_at:%Y-%m-%d}",
            f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "-",
        )
    console().print(table)


@token_app.command("revoke", epilog=examples("driftline token revoke 3f9c2a81d0e4"))
def token_revoke(ctx: typer.Context, token_id: str = typer.Argument(..., help="Token id.")) -> None:
    """Revoke a token; servers stop accepting it within seconds."""
    from driftline import auth

    obj: Context = ctx.obj
    with obj.workspace() as ws:
        auth.revoke(ws.context, token_id)
    console().print(f"revoked {token_id}")
