"""run_gate(): may the candidate version replace the baseline? Decide, record, audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline import registry
from driftline.errors import InputError, NotFoundError
from driftline.gate._decision import GateDecision
from driftline.gate._evidence import Evidence
from driftline.gate._judge import judge
from driftline.gate._policy import GatePolicy
from driftline.metrics import Predictions, predict

if TYPE_CHECKING:
    import pandas as pd

    from driftline.quality import QualityReport
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = ["resolve_ref", "run_gate"]


def resolve_ref(name: str, which: str | int) -> str:
    """``challenger`` -> ``name@challenger``; ``3`` -> ``name:3``; a full ref is kept."""
    if isinstance(which, bool) or not isinstance(which, str | int):
        raise InputError(f"a version is an alias, a version number or NAME@ALIAS, got {which!r}")
    text = str(which).strip()
    if not text:
        raise InputError("a version is an alias, a version number or NAME@ALIAS, got ''")
    if text.isdigit():
        return f"{name}:{text}"
    if "@" in text or ":" in text:
        return text
    return f"{name}@{text}"


def _policy(policy: GatePolicy | str | Path | None, task: str) -> GatePolicy:
    if policy is None:
        return GatePolicy.default(task)
    if isinstance(policy, GatePolicy):
        return policy
    if isinstance(policy, str | Path):
        return GatePolicy.from_toml(policy)
    raise InputError(
        f"policy must be a GatePolicy, a TOML file path or TOML text, got {type(policy).__name__}"
    )


def run_gate(
    ctx: Context,
    name: str,
    *,
    candidate: str | int = "challenger",
    baseline: str | int | None = "champion",
    data: Any,
    target: str,
    policy: GatePolicy | str | Path | None = None,
    seed: int = 0,
    actor: str | None = None,
) -> GateDecision:
    """Judge version ``candidate`` of model ``name`` against ``baseline`` on labelled ``data``.

    ``candidate`` and ``baseline`` are aliases (``"challenger"``), version
    numbers or full refs (``"churn:3"``); ``baseline=None`` judges the
    candidate alone (regression criteria then fail: there is nothing to
    compare with). ``data`` is a DataFrame or a CSV/Parquet path holding the
    model's inputs and the label column ``target``; both versions score the
    same rows. ``policy`` is a :class:`GatePolicy`, a TOML path or text, or
    None for :meth:`GatePolicy.default`.

    The decision is stored (table ``evaluations``, kind ``gate``) and
    recorded in the audit chain (action ``gate.decision``). A criterion that
    cannot be evaluated fails; a missing candidate, data file, label column
    or bad policy raises (:class:`InputError`, :class:`NotFoundError`).
    """
    from driftline.evaluation import read_labelled, split_batch
    from driftline.io import fingerprint

    cand_mv = registry.get(ctx, resolve_ref(name, candidate))
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be a whole number, got {seed!r}")
    loaded_policy = policy if isinstance(policy, GatePolicy) else None
    if policy is not None and loaded_policy is None:
        loaded_policy = _policy(policy, "binary")  # bad policy: fail before any work

    notes: list[str] = []
    base_mv: ModelVersion | None = None
    base_missing: str | None = None
    if baseline is None:
        base_missing = "no baseline version was given"
    else:
        try:
            base_mv = registry.get(ctx, resolve_ref(name, baseline))
        except NotFoundError as exc:
            base_missing = f"the baseline could not be found ({exc})"
    if base_mv is not None and base_mv.ref == cand_mv.ref:
        notes.append(f"the candidate and the baseline are the same version ({cand_mv.ref})")

    frame = read_labelled(data, signature=cand_mv.signature)
    cand_model = registry.load_model(ctx, cand_mv)
    batch = split_batch(frame, target, signature=cand_mv.signature, model=cand_model)
    if batch.dropped:
        notes.append(f"{batch.dropped:,} rows without a label were left out")
    cand_pred = predict(cand_model, batch.features)
    y_true = np.asarray(batch.labels)

    base_pred: Predictions | None = None
    if base_mv is not None:
        try:
            base_model = registry.load_model(ctx, base_mv)
            base_batch = split_batch(frame, target, signature=base_mv.signature, model=base_model)
            base_pred = predict(base_model, base_batch.features)
        except InputError as exc:
            base_missing = f"the baseline {base_mv.ref} cannot score this data ({exc})"

    used = loaded_policy or _policy(None, cand_pred.task)
    quality, quality_missing = (None, None)
    if used.quality:
        quality, quality_missing = _check_quality(ctx, cand_mv, frame, target)

    slices = []
    if used.slices is not None:
        from driftline.gate._slicing import slice_masks

        slices = slice_masks(used.slices, batch.frame)
    fairness, fairness_missing = _fairness(used, batch.frame, y_true, cand_pred, seed)
    evidence = Evidence(
        y_true=y_true,
        frame=batch.frame,
        candidate=cand_pred,
        baseline=base_pred,
        baseline_missing=base_missing,
        quality=quality,
        quality_missing=quality_missing,
        slices=slices,
        fairness=fairness,
        fairness_missing=fairness_missing,
        audit=_audit(ctx, cand_mv) if used.require_audit else None,
        candidate_name=cand_mv.ref,
        baseline_name=base_mv.ref if base_mv is not None else "the baseline",
    )
    found = judge(used, evidence, seed=seed)
    decided = dt.datetime.now(dt.UTC)
    decision = GateDecision(
        model=cand_mv.name,
        candidate=cand_mv.ref,
        baseline=base_mv.ref if base_mv is not None else None,
        criteria=found.criteria,
        policy=used,
        dataset=fingerprint(frame).removeprefix("sha256:"),
        n_rows=len(y_true),
        task=cand_pred.task,
        metrics=found.metrics,
        slices=found.slices,
        notes=notes,
        seed=seed,
        decided_at=decided.isoformat(timespec="seconds"),
    )
    _record(ctx, decision, cand_mv, decided, actor or ctx.settings.actor)
    return decision


def _fairness(
    policy: GatePolicy, frame: pd.DataFrame, y_true: np.ndarray, pred: Predictions, seed: int
) -> tuple[Any, str | None]:
    """The candidate's group fairness on the policy's sensitive columns, or why not."""
    if not policy.fairness:
        return None, None
    from driftline.fairness import group_fairness

    if pred.task != "binary" or pred.classes is None:
        return None, f"fairness figures need a model with two outcomes; this one is {pred.task}"
    missing = [c for c in policy.fairness if c not in frame.columns]
    present = [c for c in policy.fairness if c in frame.columns]
    note = None
    if missing:
        note = f"the data has no column {', '.join(map(repr, missing))} to group rows by"
    if not present:
        return None, note
    report = group_fairness(
        y_true,
        pred.y_pred,
        {c: frame[c].to_numpy() for c in present},
        positive=pred.classes[1],
        confidence=policy.confidence,
        n_resamples=policy.n_resamples,
        seed=seed,
    )
    return report, note


def _audit(ctx: Context, mv: ModelVersion) -> dict[str, Any] | None:
    """The recorded audit of the data the candidate was trained on."""
    from driftline.dataaudit import recorded_audit

    data = mv.lineage.get("data_fingerprint")
    return recorded_audit(ctx, str(data)) if data else None


def _check_quality(
    ctx: Context, mv: ModelVersion, frame: pd.DataFrame, target: str
) -> tuple[QualityReport | None, str | None]:
    """The data check of the evaluation rows against the candidate's training data."""
    from driftline.quality import check_quality

    try:
        profile = registry.load_profile(ctx, mv)
    except NotFoundError:
        profile = None
    if profile is None and mv.signature is None:
        return None, f"{mv.ref} was registered without training data or a signature"
    known = profile is not None and target in profile.columns
    report = check_quality(
        None,
        frame,
        signature=mv.signature,
        target=target if known else None,
        profile=profile,
    )
    return report, None


def _record(
    ctx: Context, decision: GateDecision, mv: ModelVersion, when: dt.datetime, who: str
) -> None:
    from driftline.evaluation import record_judgement

    record_judgement(
        ctx,
        mv,
        kind="gate",
        dataset=decision.dataset,
        summary=decision.to_dict(),
        action="gate.decision",
        payload={
            "passed": decision.passed,
            "candidate": decision.candidate,
            "baseline": decision.baseline,
            "dataset": decision.dataset,
            "rows": decision.n_rows,
            "failed": [c.name for c in decision.failed],
            "criteria": len(decision.criteria),
        },
        actor=who,
        created=when,
    )
