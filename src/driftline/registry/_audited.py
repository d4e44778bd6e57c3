"""A clean training-data audit, when a model's policy requires one before registering.

``driftline data audit`` records each audit in the audit chain under the
fingerprint of the data; a policy's ``[audit] require = "clean"`` makes
``register`` refuse a version whose training data has no passing audit.
The policy file is the loop's (``<workspace>/policies/NAME.toml``); only its
``[audit]`` table is read here, since the registry sits below the loop.
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING, Any

from driftline import audit
from driftline.errors import ConfigError, InputError

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["DATA_AUDIT", "audit_required", "recorded_audit", "require_clean_audit"]

DATA_AUDIT = "data.audit"
SUBJECT = "data:"


def recorded_audit(ctx: Context, dataset: str) -> dict[str, Any] | None:
    """The newest recorded audit of the data with this fingerprint (with or without "sha256:")."""
    digest = dataset.removeprefix("sha256:")
    found = audit.events(ctx.db, subject=SUBJECT + digest, action=DATA_AUDIT)
    return found[-1].payload if found else None


def audit_required(ctx: Context, model: str) -> bool:
    """Whether ``model``'s policy says ``[audit] require = "clean"``."""
    path = ctx.home / "policies" / f"{model}.toml"
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the policy of {model} at {path}: {exc}") from exc
    table = data.get("audit")
    return isinstance(table, dict) and table.get("require") == "clean"


def require_clean_audit(ctx: Context, model: str, dataset: str, rows: int) -> None:
    """Refuse (InputError) when the policy requires a clean audit and the data has none."""
    if not audit_required(ctx, model):
        return
    found = recorded_audit(ctx, dataset)
    todo = "run driftline data audit on the training file, fix what it finds, then register"
    if found is None:
        raise InputError(
            f"the policy of {model} requires a clean audit of the training data, and these "
            f"{rows:,} rows have none; {todo}"
        )
    if not found.get("passed"):
        raise InputError(
            f"the policy of {model} requires a clean audit of the training data, and these "
            f"{rows:,} rows failed theirs ({found.get('headline', '')}); {todo}"
        )
