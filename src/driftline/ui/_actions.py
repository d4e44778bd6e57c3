"""What operators do from the dashboard, through the same services as the CLI.

Each action is a POST from a form of the signed-in session (its CSRF token
and Origin checked), needs the operator role, and is audited under the
token's name. Viewers get no buttons, and a POST of theirs is refused with 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from driftline import auth
from driftline.errors import (
    ConflictError,
    DriftlineError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnauthenticatedError,
)
from driftline.ui._session import COOKIE, LIFETIME_S
from driftline.ui._state import form, same_origin, signin_redirect, ui
from driftline.ui._timing import TimedRoute
from driftline.ui._words import ACTIONS, action_sentence

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["ACTIONS", "plan", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=TimedRoute)

_NEEDS_VERSION = ("promote", "approve", "reject")


def _champion(ctx: Context, name: str) -> tuple[str, int | None]:
    from driftline import loop, registry

    spec = loop.status(ctx, name)["deployment"]
    alias = spec["alias"] if spec else "champion"
    try:
        return alias, registry.get(ctx, f"{name}@{alias}").version
    except DriftlineError:
        return alias, None


def plan(ctx: Context, name: str, action: str, version: int | None) -> str:
    """What ``action`` will do, in a sentence; an error when it cannot be done now."""
    from driftline import loop, registry

    if action not in ACTIONS:
        raise InputError(f"there is no action {action!r}; the actions are: {', '.join(ACTIONS)}")
    if action in _NEEDS_VERSION and version is None:
        raise InputError(f"to {ACTIONS[action][0]} needs a version: which one?")
    _, champion = _champion(ctx, name)
    run = loop.status(ctx, name)["run"]
    active = run is not None and run["state"] in (
        "retraining",
        "gating",
        "awaiting_approval",
        "canary",
    )
    if action == "promote":
        registry.get(ctx, f"{name}:{version}")
        if active:
            raise ConflictError(
                f"a rollout of {name} is under way (version {run['candidate']}); stop it before "
                "promoting a version by hand"
            )
        if version == champion:
            raise InputError(f"version {version} already answers all of {name}'s traffic")
    if action in ("approve", "reject") and (
        run is None or run["state"] != "awaiting_approval" or run["candidate"] != version
    ):
        raise ConflictError(f"version {version} of {name} is not waiting for approval")
    if action in ("pause", "resume", "abort") and not active:
        raise ConflictError(f"{name} has no rollout under way to {ACTIONS[action][0].split()[0]}")
    previous = None
    if action == "rollback":
        if active:
            champion = run["champion"]
        else:
            promoted = next((r for r in loop.list_runs(ctx, name) if r.state == "promoted"), None)
            if promoted is None:
                raise NotFoundError(
                    f"{name} has no rollout to undo: no canary is under way and the loop never "
                    "promoted a version of it"
                )
            previous = promoted.champion
    return action_sentence(
        action,
        name,
        version=version,
        champion=champion,
        previous=previous,
        percent_now=run["percent"] if run else None,
    )


def _do(ctx: Context, name: str, action: str, version: int | None, secret: str, note: str) -> None:
    # The services are imported when first used: a server that never shows the dashboard
    # starts (each worker) without them.
    from driftline import loop, registry

    actor = auth.verify(ctx, secret).name
    if action == "promote":
        alias, _ = _champion(ctx, name)
        registry.set_alias(ctx, name, int(version or 0), alias, actor=actor)
    elif action == "rollback":
        loop.rollback(ctx, name, actor=actor)
    elif action == "approve":
        loop.approve(ctx, name, int(version or 0), token=secret, note=note)
    elif action == "reject":
        loop.reject(ctx, name, int(version or 0), token=secret, note=note)
    else:
        getattr(loop, action)(ctx, name, actor=actor)


@router.post("/models/{name}/act/{action}")
async def act(request: Request, name: str, action: str) -> Response:
    state = ui(request)
    session = state.session(request)
    if session is None:
        return signin_redirect(request)
    fields = await form(request)
    try:
        if not same_origin(request):
            raise ForbiddenError("this action was sent from another site's page, so it is refused")
        state.keys.check_csrf(session, fields.get("csrf"))
        if not session.can_act:
            return state.refuse(request, session, ACTIONS.get(action, (action,))[0])
        raw = fields.get("version") or ""
        version = int(raw) if raw.isdigit() else None
        plan(state.ctx, name, action, version)
        _do(state.ctx, name, action, version, session.secret, fields.get("note", "")[:500])
    except DriftlineError as exc:
        return state.failure(request, exc, session)
    return RedirectResponse(f"/ui/models/{name}?done={action}#audit", status_code=303)


@router.post("/signin")
async def signin(request: Request) -> Response:
    state = ui(request)
    fields = await form(request)
    target = fields.get("next", "/ui/")
    target = target if target.startswith("/ui/") else "/ui/"
    secret = fields.get("token", "").strip()
    try:
        if not same_origin(request):
            raise ForbiddenError("the sign-in was sent from another site's page, so it is refused")
        auth.verify(state.ctx, secret)
    except UnauthenticatedError as exc:
        return state.render(
            request, "signin.html", None, http_status=401, next=target, failed=str(exc)
        )
    except DriftlineError as exc:
        return state.failure(request, exc, None)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        state.keys.seal(secret),
        max_age=LIFETIME_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    state = ui(request)
    session = state.session(request)
    fields = await form(request)
    if session is not None:
        try:
            state.keys.check_csrf(session, fields.get("csrf"))
        except DriftlineError as exc:
            return state.failure(request, exc, session)
    response = RedirectResponse("/ui/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
