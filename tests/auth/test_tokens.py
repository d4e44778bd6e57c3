import datetime as dt

import pytest
from sqlalchemy import text

from driftline import InputError, NotFoundError, UnauthenticatedError, Workspace, auth


def test_roles_are_ordered() -> None:
    assert auth.allows("admin", "operator") and auth.allows("operator", "predictor")
    assert not auth.allows("predictor", "operator") and not auth.allows("viewer", "predictor")


def test_create_verify_revoke(workspace: Workspace) -> None:
    token, secret = auth.create(workspace, role="operator", name="ci")
    assert secret.startswith("dl_") and token.role == "operator"
    assert auth.verify(workspace, secret).id == token.id
    with workspace.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_sha256 FROM tokens")).scalar_one()
    assert secret not in stored  # only the digest is kept
    auth.revoke(workspace, token.id)
    with pytest.raises(UnauthenticatedError, match="revoked or expired"):
        auth.verify(workspace, secret)
    actions = [e.action for e in workspace.audit_events()]
    assert actions == ["token.create", "token.revoke"]


def test_expired_and_unknown_tokens_are_refused(workspace: Workspace) -> None:
    _, secret = auth.create(workspace, role="viewer", expires_in=dt.timedelta(seconds=-1))
    with pytest.raises(UnauthenticatedError):
        auth.verify(workspace, secret)
    with pytest.raises(UnauthenticatedError, match="not known"):
        auth.verify(workspace, "dl_nope_nope")
    with pytest.raises(UnauthenticatedError, match="Bearer"):
        auth.verify(workspace, "")


def test_bad_role_and_unknown_id(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="role must be one of"):
        auth.create(workspace, role="root")
    with pytest.raises(NotFoundError):
        auth.revoke(workspace, "ffff")
