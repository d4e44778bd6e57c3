"""A chain of a few events, and the tools to tamper with it as an attacker would."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from driftline import Workspace, audit


@pytest.fixture
def chained(workspace: Workspace) -> Workspace:
    with workspace.db.write() as s:
        for i in range(1, 7):
            audit.append(
                s, actor="alice", action="test.event", subject=f"thing:{i}", payload={"i": i}
            )
    return workspace


def _sql(ws: Workspace, statement: str, **params: object) -> None:
    with ws.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def rows(ws: Workspace) -> list[dict[str, Any]]:
    cols = "seq, time, actor, action, subject, payload, prev_hash, hash"
    with ws.db.engine.begin() as conn:
        found = conn.execute(text(f"SELECT {cols} FROM audit_events ORDER BY seq"))
        return [dict(r._mapping) for r in found]


def attacker_digest(row: dict[str, Any], prev: str) -> str:
    """The chain's hash, written from its description (not imported): what a forger would do."""
    body = [row["seq"], row["time"], row["actor"], row["action"], row["subject"], row["payload"]]
    data = json.dumps([*body, prev], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _rewrite_chain(
    ws: Workspace, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Replace every event and the head by a consistent chain made from ``change(rows)``."""
    forged = change(rows(ws))
    prev = "0" * 64
    for seq, row in enumerate(forged, 1):
        row["seq"], row["prev_hash"] = seq, prev
        row["hash"] = prev = attacker_digest(row, prev)
    with ws.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
        for row in forged:
            conn.execute(
                text(
                    "INSERT INTO audit_events (seq, time, actor, action, subject, payload, "
                    "prev_hash, hash) VALUES (:seq, :time, :actor, :action, :subject, :payload, "
                    ":prev_hash, :hash)"
                ),
                row,
            )
        conn.execute(
            text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
            {"seq": len(forged), "hash": prev},
        )


Sql = Callable[..., None]
Forge = Callable[[Workspace, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]], None]


@pytest.fixture
def sql() -> Sql:
    """Run one statement on the workspace's database, behind driftline's back."""
    return _sql


@pytest.fixture
def forge_chain() -> Forge:
    """Rewrite every event and the head into a consistent chain, as an attacker with the
    database would."""
    return _rewrite_chain
