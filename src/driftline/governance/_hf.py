"""Hugging Face model-card metadata: the front matter that makes a card readable by the Hub.

``model-index`` holds one result per judgement driftline measured (each
stored evaluation, each gate decision), with the metrics and the data they
were measured on, named by its fingerprint (``sha256:...``) since the data
are not a published dataset. Metrics given by hand at registration are not
results: they name no data.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from driftline.metrics import metric_label

__all__ = ["Result", "metadata"]

_TASKS = {
    "binary": ("tabular-classification", "Tabular Classification"),
    "multiclass": ("tabular-classification", "Tabular Classification"),
    "regression": ("tabular-regression", "Tabular Regression"),
}
_LIBRARIES = {"sklearn": "sklearn", "pickle": "sklearn", "onnx": "onnx"}


def fingerprint(digest: str) -> str:
    """A data fingerprint spelled one way: ``sha256:<hex>``."""
    return digest if digest.startswith("sha256:") else f"sha256:{digest}"


@dataclasses.dataclass(frozen=True)
class Result:
    """Metrics measured by one judgement on one set of labelled rows."""

    task: str
    dataset: str
    rows: int
    source: str  # "evaluation" or "gate decision"
    metrics: dict[str, float]

    def to_model_index(self) -> dict[str, Any]:
        kind, said = _TASKS.get(self.task, ("tabular-classification", "Tabular Classification"))
        data = fingerprint(self.dataset)
        return {
            "task": {"type": kind, "name": said},
            "dataset": {"type": data, "name": f"{self.rows:,} labelled rows ({self.source})"},
            "metrics": [
                {"type": k, "value": float(v), "name": metric_label(k), "verified": False}
                for k, v in self.metrics.items()
                if v is not None and math.isfinite(v)
            ],
        }


def metadata(
    *, name: str, flavor: str, task: str | None, training: str | None, results: list[Result]
) -> dict[str, Any]:
    """The card's metadata in the Hub's vocabulary (``model-index`` only when there are results)."""
    kind = _TASKS.get(task or "", (None, None))[0]
    data = [fingerprint(training)] if training else []
    data += [fingerprint(r.dataset) for r in results if fingerprint(r.dataset) not in data]
    out: dict[str, Any] = {
        "library_name": _LIBRARIES.get(flavor, flavor),
        "tags": ["driftline", *([kind] if kind else [])],
        "datasets": list(dict.fromkeys(data)),
        "metrics": sorted({k for r in results for k in r.metrics}),
    }
    indexed = [r.to_model_index() for r in results]
    indexed = [r for r in indexed if r["metrics"]]
    if indexed:
        out["model-index"] = [{"name": name, "results": indexed}]
    return out
