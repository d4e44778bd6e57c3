"""Learned representations of rows, and drift and outlier tests on them.

An encoder (``fit``/``transform``) maps rows to vectors: principal
components, an autoencoder's code, the model's own predicted probabilities,
sentence embeddings. Two-sample tests on those vectors (MMD, per-dimension
KS, a domain classifier) detect shifts of whole rows that column-by-column
tests miss; ``OutlierScorer`` guards the input row by row.
"""

from driftline.represent._autoencoder import AutoencoderEncoder
from driftline.represent._base import Encoder, clone
from driftline.represent._classifier import classifier_test
from driftline.represent._detector import RepresentationDetector
from driftline.represent._frozen import FrozenOutlierScorer
from driftline.represent._ks import ks_test
from driftline.represent._mmd import mmd_test
from driftline.represent._model_output import ModelOutputEncoder
from driftline.represent._outlier import OutlierScorer
from driftline.represent._pca import PCAEncoder
from driftline.represent._result import TwoSampleResult
from driftline.represent._tabular import TabularPreprocessor
from driftline.represent._text import TextEncoder

__all__ = [
    "AutoencoderEncoder",
    "Encoder",
    "FrozenOutlierScorer",
    "ModelOutputEncoder",
    "OutlierScorer",
    "PCAEncoder",
    "RepresentationDetector",
    "TabularPreprocessor",
    "TextEncoder",
    "TwoSampleResult",
    "classifier_test",
    "clone",
    "ks_test",
    "mmd_test",
]
