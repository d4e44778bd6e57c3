"""The registry service: register versions, move aliases, find and load models.

Every function takes the workspace first; every state change writes its audit
event in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftline import audit
from driftline.errors import InputError, NotFoundError, UntrustedArtifactError
from driftline.io import fingerprint
from driftline.registry import _flavors, _onnx
from driftline.registry._audited import require_clean_audit
from driftline.registry._card import build_card
from driftline.registry._lineage import git_revision
from driftline.registry._version import (
    ModelSummary,
    ModelVersion,
    check_alias,
    check_name,
    parse_ref,
)
from driftline.schema import Signature
from driftline.store import AliasRow, ModelRow, ModelVersionRow, as_utc, key_digest

if TYPE_CHECKING:
    from driftline.represent import FrozenOutlierScorer
    from driftline.stats import Profile
    from driftline.store import Context

__all__ = [
    "get",
    "list_models",
    "list_versions",
    "load_guard",
    "load_model",
    "load_onnx",
    "load_profile",
    "register",
    "remove_alias",
    "set_alias",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def register(
    ctx: Context,
    name: str,
    model: Any,
    *,
    train: pd.DataFrame | None = None,
    target: str | None = None,
    description: str = "",
    metrics: Mapping[str, float] | None = None,
    intended_use: str | None = None,
    limitations: Sequence[str] = (),
    parent: str | None = None,
    same_inputs: bool = False,
    code_revision: str | None = None,
    trust: bool = False,
    actor: str | None = None,
    lineage: Mapping[str, Any] | None = None,
    personal: Mapping[str, str] | None = None,
) -> ModelVersion:
    """Register a new immutable version of model ``name``.

    ``model`` is a scikit-learn estimator or pipeline, or the path of a
    ``.skops``, ``.onnx`` or (with ``trust=True``) pickle file. ``train`` is
    the training data, ``target`` its label column: from them come the
    signature, the reference profile and the lineage fingerprint. With
    ``same_inputs=True`` (and ``parent``, no ``train``) the version keeps the
    parent's signature, reference profile and training data, as a model
    derived from it without retraining does (e.g. recalibrated). ``lineage``
    adds what else produced the version (the loop names the alert, the data
    window and its run), beside the fingerprint, code revision and parent,
    which it cannot replace. ``personal`` marks input columns personal in the
    signature (``{"email": "hash"}``; ``hash``, ``redact`` or ``drop``): every
    writer of the workspace's privacy policy then treats them so unless its
    ``[privacy]`` table names them, and neither the signature nor the reference
    profile keeps their training values.
    """
    check_name(name)
    if target is not None and train is None:
        raise InputError("target was given without train: pass the training data too")
    if train is not None and not isinstance(train, pd.DataFrame):
        raise InputError(f"train must be a pandas DataFrame, got {type(train).__name__}")
    clean_metrics = _check_metrics(metrics or {})
    base = get(ctx, parent) if parent else None
    if same_inputs and (base is None or train is not None):
        raise InputError("same_inputs=True keeps the parent's inputs: pass parent= and no train")
    inherited = base if same_inputs else None
    if train is not None:
        require_clean_audit(ctx, name, fingerprint(train), len(train))

    flavor, blob, loaded = _artifact(ctx, model, trust)
    signature = _signature(loaded, train, target, inherited)
    if personal:
        if signature is None:
            raise InputError(
                "marking columns personal needs the training data (train=), where the columns are"
            )
        signature = signature.mark_personal(personal)
    extra = dict(lineage or {})
    lineage = {
        **extra,
        "data_fingerprint": fingerprint(train)
        if train is not None
        else (inherited.lineage.get("data_fingerprint") if inherited else None),
        "code_revision": code_revision if code_revision is not None else git_revision(),
        "parent": base.ref if base else None,
    }
    stored = _store_blobs(ctx, flavor, blob, loaded, signature, train, inherited)
    who = actor or ctx.settings.actor
    created = _now()
    with ctx.db.write() as s:
        row = s.scalar(select(ModelRow).where(ModelRow.name == name))
        if row is None:
            row = ModelRow(name=name, description=description, created_at=created)
            s.add(row)
            s.flush()
        number = (
            s.scalar(
                select(func.max(ModelVersionRow.version)).where(ModelVersionRow.model_id == row.id)
            )
            or 0
        ) + 1
        card = build_card(
            model=name,
            version=number,
            description=description,
            intended_use=intended_use,
            limitations=list(limitations),
            train=train,
            signature=signature,
            training=inherited.card.get("training_data") if inherited else None,
            metrics=clean_metrics,
            lineage=lineage,
            flavor=flavor,
            sha256=stored.sha256,
            created_at=created.isoformat(timespec="seconds"),
            created_by=who,
        )
        s.add(
            ModelVersionRow(
                model_id=row.id,
                version=number,
                flavor=flavor,
                artifact_key=stored.key,
                artifact_sha256=stored.sha256,
                artifact_size=len(blob),
                profile_key=stored.profile_key,
                profile_sha256=stored.profile_sha256,
                signature=signature.to_dict() if signature else None,
                metrics=clean_metrics,
                lineage=lineage,
                card=card,
                description=description,
                trusted=flavor == "pickle",
                created_at=created,
                created_by=who,
                runtimes=stored.runtimes,
            )
        )
        _audit_registration(s, who, name, number, flavor, stored, lineage["parent"])
    return get(ctx, f"{name}:{number}")


def _artifact(ctx: Context, model: Any, trust: bool) -> tuple[str, bytes, Any]:
    """The model's flavor and bytes, and the model object (None for ONNX).

    Refuses now what could not be loaded later, and loads a trusted pickle to
    learn its classes.
    """
    flavor, blob = _flavors.dump(model, trust=trust)
    loaded = model if not isinstance(model, str) and not hasattr(model, "__fspath__") else None
    if flavor == "sklearn":
        bad = _flavors.untrusted_types(blob, ctx.settings.trusted_types)
        if bad:
            raise UntrustedArtifactError(
                f"the model contains untrusted type(s) {', '.join(bad)}, which could run code "
                "when loaded; add them to trusted_types in driftline.toml if you trust them",
                untrusted=bad,
            )
    if loaded is None and flavor != "onnx":
        loaded = _flavors.load(
            flavor, blob, extra_trusted=ctx.settings.trusted_types, pickle_trusted=trust
        )
    return flavor, blob, loaded


def _signature(
    loaded: Any, train: pd.DataFrame | None, target: str | None, inherited: ModelVersion | None
) -> Signature | None:
    """The inputs the version takes: inferred from ``train``, or the parent's, checked."""
    signature = inherited.signature if inherited else None
    if signature is not None and loaded is not None:
        _check_feature_names(loaded, signature)
    if train is not None:
        classes = _flavors.model_classes(loaded) if loaded is not None else None
        signature = Signature.infer(train, target=target, classes=classes)
        _check_feature_names(loaded, signature)
    return signature


