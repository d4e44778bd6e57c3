"""driftline: run machine-learning models in production and keep them honest.

``import driftline`` stays light: names are imported on first use, so the CLI
and the SDK start fast and heavy extras (torch, ray, sentence-transformers)
load only when a feature needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from driftline._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Workspace": "driftline.workspace",
    "calibration_report": "driftline.calibration",
    "fit_calibrator": "driftline.calibration",
    "CalibratedModel": "driftline.calibration",
    "CalibrationReport": "driftline.calibration",
    "check_quality": "driftline.quality",
    "QualityReport": "driftline.quality",
    "Finding": "driftline.quality",
    "render_html": "driftline.report",
    "Slice": "driftline.slices",
    "SliceReport": "driftline.slices",
    "evaluate_slices": "driftline.slices",
    "discover_slices": "driftline.slices",
    "PCAEncoder": "driftline.represent",
    "AutoencoderEncoder": "driftline.represent",
    "ModelOutputEncoder": "driftline.represent",
    "TextEncoder": "driftline.represent",
    "RepresentationDetector": "driftline.represent",
    "OutlierScorer": "driftline.represent",
    "TwoSampleResult": "driftline.represent",
    "Profile": "driftline.stats",
    "ColumnProfile": "driftline.stats",
    "drift": "driftline.drift",
    "DriftReport": "driftline.drift",
    "evaluate": "driftline.evaluation",
    "estimate_performance": "driftline.estimate",
    "PerformanceEstimate": "driftline.estimate",
    "EvaluationReport": "driftline.evaluation",
    "GatePolicy": "driftline.gate",
    "GateDecision": "driftline.gate",
    "run_gate": "driftline.gate",
    "DriftResult": "driftline.drift",
    "Settings": "driftline.settings",
    "Signature": "driftline.schema",
    "ModelVersion": "driftline.registry",
    "AuditEvent": "driftline.audit",
    "DriftlineError": "driftline.errors",
    "UnavailableError": "driftline.errors",
    "ForbiddenError": "driftline.errors",
    "UnauthenticatedError": "driftline.errors",
    "AuthError": "driftline.errors",
    "ConfigError": "driftline.errors",
    "InputError": "driftline.errors",
    "SchemaError": "driftline.errors",
    "ArtifactError": "driftline.errors",
    "UntrustedArtifactError": "driftline.errors",
    "NotFoundError": "driftline.errors",
    "ConflictError": "driftline.errors",
    "IntegrityError": "driftline.errors",
    "TamperedArtifactError": "driftline.errors",
    "AuditChainError": "driftline.errors",
    "StorageError": "driftline.errors",
    "MissingDependencyError": "driftline.errors",
    "UnreadableDataError": "driftline.errors",
    "DataNotFoundError": "driftline.errors",
    "MixedSchemaError": "driftline.errors",
}

__all__ = [
    "ArtifactError",
    "AuditChainError",
    "AuditEvent",
    "AuthError",
    "AutoencoderEncoder",
    "CalibratedModel",
    "CalibrationReport",
    "ColumnProfile",
    "ConfigError",
    "ConflictError",
    "DataNotFoundError",
    "DriftReport",
    "DriftResult",
    "DriftlineError",
    "EvaluationReport",
    "Finding",
    "ForbiddenError",
    "GateDecision",
    "GatePolicy",
    "InputError",
    "IntegrityError",
    "MissingDependencyError",
    "MixedSchemaError",
    "ModelOutputEncoder",
    "ModelVersion",
    "NotFoundError",
    "OutlierScorer",
    "PCAEncoder",
    "PerformanceEstimate",
    "Profile",
    "QualityReport",
    "RepresentationDetector",
    "SchemaError",
    "Settings",
    "Signature",
    "Slice",
    "SliceReport",
    "StorageError",
    "TamperedArtifactError",
    "TextEncoder",
    "TwoSampleResult",
    "UnauthenticatedError",
    "UnavailableError",
    "UnreadableDataError",
    "UntrustedArtifactError",
    "Workspace",
    "__version__",
    "calibration_report",
    "check_quality",
    "discover_slices",
    "drift",
    "estimate_performance",
    "evaluate",
    "evaluate_slices",
    "fit_calibrator",
    "render_html",
    "run_gate",
]

if TYPE_CHECKING:
    from driftline.audit import AuditEvent
    from driftline.calibration import (
        CalibratedModel,
        CalibrationReport,
        calibration_report,
        fit_calibrator,
    )
    from driftline.drift import DriftReport, DriftResult, drift
    from driftline.errors import (
        ArtifactError,
        AuditChainError,
        AuthError,
        ConfigError,
        ConflictError,
        DataNotFoundError,
        DriftlineError,
        ForbiddenError,
        InputError,
        IntegrityError,
        MissingDependencyError,
        MixedSchemaError,
        NotFoundError,
        SchemaError,
        StorageError,
        TamperedArtifactError,
        UnauthenticatedError,
        UnavailableError,
        UnreadableDataError,
        UntrustedArtifactError,
    )
    from driftline.estimate import PerformanceEstimate, estimate_performance
    from driftline.evaluation import EvaluationReport, evaluate
    from driftline.gate import GateDecision, GatePolicy, run_gate
    from driftline.quality import Finding, QualityReport, check_quality
    from driftline.registry import ModelVersion
    from driftline.report import render_html
    from driftline.represent import (
        AutoencoderEncoder,
        ModelOutputEncoder,
        OutlierScorer,
        PCAEncoder,
        RepresentationDetector,
        TextEncoder,
        TwoSampleResult,
    )
    from driftline.schema import Signature
    from driftline.settings import Settings
    from driftline.slices import Slice, SliceReport, discover_slices, evaluate_slices
    from driftline.stats import ColumnProfile, Profile
    from driftline.workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'driftline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
