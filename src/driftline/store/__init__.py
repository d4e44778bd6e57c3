"""Storage: the metadata database, its migrations, the artifact store, the inference log.

Knows nothing of statistics or models; services compose it.
"""

from driftline.store._artifacts import ArtifactStore
from driftline.store._compact import Compaction
from driftline.store._context import Context
from driftline.store._db import Database, as_utc
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
    ModelRow,
    ModelVersionRow,
    MonitorWindowRow,
    TokenRow,
)

__all__ = [
    "META_COLUMNS",
    "AlertRow",
    "AliasRow",
    "ArtifactStore",
    "AuditEventRow",
    "AuditHeadRow",
    "Base",
    "Compaction",
    "Context",
    "Database",
    "DeploymentRow",
    "EvaluationRow",
    "InferenceLog",
    "LogReader",
    "LogStore",
    "ModelRow",
    "ModelVersionRow",
    "MonitorWindowRow",
    "TokenRow",
    "as_utc",
]
