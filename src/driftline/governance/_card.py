"""model_card(): a version's card regenerated from everything recorded about it.

The registry wrote the card's first part at registration (intended use,
training data, metrics given, lineage). The rest comes from the records
kept since, each time the card is asked for: the gate's newest decision on
the version, its newest evaluation (metrics with intervals, the slice table,
calibration, the data judged), the recalibration that made it, and its
rollout history and approvals from the audit chain. So a card is never out
of date, and it says nothing the records do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftline import audit, evaluation, registry
from driftline.evaluation import interval_parts, metric_name
from driftline.fairness import DISPARITIES, FIGURES
from driftline.governance._hf import Result, fingerprint, metadata
from driftline.governance._history import history
from driftline.store import EvaluationRow

if TYPE_CHECKING:
    from driftline.evaluation import EvaluationReport
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = ["ModelCard", "model_card"]

# Slices listed in the card's table; the evaluation report holds them all.
MAX_SLICES = 20


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """A version's card as plain data; :meth:`markdown` renders it, :meth:`to_dict` is its JSON."""

    data: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        """Hugging Face model-card metadata (``model-index`` and the rest)."""
        return dict(self.data["metadata"])

    def markdown(self, *, front_matter: bool = True) -> str:
        """The card as markdown, with the metadata as YAML front matter (as the Hub reads it)."""
        from driftline.registry import render_markdown

        return render_markdown(self.data, front_matter=front_matter)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


def _judgements(ctx: Context, mv: ModelVersion, kind: str) -> list[dict[str, Any]]:
    query = (
        select(EvaluationRow)
        .where(
            EvaluationRow.model == mv.name,
            EvaluationRow.version == mv.version,
            EvaluationRow.kind == kind,
        )
        .order_by(EvaluationRow.id.desc())
    )
    with ctx.db.read() as s:
        return [
            {**dict(r.summary), "_by": r.created_by, "_at": r.created_at.isoformat()}
            for r in s.scalars(query)
        ]


def _made_by_calibration(ctx: Context, mv: ModelVersion) -> dict[str, Any] | None:
    """The recalibration that registered this version (recorded against its parent)."""
    query = select(EvaluationRow).where(
        EvaluationRow.model == mv.name, EvaluationRow.kind == "calibration"
    )
    with ctx.db.read() as s:
        for row in s.scalars(query.order_by(EvaluationRow.id.desc())):
            if row.summary.get("version") == mv.version:
                return dict(row.summary)
    return None