@dataclasses.dataclass(frozen=True)
class _Stored:
    """Where a new version's blobs went, each with its sha256."""

    key: str
    sha256: str
    runtimes: dict[str, Any]
    profile_key: str | None
    profile_sha256: str | None


def _store_blobs(
    ctx: Context,
    flavor: str,
    blob: bytes,
    loaded: Any,
    signature: Signature | None,
    train: pd.DataFrame | None,
    inherited: ModelVersion | None,
) -> _Stored:
    """Write the artifact, its ONNX runtime when one agrees, and the reference profile."""
    key, sha = ctx.artifacts.put_blob(blob)
    runtimes: dict[str, Any] = {}
    if flavor == "sklearn" and signature is not None and train is not None and loaded is not None:
        converted = _onnx.convert(loaded, signature, train)
        if converted is not None:
            onnx_key, onnx_sha = ctx.artifacts.put_blob(converted[0])
            runtimes["onnx"] = {"key": onnx_key, "sha256": onnx_sha, **converted[1]}
    profile_key = inherited.profile_key if inherited else None
    # A parent registered before digests were recorded has the one its key names.
    profile_sha = inherited.profile_sha256 if inherited else None
    if profile_key is not None and profile_sha is None:
        profile_sha = key_digest(profile_key)
    if train is not None:
        # A personal column's training values are not kept (its drift is not followed).
        kept = train.drop(columns=list(signature.personal if signature else ()))
        profile_key, profile_sha = ctx.artifacts.put_blob(_profile_bytes(kept))
    if inherited is not None and "guard" in inherited.runtimes:
        runtimes["guard"] = inherited.runtimes["guard"]
    elif train is not None and signature is not None:
        guard = _guard_bytes(train, signature)
        if guard is not None:
            guard_key, guard_sha = ctx.artifacts.put_blob(guard[0])
            runtimes["guard"] = {"key": guard_key, "sha256": guard_sha, **guard[1]}
    return _Stored(key, sha, runtimes, profile_key, profile_sha)


