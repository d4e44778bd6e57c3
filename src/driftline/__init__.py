"""driftline: run machine-learning models in production and keep them honest.

``import driftline`` stays light: names are imported on first use, so the CLI
and the SDK start fast and heavy extras (torch, ray, sentence-transformers)
load only when a feature needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Workspace": "driftline.workspace",
    "check_quality": "driftline.quality",
    "QualityReport": "driftline.quality",
    "Finding": "driftline.quality",
    "render_html": "driftline.report",
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
}

__all__ = [
    "ArtifactError",
    "AuditChainError",
    "AuditEvent",
    "AuthError",
    "AutoencoderEncoder",
    "ColumnProfile",
    "ConfigError",
    "ConflictError",
    "DriftReport",
    "DriftResult",
    "DriftlineError",
    "Finding",
    "ForbiddenError",
    "InputError",
    "IntegrityError",
    "MissingDependencyError",
    "ModelOutputEncoder",
    "ModelVersion",
    "NotFoundError",
    "OutlierScorer",
    "PCAEncoder",
    "Profile",
    "QualityReport",
    "RepresentationDetector",
    "SchemaError",
    "Settings",
    "Signature",
    "StorageError",
    "TamperedArtifactError",
    "TextEncoder",
    "TwoSampleResult",
    "UnauthenticatedError",
    "UnavailableError",
    "UntrustedArtifactError",
    "Workspace",
    "__version__",
    "check_quality",
    "drift",
    "render_html",
]

if TYPE_CHECKING:
    from driftline.audit import AuditEvent
    from driftline.drift import DriftReport, DriftResult, drift
    from driftline.errors import (
        ArtifactError,
        AuditChainError,
        AuthError,
        ConfigError,
        ConflictError,
        DriftlineError,
        ForbiddenError,
        InputError,
        IntegrityError,
        MissingDependencyError,
        NotFoundError,
        SchemaError,
        StorageError,
        TamperedArtifactError,
        UnauthenticatedError,
        UnavailableError,
        UntrustedArtifactError,
    )
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
