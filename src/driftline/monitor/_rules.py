"""Alert rules: a threshold with hysteresis and a minimum window size.

A rule opens an alert when a window's metric crosses ``above`` (or falls under
``below``) and resolves it only when the metric comes back past ``clear``, so
a metric hovering at the threshold does not flap. Windows with fewer than
``min_rows`` rows are not judged at all: too little data to say.

Rules live in a model's policy TOML::

    [[alert]]
    name = "input-drift"
    metric = "drift_share"     # see METRICS
    above = 0.1
    clear = 0.05
    min_rows = 100
    severity = "warning"

Group fairness is one too, once labels arrive: ``metric =
"demographic_parity_ratio:sex"`` is that disparity between the groups of the
column ``sex`` among the window's labelled rows (any of
:data:`driftline.fairness.DISPARITIES`, then ``:`` and the column).

An application's outcomes are metrics too: ``metric = "outcome:purchase"`` is
the average value of ``purchase`` per answer of the window (an answer with
none posted counts 0, so for an event it is the share of answers it followed).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, Literal

from driftline.errors import ConfigError
from driftline.fairness import DISPARITIES

__all__ = [
    "DEFAULT_RULES",
    "METRICS",
    "OUTCOME",
    "AlertRule",
    "fairness_metric",
    "is_metric",
    "load_rules",
    "rule_value",
]

OUTCOME = "outcome:"  # metrics named after an outcome the application posts: outcome:purchase

METRICS = {
    "rows": "rows in the window",
    "drift_share": "share of the model's input columns that moved away from the training data",
    # What the drift report calls its score: the same share, over the columns it could test.
    "drift_score": "share of the tested input columns that moved away from the training data",
    "drift_detected": (
        "1 when the inputs moved away from the training data (any column, or the rows as a "
        "whole), else 0"
    ),
    "missing_rate": "share of input values that are missing",
    "quality_critical": "number of critical data-quality findings",
    "quality_warnings": "number of data-quality warnings",
    "performance_drop": (
        "largest relative fall of an estimated metric from its value on the labelled "
        "reference (0.05 = 5% worse), counted when its band lies wholly below that value; "
        "needs a reference (monitor run --reference)"
    ),
    **{
        f"estimated_{m}": f"estimated {m} (needs a reference)"
        for m in ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse")
    },
    **{
        f"realized_{m}": f"{m} of the window's rows whose labels have arrived"
        for m in ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse")
    },
}


def fairness_metric(name: str) -> tuple[str, str] | None:
    """(disparity, column) of a metric such as ``demographic_parity_ratio:sex``, else None."""
    disparity, _, column = name.partition(":")
    return (disparity, column) if disparity in DISPARITIES and column else None


def is_metric(name: str) -> bool:
    """A metric of :data:`METRICS`, ``outcome:NAME`` or ``DISPARITY:COLUMN``."""
    return (
        name in METRICS
        or (name.startswith(OUTCOME) and len(name) > len(OUTCOME))
        or fairness_metric(name) is not None
    )


@dataclasses.dataclass(frozen=True)
class AlertRule:
    name: str
    metric: str
    above: float | None = None
    below: float | None = None
    clear: float | None = None
    min_rows: int = 100
    severity: Literal["info", "warning", "critical"] = "warning"

    @property
    def sensitive(self) -> str | None:
        """The column whose groups this rule compares (``DISPARITY:COLUMN``), or None."""
        found = fairness_metric(self.metric)
        return found[1] if found else None

    @property
    def outcome(self) -> str | None:
        """The outcome this rule watches (``outcome:NAME``), or None."""
        return self.metric.removeprefix(OUTCOME) if self.metric.startswith(OUTCOME) else None

    def __post_init__(self) -> None:
        if not is_metric(self.metric):
            raise ConfigError(
                f"alert rule {self.name!r}: unknown metric {self.metric!r}; "
                f"known: {', '.join(METRICS)}, outcome:NAME, or a disparity and a column "
                f"such as demographic_parity_ratio:sex"
            )
        if (self.above is None) == (self.below is None):
            raise ConfigError(f"alert rule {self.name!r} needs exactly one of 'above' or 'below'")
        if self.above is not None and self.clear is not None and self.clear > self.above:
            raise ConfigError(f"alert rule {self.name!r}: clear must not exceed above")
        if self.below is not None and self.clear is not None and self.clear < self.below:
            raise ConfigError(f"alert rule {self.name!r}: clear must not be under below")
        if self.severity not in ("info", "warning", "critical"):
            raise ConfigError(
                f"alert rule {self.name!r}: severity must be info, warning or critical"
            )

    @property
    def threshold(self) -> float:
        return float(self.above if self.above is not None else self.below)  # type: ignore[arg-type]

    def fires(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < self.threshold

    def clears(self, value: float) -> bool:
        level = self.clear if self.clear is not None else self.threshold
        return value <= level if self.above is not None else value >= level

    def step(self, is_open: bool, value: float) -> Literal["open", "resolve"] | None:
        """What this window does to the alert: open it, resolve it, or nothing."""
        if not is_open and self.fires(value):
            return "open"
        if is_open and self.clears(value):
            return "resolve"
        return None


DEFAULT_RULES = (
    AlertRule("input-drift", "drift_share", above=0.1, clear=0.05, severity="warning"),
    AlertRule("data-quality", "quality_critical", above=0, clear=0, severity="critical"),
    # Judged only when monitoring estimates performance (a reference was given).
    AlertRule("performance-drop", "performance_drop", above=0.05, clear=0.02, severity="warning"),
)


def rule_value(metrics: dict[str, Any], metric: str) -> float | None:
    """A window's value of ``metric``; None when the window does not have it."""
    if metric.startswith(OUTCOME):
        value = (metrics.get("outcomes") or {}).get(metric.removeprefix(OUTCOME))
        return None if value is None else float(value)
    fair = fairness_metric(metric)
    if fair is not None:
        value = ((metrics.get("fairness") or {}).get(fair[1]) or {}).get(fair[0])
        return None if value is None else float(value)
    for prefix, table in (("estimated_", "estimated"), ("realized_", "realized")):
        if metric.startswith(prefix):
            entry = (metrics.get(table) or {}).get(metric.removeprefix(prefix))
            value = entry.get("value") if isinstance(entry, dict) else entry
            return None if value is None else float(value)
    value = metrics.get(metric)
    return None if value is None or isinstance(value, dict) else float(value)


def load_rules(path: str | Path) -> tuple[AlertRule, ...]:
    """Rules from the ``[[alert]]`` tables of a policy TOML file."""
    file = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"policy file {str(file)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file.name} is not valid TOML: {exc}") from exc
    tables = data.get("alert", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{file.name} has no [[alert]] rules")
    fields = {f.name for f in dataclasses.fields(AlertRule)}
    rules = []
    for i, table in enumerate(tables, 1):
        unknown = set(table) - fields
        if unknown:
            raise ConfigError(f"{file.name}: alert rule {i} has unknown key(s) {sorted(unknown)}")
        if "name" not in table or "metric" not in table:
            raise ConfigError(f"{file.name}: alert rule {i} needs a name and a metric")
        rules.append(AlertRule(**table))
    return tuple(rules)
