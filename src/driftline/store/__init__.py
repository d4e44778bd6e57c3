"""Storage: the metadata database, its migrations, the artifact store, the inference log.

Knows nothing of statistics or models; services compose it.
"""

from driftline.store._artifacts import ArtifactStore, BlobState, key_digest
from driftline.store._compact import Compaction
from driftline.store._context import Context
from driftline.store._db import Database, as_utc
from driftline.store._db_faults import mask_url
from driftline.store._health import Check, HealthReport, check_stores, diagnose
from driftline.store._log import META_COLUMNS, InferenceLog
from driftline.store._logread import LogReader
from driftline.store._logstore import LogStore
from driftline.store._schema import (
    AlertRow,
    AliasRow,
    AuditEventRow,
    AuditHeadRow,
    Base,
    DeploymentRow,
    EvaluationRow,
    FeatureMaterializationRow,
    FeatureViewRow,
    ModelRow,
    ModelVersionRow,
    MonitorWindowRow,
    TokenRow,
)
from driftline.store._verify import BlobCheck, BlobReport, verify_blobs

__all__ = [
    "META_COLUMNS",
    "AlertRow",
    "AliasRow",
    "ArtifactStore",
    "AuditEventRow",
    "AuditHeadRow",
    "Base",
    "BlobCheck",
    "BlobReport",
    "BlobState",
    "Check",
    "Compaction",
    "Context",
    "Database",
    "DeploymentRow",
    "EvaluationRow",
    "FeatureMaterializationRow",
    "FeatureViewRow",
    "HealthReport",
    "InferenceLog",
    "LogReader",
    "LogStore",
    "ModelRow",
    "ModelVersionRow",
    "MonitorWindowRow",
    "TokenRow",
    "as_utc",
    "check_stores",
    "diagnose",
    "key_digest",
    "mask_url",
    "verify_blobs",
]
