"""Monitoring over time: windows of traffic against the reference, and alerts."""

from driftline.monitor._rules import DEFAULT_RULES, METRICS, AlertRule, is_metric, load_rules
from driftline.monitor._service import Alert, MonitorRun, WindowResult, alerts, run
from driftline.monitor._windows import parse_period, parse_since

__all__ = [
    "DEFAULT_RULES",
    "METRICS",
    "Alert",
    "AlertRule",
    "MonitorRun",
    "WindowResult",
    "alerts",
    "is_metric",
    "load_rules",
    "parse_period",
    "parse_since",
    "run",
]
