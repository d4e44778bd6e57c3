"""The pages people read: overview, model, compare, and the confirmation before an action."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from driftline.errors import DriftlineError, InputError
from driftline.ui._state import signin_redirect, ui
from driftline.ui._timing import TimedRoute
from driftline.ui._words import ACTIONS

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=TimedRoute)


@router.get("")
def root() -> Response:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/")
def overview(request: Request) -> Response:
    state = ui(request)
    session = state.session(request)
    if session is None:
        return signin_redirect(request)
    from driftline.ui import _views  # the services, imported when a page is first asked for

    try:
        models = _views.overview(state.ctx)
    except DriftlineError as exc:
        return state.failure(request, exc, session)
    return state.render(request, "overview.html", session, models=models)


@router.get("/signin")
def signin(request: Request, next: str = "/ui/", failed: str = "") -> Response:
    state = ui(request)
    target = next if next.startswith("/ui/") else "/ui/"
    return state.render(request, "signin.html", None, next=target, failed=failed)


@router.get("/models/{name}")
def model(request: Request, name: str, done: str = "", traffic: int = 7) -> Response:
    state = ui(request)
    session = state.session(request)
    if session is None:
        return signin_redirect(request)
    from driftline.ui import _traffic, _views

    try:
        view = _views.model_view(state.ctx, name)
    except DriftlineError as exc:
        return state.failure(request, exc, session)
    _traffic.warm(state.ctx, name)  # the year's summaries, before someone asks for them
    said = ACTIONS[done][1] if done in ACTIONS else ""
    days = traffic if traffic in _traffic.RANGES else 7  # a link's choice, not typed input
    ranges = _traffic.RANGES
    return state.render(request, "model.html", session, done=said, days=days, ranges=ranges, **view)


@router.get("/models/{name}/compare")
def compare(request: Request, name: str, a: int | None = None, b: int | None = None) -> Response:
    state = ui(request)
    session = state.session(request)
    if session is None:
        return signin_redirect(request)
    from driftline import registry
    from driftline.ui import _views

    try:
        versions = [v.version for v in registry.list_versions(state.ctx, name)]
        if len(versions) < 2:
            raise InputError(f"{name} has only one version: there is nothing to compare it with")
        b = b if b is not None else versions[-1]
        a = a if a is not None else next(v for v in reversed(versions) if v != b)
        view = _views.compare_view(state.ctx, name, a, b)
    except DriftlineError as exc:
        return state.failure(request, exc, session)
    return state.render(request, "compare.html", session, versions=versions, a=a, b=b, **view)


@router.get("/models/{name}/act/{action}")
def confirm(request: Request, name: str, action: str, version: int | None = None) -> Response:
    """The confirmation: what will happen, and the button that does it."""
    state = ui(request)
    session = state.session(request)
    if session is None:
        return signin_redirect(request)
    if not session.can_act:
        return state.refuse(request, session, ACTIONS.get(action, (action,))[0])
    from driftline.ui._actions import plan

    try:
        sentence = plan(state.ctx, name, action, version)
    except DriftlineError as exc:
        return state.failure(request, exc, session)
    return state.render(
        request,
        "confirm.html",
        session,
        name=name,
        action=action,
        verb=ACTIONS[action][0],
        version=version,
        sentence=sentence,
    )
