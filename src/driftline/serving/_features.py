"""Serving with feature inputs: a deployment's lookup built when it loads, used per request.

The deployment's :class:`~driftline.features.FeatureBinding` is checked
against the champion's inputs when it is deployed and again when a server
loads it; each request's rows are then completed from the online store before
they are validated, and what was looked up is logged beside the inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline import features, registry
from driftline.features import FeatureBinding, Lookup

if TYPE_CHECKING:
    import pandas as pd

    from driftline.registry import ModelRuntime
    from driftline.store import Context

__all__ = ["check_feature_inputs", "feature_lookup", "with_features"]


def check_feature_inputs(ctx: Context, model: str, ref: str, binding: FeatureBinding) -> None:
    """Refuse a binding the version at ``ref`` cannot use (before anything is written)."""
    version = registry.get(ctx, ref)
    inputs = version.signature.names if version.signature is not None else []
    features.check_binding(ctx, binding, inputs, model)


def feature_lookup(
    ctx: Context, binding: FeatureBinding | None, champion: ModelRuntime
) -> Lookup | None:
    """The lookup a loaded deployment completes its requests with, if it declares one."""
    if binding is None:
        return None
    return Lookup.build(ctx, champion.name, binding, champion.names)


async def with_features(
    lookup: Lookup | None, frame: Any
) -> tuple[Any, list[dict[str, Any]] | None]:
    """``frame`` completed from the online store, and what to log of each row.

    A matrix (the numeric fast path) carries every input already: nothing to complete.
    """
    import pandas as pd

    if lookup is None or not isinstance(frame, pd.DataFrame):
        return frame, None
    completed: pd.DataFrame
    completed, logged = await lookup.complete(frame)
    return completed, logged
