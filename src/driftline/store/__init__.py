"""Storage: the metadata database, its migrations, the artifact store, the inference log.

Knows nothing of statistics or models; services compose it.
"""

from driftline.privacy import keyed_hash, workspace_secret
from driftline.store._artifacts import ArtifactStore, BlobState, key_digest
from driftline.store._compact import Compaction
from driftline.store._compact_child import (
    CompactionFailed,
    compaction_command,
    compaction_result,
    waiting_bytes,
)
from driftline.store._context import Context
from driftline.store._db import Database, as_utc
from driftline.store._db_faults import mask_url
from driftline.store._figures import lead_metric, window_figures
from driftline.store._forget import Forgotten, Subject
from driftline.store._health import Check, HealthReport, check_stores, diagnose
from driftline.store._log import META_COLUMNS, InferenceLog
from driftline.store._logread import LogReader, join_outcomes
from driftline.store._logstore import NO_MODEL, LogFile, LogStore
from driftline.store._predictions import Predictions
from driftline.store._retention import Partition
from driftline.store._schema import (
    AlertRow,
    AliasRow,
    ApprovalRow,
    AuditEventRow,
    AuditHeadRow,
    Base,
    DeploymentRow,
    EvaluationRow,
    FeatureMaterializationRow,
    FeatureViewRow,
    LogSummaryRow,
    LoopAnalysisRow,
    LoopRunRow,
    ModelRow,
    ModelVersionRow,
    MonitorWindowRow,
    TokenRow,
)
from driftline.store._summaries import DaySummaries, day_stamp, drop_summaries_before
from driftline.store._verify import BlobCheck, BlobReport, verify_blobs

__all__ = [
    "META_COLUMNS",
    "NO_MODEL",
    "AlertRow",
    "AliasRow",
    "ApprovalRow",
    "ArtifactStore",
    "AuditEventRow",
    "AuditHeadRow",
    "Base",
    "BlobCheck",
    "BlobReport",
    "BlobState",
    "Check",
    "Compaction",
    "CompactionFailed",
    "Context",
    "Database",
    "DaySummaries",
    "DeploymentRow",
    "EvaluationRow",
    "FeatureMaterializationRow",
    "FeatureViewRow",
    "Forgotten",
    "HealthReport",
    "InferenceLog",
    "LogFile",
    "LogReader",
    "LogStore",
    "LogSummaryRow",
    "LoopAnalysisRow",
    "LoopRunRow",
    "ModelRow",
    "ModelVersionRow",
    "MonitorWindowRow",
    "Partition",
    "Predictions",
    "Subject",
    "TokenRow",
    "as_utc",
    "check_stores",
    "compaction_command",
    "compaction_result",
    "day_stamp",
    "diagnose",
    "drop_summaries_before",
    "join_outcomes",
    "key_digest",
    "keyed_hash",
    "lead_metric",
    "mask_url",
    "verify_blobs",
    "waiting_bytes",
    "window_figures",
    "workspace_secret",
]
