"""ModelVersion: what the registry returns, and how references like ``churn@champion`` read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from driftline.errors import InputError
from driftline.registry._card import render_markdown
from driftline.schema import Signature

__all__ = ["ModelSummary", "ModelVersion", "check_alias", "check_name", "parse_ref"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
RESERVED_ALIASES = {"latest"}


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"model name {name!r} is not valid: use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 100 characters"
        )
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias in RESERVED_ALIASES:
        raise InputError(
            f"alias {alias!r} is not valid: start with a letter, then letters, digits, '_' "
            "or '-'; 'latest' is reserved (it always means the newest version)"
        )
    return alias


def parse_ref(ref: str) -> tuple[str, int | str | None]:
    """``name`` (newest), ``name:3`` (a version) or ``name@alias``."""
    if not isinstance(ref, str) or not ref:
        raise InputError(f"model reference {ref!r} is empty; use NAME, NAME:VERSION or NAME@ALIAS")
    if "@" in ref:
        name, _, alias = ref.partition("@")
        check_name(name)
        return name, (None if alias == "latest" else check_alias(alias))
    if ":" in ref:
        name, _, raw = ref.partition(":")
        check_name(name)
        if not raw.isdigit() or int(raw) < 1:
            raise InputError(f"version in {ref!r} must be a whole number from 1, got {raw!r}")
        return name, int(raw)
    return check_name(ref), None


@dataclasses.dataclass(frozen=True)
class ModelVersion:
    """One immutable registered version of a model."""

    name: str
    version: int
    flavor: str
    sha256: str
    artifact_key: str
    artifact_size: int
    profile_key: str | None
    signature: Signature | None
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    card: dict[str, Any]
    description: str
    trusted: bool
    created_at: dt.datetime
    created_by: str
    aliases: tuple[str, ...] = ()
    runtimes: dict[str, Any] = dataclasses.field(default_factory=dict)
    # None for versions registered before digests were recorded: the key names it.
    profile_sha256: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    def card_markdown(self) -> str:
        """The model card as markdown."""
        return render_markdown(self.card)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "flavor": self.flavor,
            "sha256": self.sha256,
            "profile_sha256": self.profile_sha256,
            "artifact_size": self.artifact_size,
            "description": self.description,
            "signature": self.signature.to_dict() if self.signature else None,
            "metrics": self.metrics,
            "lineage": self.lineage,
            "card": self.card,
            "trusted_pickle": self.trusted,
            "runtimes": {
                k: {n: v for n, v in r.items() if n != "key"} for k, r in self.runtimes.items()
            },
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


@dataclasses.dataclass(frozen=True)
class ModelSummary:
    """A registered model and where its aliases point."""

    name: str
    description: str
    versions: int
    latest: int
    aliases: dict[str, int]
    updated_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["updated_at"] = self.updated_at.isoformat()
        return d
