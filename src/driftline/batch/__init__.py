"""Batch scoring: a registered version over a table of any size, resumable, here or on Ray.

:func:`score` reads the input in partitions through :mod:`driftline.io`,
validates each against the signature (rows that break it are set aside
with their reason, the run goes on), predicts with the version's
:class:`~driftline.registry.ModelRuntime`, profiles what it scored against the
reference on the way, and commits each partition atomically under a manifest,
so a run killed at any moment resumes where it stopped. ``engine="ray"`` runs
the same partitions on Ray Data actors (``pip install 'driftline[ray]'``).
"""

from driftline.batch._result import BatchRun, Progress
from driftline.batch._service import Engine, score

__all__ = ["BatchRun", "Engine", "Progress", "score"]
