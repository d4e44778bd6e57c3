"""The demo: a simulated year of loan applications told as the story of one model's life.

``driftline demo`` (and ``make demo``) runs :func:`run`: a fresh workspace,
the first model trained, judged, calibrated, gated and served with features
looked up by customer id; a year of traffic through the real HTTP API and a
batch job; the monitor, the estimate and the loop at work; a summary.
:func:`simulate` is the world on its own, for experiments.
"""

from driftline.demo._result import Story
from driftline.demo._setup import new_model
from driftline.demo._show import Show
from driftline.demo._story import run
from driftline.demo._world import Year, simulate

__all__ = ["Show", "Story", "Year", "new_model", "run", "simulate"]
