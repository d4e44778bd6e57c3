"""Where each model's policy lives: ``<workspace>/policies/NAME.toml``, checked on every load."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from driftline import audit, registry
from driftline.errors import ConfigError
from driftline.loop._policy import LoopPolicy

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["POLICIES", "load_policy", "policy_path", "set_policy"]

POLICIES = "policies"


def policy_path(ctx: Context, model: str) -> Path:
    return ctx.home / POLICIES / f"{model}.toml"


def _folder_note(path: Path) -> Path:
    # Where the file was written, for its relative paths (a hook file, a reference): they
    # mean what they meant beside the original.
    return path.with_suffix(".folder")


def load_policy(ctx: Context, model: str) -> LoopPolicy:
    """The model's policy, checked; the defaults when it has none."""
    path = policy_path(ctx, model)
    if not path.is_file():
        return LoopPolicy()
    note = _folder_note(path)
    folder = Path(note.read_text(encoding="utf-8").strip()) if note.is_file() else path.parent
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the policy of {model} at {path}: {exc}") from exc
    policy = LoopPolicy.from_toml(text, where=path.name, folder=folder)
    if policy.model is not None and policy.model != model:
        raise ConfigError(
            f"{path.name}: key 'model' says {policy.model!r} but the file is the policy of "
            f"{model!r}; fix the key or the file name"
        )
    return policy


def set_policy(
    ctx: Context, model: str, source: str | Path, *, actor: str | None = None
) -> LoopPolicy:
    """Check the policy file ``source`` and make it ``model``'s; audited with its sha256.

    Its relative paths keep meaning the files beside ``source``.
    """
    file = Path(source)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"policy file {str(file)!r} does not exist; give the path of a TOML file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read policy file {str(file)!r}: {exc}") from exc
    folder = file.absolute().parent
    policy = LoopPolicy.from_toml(text, where=file.name, folder=folder)
    registry.get(ctx, model)  # a policy for a model that does not exist is a typo
    if policy.model is not None and policy.model != model:
        raise ConfigError(f"{file.name}: key 'model' says {policy.model!r}, not {model!r}")
    target = policy_path(ctx, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    with ctx.db.write() as s:
        for path, content in ((_folder_note(target), str(folder)), (target, text)):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(content, encoding="utf-8")
            tmp.replace(path)
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="policy.set",
            subject=model,
            payload={"sha256": policy.sha256, "source": file.name},
        )
    return dataclasses.replace(policy, source=target.name)
