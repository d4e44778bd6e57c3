"""The Workspace facade passes straight through to the services, with their own signatures."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from driftline import (
    audit,
    batch,
    dataaudit,
    edge,
    evaluation,
    features,
    gate,
    governance,
    registry,
)
from driftline.store import Context
from driftline.workspace import Workspace

# facade method -> (service function, parameters the facade supplies itself)
PASS_THROUGH: dict[str, tuple[Callable[..., Any], set[str]]] = {
    "register": (registry.register, {"ctx"}),
    "get": (registry.get, {"ctx"}),
    "set_alias": (registry.set_alias, {"ctx"}),
    "remove_alias": (registry.remove_alias, {"ctx"}),
    "load_model": (registry.load_model, {"ctx"}),
    "load_profile": (registry.load_profile, {"ctx"}),
    "models": (registry.list_models, {"ctx"}),
    "versions": (registry.list_versions, {"ctx"}),
    "evaluate": (evaluation.evaluate, {"context"}),
    "evaluations": (evaluation.list_evaluations, {"ctx"}),
    "calibrate": (evaluation.calibrate, {"ctx"}),
    "gate": (gate.run_gate, {"ctx"}),
    "audit_data": (dataaudit.audit_training, {"ctx"}),
    "batch_score": (batch.score, {"ctx"}),
    "export": (edge.export, {"ctx"}),
    "ingest": (edge.ingest, {"ctx"}),
    "distill": (edge.distill, {"ctx"}),
    "bench": (edge.bench, {"ctx"}),
    "register_view": (features.register_view, {"ctx"}),
    "historical": (features.historical, {"ctx"}),
    "materialize": (features.materialize, {"ctx"}),
    "audit_events": (audit.events, {"db"}),
    "verify_audit": (audit.verify, {"db"}),
    "export_audit": (audit.export, {"db"}),
    "sign_audit": (audit.sign_head, {"ctx"}),
    "prune_log": (governance.prune_log, {"ctx"}),
    "model_card": (governance.model_card, {"ctx"}),
    "forget": (governance.forget, {"ctx"}),
}


def _params(fn: Callable[..., Any], drop: set[str]) -> list[tuple[str, Any, Any, Any]]:
    sig = inspect.signature(fn)
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in sig.parameters.values()
        if p.name not in drop and p.name != "self"
    ]


@pytest.mark.parametrize("method", sorted(PASS_THROUGH))
def test_facade_matches_service(method: str) -> None:
    service, supplied = PASS_THROUGH[method]
    facade = getattr(Workspace, method)
    assert _params(facade, set()) == _params(service, supplied)
    assert inspect.signature(facade).return_annotation == (
        inspect.signature(service).return_annotation
    )


def test_every_public_method_is_checked() -> None:
    public = {
        name
        for name, member in vars(Workspace).items()
        if callable(member) and not name.startswith("_") and name not in {"init", "open", "close"}
    }
    assert public == set(PASS_THROUGH)


def test_services_receive_the_context_not_the_facade(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        assert isinstance(ws.context, Context)
        assert ws.db is ws.context.db and ws.artifacts is ws.context.artifacts
        assert ws.settings is ws.context.settings and ws.home == tmp_path / "ws"


def test_open_without_create_names_the_missing_folder(tmp_path: Path) -> None:
    from driftline.errors import NotFoundError

    with pytest.raises(NotFoundError, match=r"no driftline workspace at .*nowhere"):
        Workspace.open(tmp_path / "nowhere", create=False)
    assert not (tmp_path / "nowhere").exists()
