"""A head signed with a key kept outside the workspace: a rewritten database no longer verifies.

The attack these tests make is the one the hash chain alone cannot catch:
someone who can write the database recomputes every hash after changing an
event, and updates the head. Without the key that chain verifies; with the
public key it does not.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from driftline import Workspace, audit
from driftline.errors import AuditChainError, InputError

Rows = list[dict[str, Any]]


@pytest.fixture
def keys(tmp_path: Path, workspace: Workspace) -> tuple[Path, Path]:
    private, public, _ = audit.generate_keys(tmp_path / "keys", workspace=workspace.home)
    return private, public


def add(ws: Workspace, n: int, actor: str = "alice") -> None:
    with ws.db.write() as s:
        for i in range(n):
            audit.append(s, actor=actor, action="test.event", subject=f"t:{i}", payload={"i": i})


def test_keygen_makes_a_private_key_only_its_owner_reads(
    keys: tuple[Path, Path], workspace: Workspace
) -> None:
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert len(audit.PublicKey.load(public).id) == 64
    with pytest.raises(InputError, match="exists already"):
        audit.generate_keys(private.parent, workspace=workspace.home)


def test_keygen_refuses_the_workspace_folder(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="is inside the workspace folder"):
        audit.generate_keys(workspace.home / "keys", workspace=workspace.home)
    assert not (workspace.home / "keys").exists()


def test_a_signed_head_verifies_with_its_public_key(
    chained: Workspace, keys: tuple[Path, Path]
) -> None:
    private, public = keys
    signed = chained.sign_audit(private, actor="auditor")
    head = chained.audit_events()[-1]
    assert (head.action, head.actor, head.seq) == ("audit.sign", "auditor", 7)
    assert head.payload["count"] == signed.count == 6
    assert head.payload["head_hash"] == head.prev_hash == signed.head_hash
    result = chained.verify_audit(public_key=public)
    assert result.ok and (result.checked, result.signed_count) == (7, 6)
    assert "Events 1 to 6 are covered by the head your key signed on" in result.sentence
    add(chained, 2)
    later = chained.verify_audit(public_key=public)
    assert later.ok and later.signed_count == 6
    assert "The 2 events recorded since are not signed yet" in later.sentence


def test_another_key_finds_no_signed_head(
    chained: Workspace, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    chained.sign_audit(keys[0])
    _, other, _ = audit.generate_keys(tmp_path / "other", workspace=chained.home)
    result = chained.verify_audit(public_key=other)
    assert not result.ok and result.bad_seq is None
    assert "no head in it is signed with your key" in result.sentence


def _edit_event_3(rows: Rows) -> Rows:
    rows[2]["payload"] = json.dumps({"i": 300}, separators=(",", ":"))
    return rows


def _drop_signatures(rows: Rows) -> Rows:
    return [r for r in _edit_event_3(rows) if r["action"] != "audit.sign"]


def _sign_with_own_key(rows: Rows) -> Rows:
    # The forger signs their own head but must claim the real key's id to be looked at.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for r in rows:
        if r["action"] == "audit.sign":
            head = json.loads(r["payload"])
            head["signature"] = Ed25519PrivateKey.generate().sign(b"anything").hex()
            r["payload"] = json.dumps(head, sort_keys=True, separators=(",", ":"))
    return rows


@pytest.mark.parametrize(
    ("forgery", "bad_seq", "problem"),
    [
        (_edit_event_3, 7, "holds a head signed for event 6"),
        (_drop_signatures, None, "no head in it is signed with your key"),
        (_sign_with_own_key, 7, "holds a signature your public key does not confirm"),
    ],
    ids=["signature kept", "signature dropped", "signature forged"],
)
def test_a_consistently_rewritten_chain_fails_with_the_public_key(
    chained: Workspace,
    keys: tuple[Path, Path],
    tmp_path: Path,
    forge_chain: Callable[..., None],
    forgery: Callable[[Rows], Rows],
    bad_seq: int | None,
    problem: str,
) -> None:
    private, public = keys
    chained.sign_audit(private)
    add(chained, 1)
    forge_chain(chained, forgery)
    assert chained.verify_audit().ok  # the hash chain alone is fooled: that is the attack
    result = chained.verify_audit(public_key=public)
    assert not result.ok and result.bad_seq == bad_seq
    assert problem in (result.problem or "")
    # The same verdict offline, from an export of the forged database.
    offline = audit.verify_file(
        chained.export_audit(tmp_path / "forged.jsonl").path, public_key=public
    )
    assert (offline.ok, offline.bad_seq, offline.problem) == (False, bad_seq, result.problem)


def test_signing_refuses_a_chain_already_tampered_with(
    chained: Workspace, keys: tuple[Path, Path], sql: Callable[..., None]
) -> None:
    sql(chained, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(
        AuditChainError, match="not signed: The audit record was tampered with at event 2"
    ):
        chained.sign_audit(keys[0])
    assert [e.action for e in chained.audit_events()].count("audit.sign") == 0


def test_signing_refuses_a_key_in_the_workspace_or_readable_by_others(
    chained: Workspace, keys: tuple[Path, Path]
) -> None:
    private, _ = keys
    inside = chained.home / "driftline-audit.key"
    inside.write_bytes(private.read_bytes())
    inside.chmod(0o600)
    with pytest.raises(InputError, match="inside the workspace folder"):
        chained.sign_audit(inside)
    os.chmod(private, 0o644)
    with pytest.raises(InputError, match=r"can be read by other users \(mode 0644\).*chmod 600"):
        chained.sign_audit(private)
    assert chained.verify_audit().checked == 6  # nothing was appended


def test_an_empty_record_has_no_head_to_sign(workspace: Workspace, keys: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match="the audit record is empty"):
        workspace.sign_audit(keys[0])


def test_cli_keygen_sign_and_verify(
    chained: Workspace, tmp_path: Path, cli: Callable[..., Any], forge_chain: Callable[..., None]
) -> None:
    home = ["--home", str(chained.home)]
    db = {"DRIFTLINE_DATABASE_URL": chained.settings.database_url}
    refused = cli(*home, "audit", "keygen", "--out", str(chained.home / "k"), cwd=tmp_path, env=db)
    assert refused.returncode == 2 and "inside the workspace folder" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    made = cli(*home, "audit", "keygen", "--out", "keys", "--json", cwd=tmp_path, env=db)
    assert made.returncode == 0, made.stderr
    pair = json.loads(made.stdout)
    signed = cli(
        *home, "audit", "sign", "--key", pair["private_key"], "--json", cwd=tmp_path, env=db
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["count"] == 6
    check = [*home, "audit", "verify", "--public-key", pair["public_key"]]
    ok = cli(*check, cwd=tmp_path, env=db)
    assert ok.returncode == 0 and "Events 1 to 6 are covered" in ok.stdout
    forge_chain(chained, _edit_event_3)
    bad = cli(*check, cwd=tmp_path, env=db)
    assert bad.returncode == 1
    assert bad.stderr.startswith("driftline: The audit record was tampered with at event 7")