def _gate(decisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not decisions:
        return None
    d = decisions[0]
    return {
        "passed": bool(d.get("passed")),
        "headline": d.get("headline", ""),
        "baseline": d.get("baseline"),
        "dataset": fingerprint(str(d.get("dataset", ""))),
        "rows": int(d.get("n_rows", 0)),
        "decided_at": d.get("decided_at") or d["_at"],
        "decided_by": d["_by"],
        "criteria": [
            {"verdict": c.get("verdict"), "name": c.get("name"), "sentence": c.get("sentence")}
            for c in d.get("criteria", [])
        ],
        "earlier": len(decisions) - 1,
    }


def _metrics(report: EvaluationReport) -> list[dict[str, Any]]:
    out = []
    for key, iv in report.metrics.items():
        value, band = interval_parts(iv)
        out.append({"metric": key, "name": metric_name(key), "value": value, "interval": band})
    return out


def _slices(report: EvaluationReport) -> list[dict[str, Any]]:
    rows = []
    for part, kind in ((report.slices, "named"), (report.weak_slices, "found")):
        if part is None:
            continue
        worse = {id(f) for f in part.significant}
        for f in part.findings:
            value, band = interval_parts(f.value) if f.value is not None else ("too few rows", "")
            gap = f.gap
            rows.append(
                {
                    "slice": f.slice.label,
                    "kind": kind,
                    "rows": f.rows,
                    "metric": f.metric,
                    "value": value,
                    "interval": band,
                    "overall": f"{f.overall:.3g}" if math.isfinite(f.overall) else "n/a",
                    "gap": "" if gap is None else f"{gap:+.3f}",
                    "worse": id(f) in worse,
                    "sentence": f.sentence,
                }
            )
    return rows[:MAX_SLICES]


def _fairness(report: EvaluationReport) -> list[dict[str, Any]] | None:
    """Each sensitive attribute's groups and disparities, as the card shows them."""
    if report.fairness is None:
        return None
    out = []
    for attr in report.fairness.attributes.values():
        out.append(
            {
                "attribute": attr.column,
                "outcome": report.fairness.positive,
                "groups": [
                    {
                        "group": g,
                        "rows": f.size,
                        **{k: interval_parts(getattr(f, k))[0] for k in FIGURES},
                    }
                    for g, f in attr.groups.items()
                ],
                "disparities": {k: interval_parts(attr.disparities[k])[0] for k in DISPARITIES},
                "sentences": attr.sentences(report.fairness.positive),
            }
        )
    return out


def _calibration(
    report: EvaluationReport | None, made: dict[str, Any] | None
) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if report is not None and report.calibration is not None:
        c = report.calibration
        out.update(
            ece=round(float(c.ece), 4),
            ece_chance=round(float(c.ece_chance), 4),
            brier=round(float(c.brier), 4),
            miscalibrated=bool(c.miscalibrated),
            sentence=evaluation.calibration_sentence(c),
        )
    if made is not None:
        out["recalibrated"] = (
            f"This version is {made.get('parent')} recalibrated ({made.get('method')}): "
            f"{str(made.get('summary', '')).rstrip('.')}."
        )
    return out or None


def _limitations(
    mv: ModelVersion,
    report: EvaluationReport | None,
    gate: dict[str, Any] | None,
    slices: list[dict[str, Any]],
) -> list[str]:
    notes = list(mv.card.get("limitations", []))
    if report is None:
        notes.append(
            "No evaluation is stored for this version: its accuracy on labelled data, its "
            f"slices and its calibration are unknown (driftline evaluate {mv.ref} --data FILE)."
        )
    else:
        notes += [f"Served worse: {s['sentence']}." for s in slices if s["worse"]]
        if report.calibration is not None and report.calibration.miscalibrated:
            notes.append(evaluation.calibration_sentence(report.calibration))
        quality = report.quality
        if quality is not None and (
            quality.by_severity("critical") or quality.by_severity("warning")
        ):
            notes.append(f"On the evaluation data: {quality.headline}")
        if report.fairness is not None:
            notes += [
                attr.sentences(report.fairness.positive)[0]
                for attr in report.fairness.attributes.values()
                if attr.below_four_fifths
            ]
    if gate is not None and not gate["passed"]:
        notes.append(f"The gate refused it: {gate['headline']}")
    return notes


def _results(report: EvaluationReport | None, decisions: list[dict[str, Any]]) -> list[Result]:
    results = []
    if report is not None:
        results.append(
            Result(
                report.task,
                report.dataset,
                report.n_rows,
                "evaluation",
                {k: iv.value for k, iv in report.metrics.items()},
            )
        )
    for d in decisions[:1]:
        measured = {m["metric"]: m["candidate"]["value"] for m in d.get("metrics", [])}
        results.append(
            Result(
                d.get("task", ""),
                str(d.get("dataset", "")),
                int(d.get("n_rows", 0)),
                "gate decision",
                measured,
            )
        )
    return results


def model_card(ctx: Context, ref: str) -> ModelCard:
    """The card of version ``ref`` (``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS``), regenerated now."""
    mv = registry.get(ctx, ref)
    decisions = _judgements(ctx, mv, "gate")
    found = evaluation.list_evaluations(ctx, mv.ref, limit=1)
    report = found[0] if found else None
    gate = _gate(decisions)
    slices = _slices(report) if report is not None else []
    past = history(audit.events(ctx.db, subject=mv.name), mv.name, mv.version)
    task = report.task if report is not None else (decisions[0].get("task") if decisions else None)
    if task is None and mv.signature is not None and mv.signature.output is not None:
        task = mv.signature.output.task
    evaluated = None
    if report is not None:
        evaluated = {
            "id": report.id,
            "dataset": fingerprint(report.dataset),
            "rows": report.n_rows,
            "target": report.target,
            "headline": report.headline,
            "confidence": report.confidence,
            "metrics": _metrics(report),
            "quality": report.quality.headline if report.quality is not None else None,
            "fairness": _fairness(report),
            "evaluated_at": report.created_at,
            "evaluated_by": report.created_by,
        }
    card = {
        **mv.card,
        "aliases": list(mv.aliases),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "gate": gate,
        "evaluation": evaluated,
        "slices": slices,
        "calibration": _calibration(report, _made_by_calibration(ctx, mv)),
        "limitations": _limitations(mv, report, gate, slices),
        "rollout": [e.to_dict() for e in past.rollout],
        "approvals": [e.to_dict() for e in past.approvals],
        "metadata": metadata(
            name=mv.name,
            flavor=mv.flavor,
            task=task,
            training=mv.lineage.get("data_fingerprint"),
            results=_results(report, decisions),
        ),
    }
    return ModelCard(card)
