"""Output hardening: answers that reveal less of the model than its full probabilities.

A copy of a model is trained on its answers; full-precision probabilities
tell an attacker the most per query. Rounding, keeping only the top classes,
or answering labels alone cut what each answer teaches. The inference log
keeps the full answer: monitoring needs it, and the log is not the caller's.
"""

from __future__ import annotations

import numpy as np

from driftline.guard._policy import GuardPolicy
from driftline.registry import Prediction

__all__ = ["harden"]


def harden(prediction: Prediction, policy: GuardPolicy) -> Prediction:
    """``prediction`` as ``policy`` allows the caller to see it.

    Top-k keeps the shape of the probability matrix (the V2 protocol declares
    it) and sets the other classes to 0.
    """
    probs = prediction.probabilities
    if probs is None or not policy.hardens:
        return prediction
    if policy.labels_only:
        return Prediction(prediction.labels, None)
    out = np.asarray(probs, dtype=np.float64)
    if policy.top_k is not None and policy.top_k < out.shape[1]:
        # Ties at the cut keep the earlier class, as argsort's stable order does.
        order = np.argsort(-out, axis=1, kind="stable")[:, : policy.top_k]
        kept = np.zeros_like(out)
        rows = np.arange(len(out))[:, None]
        kept[rows, order] = out[rows, order]
        out = kept
    if policy.round is not None:
        out = np.round(out, policy.round)
    return Prediction(prediction.labels, out)
