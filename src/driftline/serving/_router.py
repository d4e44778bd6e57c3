"""Routing inside a deployment: champion, a sticky canary share, and a shadow copy."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from driftline.features import Lookup
from driftline.registry import ModelRuntime
from driftline.serving._batcher import Batcher
from driftline.serving._deployments import DeploymentSpec

__all__ = ["Deployment", "Route", "bucket"]


def bucket(key: str) -> float:
    """A stable number in [0, 100) for ``key``: the same caller always lands the same side."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000 / 100


@dataclass
class Route:
    name: str  # champion, canary or shadow
    runtime: ModelRuntime
    batcher: Batcher


class Deployment:
    """The live routes of one deployed model; replaced whole when an alias moves."""

    def __init__(
        self,
        spec: DeploymentSpec,
        routes: dict[str, Route],
        versions: dict[str, int],
        features: Lookup | None = None,
    ):
        self.spec = spec
        self.routes = routes
        self.features = features  # completes requests' inputs from feature views
        self.versions = versions  # route -> version number: what the watcher compares
        self._random = random.Random()

    @property
    def champion(self) -> Route:
        return self.routes["champion"]

    @property
    def shadow(self) -> Route | None:
        return self.routes.get("shadow")

    def choose(self, key: str | None) -> Route:
        canary = self.routes.get("canary")
        if canary is None:
            return self.champion
        draw = bucket(key) if key else self._random.random() * 100
        return canary if draw < self.spec.canary_percent else self.champion