def _audit_registration(
    s: Session,
    who: str,
    name: str,
    number: int,
    flavor: str,
    stored: _Stored,
    parent: str | None,
) -> None:
    subject = f"{name}:{number}"
    if flavor == "pickle":
        audit.append(
            s,
            actor=who,
            action="artifact.trust",
            subject=subject,
            payload={"kind": "pickle", "sha256": stored.sha256, "decision": "trusted by caller"},
        )
    audit.append(
        s,
        actor=who,
        action="model.register",
        subject=subject,
        payload={
            "version": number,
            "flavor": flavor,
            "sha256": stored.sha256,
            "parent": parent,
            "profile_sha256": stored.profile_sha256,
            "onnx_sha256": stored.runtimes["onnx"]["sha256"] if "onnx" in stored.runtimes else None,
            "guard_sha256": (
                stored.runtimes["guard"]["sha256"] if "guard" in stored.runtimes else None
            ),
        },
    )


def _check_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        if not isinstance(k, str) or not k:
            raise InputError(f"metric names must be non-empty text, got {k!r}")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError(f"metric {k!r} must be a finite number, got {v!r}")
        out[k] = float(v)
    return out


def _check_feature_names(model: Any, signature: Signature) -> None:
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is None:
        return
    fitted = [str(c) for c in fitted]
    if sorted(fitted) != sorted(signature.names):
        raise InputError(
            f"the model was fitted on columns {fitted} but the training data (less the "
            f"target) has {signature.names}; pass the data the model was trained on"
        )


def _profile_bytes(train: pd.DataFrame) -> bytes:
    from driftline.stats import Profile

    profile = Profile.build(train)
    return json.dumps(profile.to_dict(), separators=(",", ":")).encode("utf-8")


# The input guard keeps at most this many training rows: half to compare requests
# with, half to set its threshold; enough for a 1% false-positive rate, and small
# enough that scoring one request costs tens of microseconds.
_GUARD_ROWS = 2000
_GUARD_FPR = 0.01


