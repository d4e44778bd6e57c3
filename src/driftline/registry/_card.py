"""Model cards (Mitchell et al., 2019), rendered from what the registry knows.

The registry writes a card's first part at registration; ``driftline.governance``
regenerates the whole card later from the records kept since (gate, evaluation,
rollout, approvals) and renders it with the same template, whose later
sections appear only when the card has them. Metadata, when given, leads
the markdown as YAML front matter, as the Hugging Face Hub reads a card.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any

import jinja2
import pandas as pd

from driftline.schema import Signature

__all__ = ["build_card", "render_markdown", "yaml_front_matter"]

FORMAT = 1


def build_card(
    *,
    model: str,
    version: int,
    description: str,
    intended_use: str | None,
    limitations: list[str],
    train: pd.DataFrame | None,
    signature: Signature | None,
    metrics: dict[str, Any],
    training: dict[str, Any] | None = None,
    lineage: dict[str, Any],
    flavor: str,
    sha256: str,
    created_at: str,
    created_by: str,
) -> dict[str, Any]:
    """The card as plain JSON-able data.

    ``training`` is the training-data section of a parent whose training data
    this version shares (it was derived without retraining).
    """
    notes = list(limitations)
    if train is not None and signature is not None:
        target = signature.output.target if signature.output else None
        features: list[dict[str, Any]] = []
        for spec in signature.columns:
            if spec.categories is not None:
                shown = ", ".join(spec.categories[:8])
                values = shown + (
                    f" (+{len(spec.categories) - 8} more)" if len(spec.categories) > 8 else ""
                )
            elif spec.min is not None:
                values = f"{spec.min:g} to {spec.max:g}"
            else:
                values = "free text" if spec.kind == "string" else "-"
            features.append(
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "observed": values,
                    "missing_rate": float(train[spec.name].isna().mean()) if len(train) else 0.0,
                }
            )
        summary = None
        if target is not None:
            y = train[target]
            if signature.output and signature.output.task == "classification":
                shares = y.value_counts(normalize=True).sort_index()
                summary = "classes " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items())
                smallest = shares.min() if len(shares) else 1.0
                if smallest < 0.1:
                    notes.append(
                        f"Class {shares.idxmin()} is only {smallest:.1%} of the training rows; "
                        "expect weaker recall on it."
                    )
            else:
                summary = f"mean {y.mean():.4g}, from {y.min():.4g} to {y.max():.4g}"
        training = {
            "rows": len(train),
            "target": target,
            "target_summary": summary,
            "fingerprint": lineage.get("data_fingerprint"),
            "features": features,
        }
        notes.append(
            f"Trained on {len(train):,} rows; inputs outside the ranges and categories above "
            "are extrapolation, and monitoring flags them."
        )
        missing = [str(f["name"]) for f in features if f["missing_rate"] > 0]
        if missing:
            notes.append(f"Columns with missing values in training: {', '.join(missing)}.")
    elif training is not None:
        notes.append(
            f"Derived from {lineage.get('parent')} without retraining: same inputs and training data."
        )
    else:
        notes.append("No training data was registered: drift cannot be measured against it.")
    if not metrics:
        notes.append("No evaluation metrics were given at registration.")
    task = signature.output.task if signature and signature.output else None
    default_use = (
        f"{(task or 'prediction').capitalize()} of `{signature.output.target}` "
        "for inputs like the training data described below."
        if signature and signature.output
        else "Not stated at registration."
    )
    return {
        "format": FORMAT,
        "model": model,
        "version": version,
        "description": description,
        "intended_use": intended_use or default_use,
        "training_data": training,
        "metrics": metrics,
        "limitations": notes,
        "lineage": lineage,
        "flavor": flavor,
        "sha256": sha256,
        "created_at": created_at,
        "created_by": created_by,
    }


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("driftline.registry", "templates"),
        autoescape=False,  # markdown, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("model_card.md.j2")


def render_markdown(card: dict[str, Any], *, front_matter: bool = True) -> str:
    """The card as markdown; its ``metadata`` (if any) as YAML front matter first."""
    # The template's optional sections leave runs of blank lines where they are absent.
    body = re.sub(r"\n{3,}", "\n\n", _template().render(card=card))
    meta = card.get("metadata")
    if front_matter and meta:
        return yaml_front_matter(meta) + "\n" + body
    return body


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _scalar(value: Any) -> str:
    # JSON's scalars are YAML's too: a string in double quotes reads the same in both.
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


def _yaml(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if _PLAIN_KEY.match(str(key)) else json.dumps(str(key))
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{name}:")
                lines += _yaml(item, indent + 1)
            else:
                lines.append(f"{pad}{name}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                inner = _yaml(item, indent + 1)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def yaml_front_matter(metadata: dict[str, Any]) -> str:
    """``metadata`` as a YAML block between ``---`` lines, as model cards on the Hub begin.

    >>> print(yaml_front_matter({"tags": ["driftline"], "model-index": [{"name": "churn"}]}))
    ---
    tags:
      - "driftline"
    model-index:
      - name: "churn"
    ---
    <BLANKLINE>
    """
    return "---\n" + "\n".join(_yaml(metadata, 0)) + "\n---\n"
