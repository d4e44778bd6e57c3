"""Is a batch fit to be scored? Data-quality checks against the training data.

:func:`check_quality` compares a batch with the reference (the training
data, its profile or the model's signature) and returns a
:class:`QualityReport` of :class:`Finding` objects, each with a severity,
a plain-language message and the numbers behind it. Like
:mod:`driftline.drift`, a check warns only about differences that are both
beyond chance and large enough to matter.
"""

from __future__ import annotations

from driftline.quality._api import check_quality
from driftline.quality._finding import SEVERITIES, Finding, Severity
from driftline.quality._report import QualityReport
from driftline.quality._words import problem_words

__all__ = ["SEVERITIES", "Finding", "QualityReport", "Severity", "check_quality", "problem_words"]