def _guard_bytes(train: pd.DataFrame, signature: Signature) -> tuple[bytes, dict[str, Any]] | None:
    """The input guard fitted on the training inputs, stored as plain numbers.

    A table too small or too odd to fit one registers without a guard (deploying
    with ``--guard`` then says so) rather than failing the registration.
    """
    from driftline.errors import DriftlineError
    from driftline.represent import FrozenOutlierScorer, OutlierScorer

    # A column marked personal is left out: the scorer would keep its training values.
    marked = signature.personal
    inputs = train[[c for c in signature.names if c in train.columns and c not in marked]]
    if len(inputs) > _GUARD_ROWS:
        inputs = inputs.sample(n=_GUARD_ROWS, random_state=0)
    # Small tables take the smallest rate their held-out half allows.
    fpr = max(_GUARD_FPR, 1.0 / (len(inputs) // 2 + 1))
    if len(inputs) < 20 or fpr > 0.1 or not len(inputs.columns):
        return None
    try:
        scorer = OutlierScorer(fpr=fpr, random_state=0).fit(inputs)
        frozen = FrozenOutlierScorer.freeze(scorer)
    except (DriftlineError, ValueError, TypeError):
        return None
    blob = json.dumps(frozen.to_dict(), separators=(",", ":")).encode("utf-8")
    return blob, {"rows": len(inputs), "fpr": fpr, "threshold": frozen.threshold}


def _model_row(s: Session, name: str) -> ModelRow:
    row = s.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        names = list(s.scalars(select(ModelRow.name).order_by(ModelRow.name)))
        hint = difflib.get_close_matches(name, names, n=1)
        msg = f"no model named {name!r}"
        if hint:
            msg += f"; did you mean {hint[0]!r}?"
        elif names:
            msg += f"; registered models: {', '.join(names[:20])}"
        else:
            msg += "; nothing is registered yet"
        raise NotFoundError(msg)
    return row


def _aliases_of(s: Session, model_id: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for alias, vid in s.execute(
        select(AliasRow.alias, AliasRow.version_id).where(AliasRow.model_id == model_id)
    ):
        out.setdefault(vid, []).append(alias)
    return out


def _to_version(name: str, row: ModelVersionRow, aliases: Sequence[str]) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=row.version,
        flavor=row.flavor,
        sha256=row.artifact_sha256,
        artifact_key=row.artifact_key,
        artifact_size=row.artifact_size,
        profile_key=row.profile_key,
        profile_sha256=row.profile_sha256,
        signature=Signature.from_dict(row.signature) if row.signature else None,
        metrics=dict(row.metrics),
        lineage=dict(row.lineage),
        card=dict(row.card),
        description=row.description,
        trusted=row.trusted,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        aliases=tuple(sorted(aliases)),
        runtimes=dict(row.runtimes or {}),
    )


def _resolve(s: Session, ref: str) -> tuple[ModelRow, ModelVersionRow]:
    name, selector = parse_ref(ref)
    model = _model_row(s, name)
    versions = select(ModelVersionRow).where(ModelVersionRow.model_id == model.id)
    if selector is None:
        row = s.scalar(versions.order_by(ModelVersionRow.version.desc()).limit(1))
    elif isinstance(selector, int):
        row = s.scalar(versions.where(ModelVersionRow.version == selector))
        if row is None:
            numbers = list(
                s.scalars(
                    select(ModelVersionRow.version).where(ModelVersionRow.model_id == model.id)
                )
            )
            raise NotFoundError(
                f"model {name!r} has no version {selector}; "
                + (f"versions are 1 to {max(numbers)}" if numbers else "it has no versions")
            )
    else:
        alias = s.get(AliasRow, (model.id, selector))
        if alias is None:
            known = sorted(s.scalars(select(AliasRow.alias).where(AliasRow.model_id == model.id)))
            raise NotFoundError(
                f"model {name!r} has no alias {selector!r}; "
                + (f"its aliases are: {', '.join(known)}" if known else "it has no aliases yet")
                + f" (set one with: driftline alias set {name} VERSION {selector})"
            )
        row = s.get(ModelVersionRow, alias.version_id)
    if row is None:
        raise NotFoundError(f"model {name!r} has no versions")
    return model, row


def get(ctx: Context, ref: str) -> ModelVersion:
    """Find a version by ``name``, ``name:VERSION`` or ``name@ALIAS``."""
    with ctx.db.read() as s:
        model, row = _resolve(s, ref)
        return _to_version(model.name, row, _aliases_of(s, model.id).get(row.id, []))


def stamp(ctx: Context) -> tuple[Any, ...]:
    """A cheap value that changes whenever a reference may resolve differently.

    Versions and models are only ever inserted, so their count and highest id
    change with every one; aliases move and are removed, so they are listed.
    What serving compares between rounds instead of resolving every reference.
    """
    with ctx.db.read() as s:
        versions = s.execute(select(func.count(ModelVersionRow.id), func.max(ModelVersionRow.id)))
        models = s.execute(select(func.count(ModelRow.id), func.max(ModelRow.id)))
        aliases = s.execute(
            select(AliasRow.model_id, AliasRow.alias, AliasRow.version_id).order_by(
                AliasRow.model_id, AliasRow.alias
            )
        )
        return (tuple(versions.one()), tuple(models.one()), tuple(map(tuple, aliases)))


def list_versions(ctx: Context, name: str) -> list[ModelVersion]:
    with ctx.db.read() as s:
        model = _model_row(s, check_name(name))
        aliases = _aliases_of(s, model.id)
        rows = s.scalars(
            select(ModelVersionRow)
            .where(ModelVersionRow.model_id == model.id)
            .order_by(ModelVersionRow.version)
        )
        return [_to_version(model.name, r, aliases.get(r.id, [])) for r in rows]


def list_models(ctx: Context) -> list[ModelSummary]:
    with ctx.db.read() as s:
        out = []
        for model in s.scalars(select(ModelRow).order_by(ModelRow.name)):
            count, latest, updated = s.execute(
                select(
                    func.count(ModelVersionRow.id),
                    func.max(ModelVersionRow.version),
                    func.max(ModelVersionRow.created_at),
                ).where(ModelVersionRow.model_id == model.id)
            ).one()
            aliases = {
                a: v
                for a, v in s.execute(
                    select(AliasRow.alias, ModelVersionRow.version)
                    .join(ModelVersionRow, ModelVersionRow.id == AliasRow.version_id)
                    .where(AliasRow.model_id == model.id)
                    .order_by(AliasRow.alias)
                )
            }
            out.append(
                ModelSummary(
                    name=model.name,
                    description=model.description,
                    versions=count,
                    latest=latest or 0,
                    aliases=aliases,
                    updated_at=as_utc(updated or model.created_at),
                )
            )
        return out


def set_alias(
    ctx: Context, name: str, version: int, alias: str, *, actor: str | None = None
) -> ModelVersion:
    """Point ``alias`` at ``version``; the move is audited with where it pointed before."""
    check_alias(alias)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"version must be a whole number, got {version!r}")
    with ctx.db.write() as s:
        model, row = _resolve(s, f"{check_name(name)}:{version}")
        current = s.get(AliasRow, (model.id, alias))
        previous = None
        if current is not None:
            prev_row = s.get(ModelVersionRow, current.version_id)
            previous = prev_row.version if prev_row else None
            if current.version_id != row.id:
                current.version_id, current.updated_at = row.id, _now()
        else:
            s.add(AliasRow(model_id=model.id, alias=alias, version_id=row.id, updated_at=_now()))
        if previous != version:
            audit.append(
                s,
                actor=actor or ctx.settings.actor,
                action="alias.set",
                subject=f"{name}@{alias}",
                payload={"alias": alias, "version": version, "previous": previous},
            )
    return get(ctx, f"{name}@{alias}")


def remove_alias(ctx: Context, name: str, alias: str, *, actor: str | None = None) -> None:
    check_alias(alias)
    with ctx.db.write() as s:
        model = _model_row(s, check_name(name))
        current = s.get(AliasRow, (model.id, alias))
        if current is None:
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        prev_row = s.get(ModelVersionRow, current.version_id)
        s.delete(current)
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="alias.remove",
            subject=f"{name}@{alias}",
            payload={"alias": alias, "previous": prev_row.version if prev_row else None},
        )


