"""Deployments follow the database: load what changed, swap it whole, and fail alone.

A deployment that cannot be loaded (a version without a signature, a file
that fails its digest, a model that raises on its first call, a row changed
behind driftline's back) does not hold up the others: its old routes keep
serving, the failure is logged once (not every round) and is kept in
:attr:`Loader.failures` for ``/v2/health`` and ``/metrics``. The same change
is tried again after ``retry_s``, or at once when the deployment changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from driftline import registry
from driftline.errors import DriftlineError, NotFoundError
from driftline.registry import ModelRuntime
from driftline.serving._batcher import Batcher
from driftline.serving._deployments import DeploymentSpec, deployments_stamp, list_deployments
from driftline.serving._features import feature_lookup
from driftline.serving._metrics import Metrics
from driftline.serving._router import Deployment, Route
from driftline.store import Context

__all__ = ["LoadFailure", "Loader"]

logger = logging.getLogger("driftline.serving")

Versions = dict[str, int]  # route -> version number
# What the database says: each deployment's versions by route, and those that could not be read.
Snapshot = tuple[
    dict[str, tuple[DeploymentSpec, Versions]], dict[str, tuple[DeploymentSpec, Exception]]
]


@dataclasses.dataclass(frozen=True)
class LoadFailure:
    """Why the deployment of one model could not be (re)loaded; what was served stays."""

    spec: DeploymentSpec
    versions: Versions  # what it should now serve; empty when even that is unknown
    error: str
    since: dt.datetime
    retry_at: float  # monotonic time of the next attempt, unless the deployment changes first


class Loader:
    """The live deployments of one server, and what keeps them in step with the database."""

    def __init__(
        self,
        ctx: Context,
        metrics: Metrics,
        *,
        make_batcher: Callable[[str, ModelRuntime], Batcher],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        retry_s: float,
    ) -> None:
        self.ctx = ctx
        self.metrics = metrics
        self.make_batcher = make_batcher
        self.spawn = spawn
        self.retry_s = retry_s
        self.deployments: dict[str, Deployment] = {}
        self.failures: dict[str, LoadFailure] = {}
        # Why the last round failed as a whole (the database is down, say), if it did.
        self.reload_error: str | None = None
        self._unresolved: set[str] = set()  # references already warned about
        # What the database held when the last round began; while it stays the same,
        # a round costs one cheap read instead of resolving every reference (which
        # took the serving core for about a millisecond, a slow request's worth).
        self._stamp: tuple[Any, ...] | None = None

    async def reload(self, stamp: tuple[Any, ...] | None = None) -> None:
        """Load what changed; swap each deployment whole, so no request sees half a change.

        ``stamp``: one read just before this call (see :meth:`watch`), else read here;
        either way before the snapshot, so a change made meanwhile shows next round.
        """
        self._stamp = None  # until this round has read what the stamp stands for
        stamp, (wanted, unreadable) = await asyncio.to_thread(self._read, stamp)
        for model, (spec, exc) in unreadable.items():
            self._failed(model, spec, {}, exc)
        for model, (spec, versions) in wanted.items():
            old = self.deployments.get(model)
            if old is not None and old.spec == spec and old.versions == versions:
                self._recovered(model)
                continue
            if self._failed_lately(model, spec, versions):
                continue
            try:
                new = await asyncio.to_thread(self._build, spec, versions, old)
            except Exception as exc:
                self._failed(model, spec, versions, exc)
                continue
            self.deployments[model] = new
            if old is not None:
                self._retire(old, new)
            self._recovered(model)
            logger.info("deployment %s now serves %s", model, versions)
        for model in set(self.deployments) - set(wanted) - set(unreadable):
            self._retire(self.deployments.pop(model), None)
        for model in set(self.failures) - set(wanted) - set(unreadable):
            self._recovered(model)
        self._stamp = stamp

    async def watch(self, interval_s: float) -> None:
        """Reload every ``interval_s`` until cancelled; nothing else ends it."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                stamp = await asyncio.to_thread(self._read_stamp)
                if stamp == self._stamp and not self._retry_due():
                    continue
                await self.reload(stamp)
            except Exception as exc:
                error = _describe(exc)
                if error != self.reload_error:  # once per kind of failure, not every round
                    logger.error("could not reload deployments: %s", error, exc_info=exc)
                self.reload_error = error
            else:
                if self.reload_error is not None:
                    logger.info("deployments reload again")
                self.reload_error = None

    # -- what the database says --------------------------------------------------

    def _read(self, stamp: tuple[Any, ...] | None) -> tuple[tuple[Any, ...], Snapshot]:
        """The stamp (unless given), then the snapshot it stands for."""
        return (stamp if stamp is not None else self._read_stamp()), self._snapshot()

    def _read_stamp(self) -> tuple[Any, ...]:
        return (deployments_stamp(self.ctx), registry.stamp(self.ctx))

    def _retry_due(self) -> bool:
        """Whether a deployment that failed to load is due another try."""
        now = time.monotonic()
        return any(failure.retry_at <= now for failure in self.failures.values())

    def _snapshot(self) -> Snapshot:
        """Each deployment's versions by route, and the deployments that could not be read."""
        wanted = {}
        unreadable = {}
        unresolved = set()
        for spec in list_deployments(self.ctx):
            versions = {}
            try:
                for route, ref in spec.refs().items():
                    try:
                        versions[route] = registry.get(self.ctx, ref).version
                    except NotFoundError:
                        unresolved.add(ref)
                        if ref not in self._unresolved:  # once, not every round
                            logger.warning(
                                "deployment %s: %s does not resolve; route %s off",
                                spec.model,
                                ref,
                                route,
                            )
            except Exception as exc:  # this deployment's rows are damaged, not the others'
                unreadable[spec.model] = (spec, exc)
                continue
            if "champion" in versions:
                wanted[spec.model] = (spec, versions)
        self._unresolved = unresolved
        return wanted, unreadable

    def _build(
        self, spec: DeploymentSpec, versions: Versions, old: Deployment | None
    ) -> Deployment:
        routes: dict[str, Route] = {}
        for name, number in versions.items():
            reuse = old.routes.get(name) if old is not None else None
            if reuse is not None and reuse.runtime.version.version == number:
                routes[name] = reuse
                continue
            runtime = ModelRuntime.load(self.ctx, f"{spec.model}:{number}")
            routes[name] = Route(name, runtime, self.make_batcher(name, runtime))
        lookup = feature_lookup(self.ctx, spec.features, routes["champion"].runtime)
        return Deployment(spec, routes, versions, lookup)

    def _retire(self, old: Deployment, new: Deployment | None) -> None:
        if old.features is not None:
            old.features.close()  # each load opens its own; requests in flight hold none
        kept = {id(r.batcher) for r in new.routes.values()} if new else set()
        for route in old.routes.values():
            if id(route.batcher) not in kept:
                # Requests already queued on the old batcher still get their answer.
                self.spawn(route.batcher.stop())

    # -- failures --------------------------------------------------------------------

    def _failed_lately(self, model: str, spec: DeploymentSpec, versions: Versions) -> bool:
        """True when this very change failed to load and its retry is not due yet."""
        failure = self.failures.get(model)
        return (
            failure is not None
            and (failure.spec, failure.versions) == (spec, versions)
            and time.monotonic() < failure.retry_at
        )

    def _failed(self, model: str, spec: DeploymentSpec, versions: Versions, exc: Exception) -> None:
        error = _describe(exc)
        previous = self.failures.get(model)
        self.failures[model] = LoadFailure(
            spec,
            versions,
            error,
            previous.since if previous is not None else dt.datetime.now(dt.UTC),
            time.monotonic() + self.retry_s,
        )
        self.metrics.deployment_failing.labels(model).set(1)
        if previous is not None and (previous.error, previous.versions) == (error, versions):
            return  # the same failure again: said already
        self.metrics.load_failures.labels(model).inc()
        served = self.deployments.get(model)
        keeps = f"it keeps serving {served.versions}" if served else "it serves nothing"
        # The traceback of an unexpected error, once, for whoever has to fix it.
        logger.error(
            "deployment %s cannot load %s: %s; %s",
            model,
            versions or spec.refs(),
            error,
            keeps,
            exc_info=None if isinstance(exc, DriftlineError) else exc,
        )

    def _recovered(self, model: str) -> None:
        if self.failures.pop(model, None) is not None:
            self.metrics.deployment_failing.labels(model).set(0)
            logger.info("deployment %s loads again", model)


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, DriftlineError) else f"{type(exc).__name__}: {exc}"
