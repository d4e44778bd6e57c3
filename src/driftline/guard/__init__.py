"""The serving guard: inputs unlike training, answers that reveal less, callers held to a rate.

A deployment carries a :class:`GuardPolicy` (``driftline deploy --guard``). The
server keeps one :class:`Guard` per deployed model: it scores each request's
inputs with the outlier scorer fitted at registration (logging, flagging or
refusing those unlike training), rounds or trims the probabilities it
answers, holds each token and client address to a token-bucket rate (counted in a
store the server's workers share: :func:`open_buckets`), and
opens a query-sweep alert when one caller's inputs look like a systematic
sweep (how models are copied).
"""

from driftline.guard._guard import SWEEP_RULE, Guard, Scores, open_sweep_alert
from driftline.guard._harden import harden
from driftline.guard._limits import Buckets, LocalBuckets, RateLimiter
from driftline.guard._policy import MODES, GuardPolicy
from driftline.guard._shared import RedisBuckets, SqliteBuckets, open_buckets
from driftline.guard._sweep import (
    GRID_DISTINCT,
    NEAR,
    SWEEP_SHARE,
    SweepFinding,
    SweepWatch,
    typical_distance,
)

__all__ = [
    "GRID_DISTINCT",
    "MODES",
    "NEAR",
    "SWEEP_RULE",
    "SWEEP_SHARE",
    "Buckets",
    "Guard",
    "GuardPolicy",
    "LocalBuckets",
    "RateLimiter",
    "RedisBuckets",
    "Scores",
    "SqliteBuckets",
    "SweepFinding",
    "SweepWatch",
    "harden",
    "open_buckets",
    "open_sweep_alert",
    "typical_distance",
]