def load_model(ctx: Context, ref: str | ModelVersion) -> Any:
    """The model object of a version, after checking its sha256 and trusted types."""
    mv = ref if isinstance(ref, ModelVersion) else get(ctx, ref)
    data = _read_blob(ctx, mv, "model artifact", mv.artifact_key, mv.sha256)
    return _flavors.load(
        mv.flavor, data, extra_trusted=ctx.settings.trusted_types, pickle_trusted=mv.trusted
    )


def load_onnx(ctx: Context, ref: str | ModelVersion) -> _flavors.OnnxModel | None:
    """The ONNX conversion made at registration, sha256-verified; None when there is none."""
    mv = ref if isinstance(ref, ModelVersion) else get(ctx, ref)
    info = mv.runtimes.get("onnx")
    if not info:
        return None
    return _flavors.OnnxModel(_read_blob(ctx, mv, "ONNX runtime", info["key"], info["sha256"]))


def load_profile(ctx: Context, ref: str | ModelVersion) -> Profile:
    """The reference profile of a version's training data, sha256-verified."""
    from driftline.stats import Profile

    mv = ref if isinstance(ref, ModelVersion) else get(ctx, ref)
    if mv.profile_key is None:
        raise NotFoundError(
            f"{mv.ref} was registered without training data, so it has no reference profile"
        )
    data = _read_blob(ctx, mv, "reference profile", mv.profile_key, mv.profile_sha256)
    return Profile.from_dict(json.loads(data))


def load_guard(ctx: Context, ref: str | ModelVersion) -> FrozenOutlierScorer | None:
    """The input guard fitted on the training inputs at registration, sha256-verified."""
    from driftline.represent import FrozenOutlierScorer

    mv = ref if isinstance(ref, ModelVersion) else get(ctx, ref)
    info = mv.runtimes.get("guard")
    if not info:
        return None
    data = _read_blob(ctx, mv, "input guard", info["key"], info["sha256"])
    return FrozenOutlierScorer.from_dict(json.loads(data))


def _read_blob(ctx: Context, mv: ModelVersion, kind: str, key: str, sha256: str | None) -> bytes:
    return ctx.artifacts.get_blob(
        key,
        sha256,
        what=f"the {kind} of {mv.ref}",
        remedy=f"register {mv.name} again from a copy you trust",
    )
