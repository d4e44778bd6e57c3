"""Parsed TOML to a :class:`LoopPolicy`, checking every key on the way."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from driftline.errors import ConfigError, InputError
from driftline.guard import GuardPolicy
from driftline.loop._policy_parts import (
    CHECKS,
    DEFAULT_ROLLBACK,
    OUTCOME_BOUNDS,
    MonitorPolicy,
    RetrainPolicy,
    RollbackRule,
    RolloutPolicy,
    Step,
)
from driftline.loop._toml import KeyPath, Reader, suggest

__all__ = ["read_policy"]

_TOP = {
    "model",
    "approval",
    "cooldown",
    "monitor",
    "alert",
    "retrain",
    "gate",
    "rollout",
    "rollback",
    "guard",  # read by driftline deploy (driftline.guard), not by the loop
    "audit",
}
_HOOK = re.compile(r"^[\w./-]+:[A-Za-z_]\w*$")
_ALERT_KEYS = {"name", "metric", "above", "below", "clear", "min_rows", "severity"}


def read_policy(text: str, *, where: str, folder: Path) -> dict[str, Any]:
    """The keyword arguments of a ``LoopPolicy`` from TOML ``text``, every key checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from exc
    r = Reader(text, where)
    r.keys(data, (), _TOP, "a model's policy")
    kwargs: dict[str, Any] = {}
    if "model" in data:
        kwargs["model"] = r.text(data["model"], ("model",))
    if "approval" in data:
        kwargs["approval"] = r.choice(data["approval"], ("approval",), ("none", "required"))
    if "cooldown" in data:
        kwargs["cooldown"] = r.period(data["cooldown"], ("cooldown",), zero=True)
    rules = _alerts(r, data["alert"]) if "alert" in data else None
    kwargs["monitor"] = _monitor(r, data.get("monitor", {}), rules, folder)
    if "retrain" in data:
        kwargs["retrain"] = _retrain(r, r.table(data["retrain"], ("retrain",)), folder, rules)
    if "gate" in data:
        kwargs["gate"] = _gate(r, text, where, data["gate"])
    if "rollout" in data:
        kwargs["rollout"] = _rollout(r, r.table(data["rollout"], ("rollout",)))
    if "rollback" in data:
        kwargs["rollback"] = _rollback(r, r.table(data["rollback"], ("rollback",)))
    if "guard" in data:  # deploy reads it; checked here too, so a mistake shows at once
        try:
            GuardPolicy.from_dict(r.table(data["guard"], ("guard",)))
        except ConfigError as exc:
            raise ConfigError(f"{where}: [guard]: {exc}") from None
    if "audit" in data:  # read by register and the gate; checked here with the rest
        table = r.table(data["audit"], ("audit",))
        r.keys(table, ("audit",), {"require"}, "[audit]")
        if "require" in table:
            r.choice(table["require"], ("audit", "require"), ("clean", "none"))
    return kwargs


def _path(r: Reader, value: Any, key: KeyPath, folder: Path) -> Path:
    path = Path(r.text(value, key))
    return path if path.is_absolute() else folder / path


def _monitor(r: Reader, value: Any, rules: Any, folder: Path) -> MonitorPolicy:
    from driftline.monitor import parse_period

    table = r.table(value, ("monitor",))
    r.keys(table, ("monitor",), {"window", "lookback", "reference", "target"}, "[monitor]")
    kwargs: dict[str, Any] = {"rules": rules}
    if "window" in table:
        r.period(table["window"], ("monitor", "window"))
        try:
            parse_period(table["window"])
        except InputError:
            raise r.error(
                ("monitor", "window"), "must be a whole number and a unit, like 1h"
            ) from None
        kwargs["window"] = table["window"].strip()
    if "lookback" in table:
        kwargs["lookback"] = r.period(table["lookback"], ("monitor", "lookback"))
    if "reference" in table:
        kwargs["reference"] = _path(r, table["reference"], ("monitor", "reference"), folder)
        if "target" not in table:
            raise r.error(("monitor", "reference"), 'needs target = "<label column>" beside it')
    if "target" in table:
        kwargs["target"] = r.text(table["target"], ("monitor", "target"))
    return MonitorPolicy(**kwargs)


def _alerts(r: Reader, value: Any) -> tuple[Any, ...]:
    from driftline.monitor import METRICS, AlertRule, is_metric

    out = []
    for i, table in enumerate(r.tables(value, ("alert",))):
        at: KeyPath = ("alert", i)
        r.keys(table, at, _ALERT_KEYS, "an [[alert]] rule")
        for key in ("name", "metric"):
            if key not in table:
                raise r.error(at, f'needs {key} = "..."')
        name = r.text(table["name"], (*at, "name"))
        metric = r.text(table["metric"], (*at, "metric"))
        if not is_metric(metric):
            raise r.error(
                (*at, "metric"),
                f"names no metric monitoring knows{suggest(metric, METRICS)} "
                f"(metrics: {', '.join(METRICS)}, or outcome:NAME for an outcome posted, or "
                f"a disparity and a column such as demographic_parity_ratio:sex)",
            )
        if ("above" in table) == ("below" in table):
            raise r.error(at, "needs exactly one of above = ... or below = ...")
        bounds = {
            k: r.number(table[k], (*at, k)) for k in ("above", "below", "clear") if k in table
        }
        severity = "warning"
        if "severity" in table:
            severity = r.choice(
                table["severity"], (*at, "severity"), ("info", "warning", "critical")
            )
        min_rows = 100
        if "min_rows" in table:
            min_rows = r.number(table["min_rows"], (*at, "min_rows"), low=1, whole=True)
        try:
            out.append(AlertRule(name, metric, severity=severity, min_rows=min_rows, **bounds))  # type: ignore[arg-type]
        except ConfigError as exc:
            raise r.error(at, str(exc).split(": ", 1)[-1]) from None
    names = [rule.name for rule in out]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise r.error(
                ("alert", i, "name"), f"repeats the rule name {name!r}; names must differ"
            )
    return tuple(out)


def _retrain(r: Reader, table: dict[str, Any], folder: Path, rules: Any) -> RetrainPolicy:
    at: KeyPath = ("retrain",)
    known = {"hook", "command", "target", "window", "data", "holdout", "min_rows", "on"}
    r.keys(table, at, known | {"max_attempts", "timeout"}, "[retrain]")
    if ("hook" in table) == ("command" in table):
        raise r.error(at, 'needs exactly one of hook = "module:function" or command = "..."')
    if "target" not in table:
        raise r.error(at, 'needs target = "<label column>": the column the hook learns to predict')
    kwargs: dict[str, Any] = {"target": r.text(table["target"], (*at, "target")), "folder": folder}
    if "hook" in table:
        hook = r.text(table["hook"], (*at, "hook"))
        if not _HOOK.match(hook):
            raise r.error(
                (*at, "hook"),
                f'must be "module:function" or "file.py:function", got {hook!r}',
            )
        kwargs["hook"] = hook
    if "command" in table:
        command = r.text(table["command"], (*at, "command"))
        if "{out}" not in command:
            raise r.error(
                (*at, "command"),
                "must say where to write the model with {out} (and may use {data} and {champion})",
            )
        kwargs["command"] = command
    if "window" in table:
        kwargs["window"] = r.period(table["window"], (*at, "window"))
    if "data" in table:
        kwargs["data"] = _path(r, table["data"], (*at, "data"), folder)
    if "holdout" in table:
        kwargs["holdout"] = r.number(table["holdout"], (*at, "holdout"), low=0.05, high=0.9)
    if "min_rows" in table:
        kwargs["min_rows"] = r.number(table["min_rows"], (*at, "min_rows"), low=2, whole=True)
    if "max_attempts" in table:
        kwargs["max_attempts"] = r.number(
            table["max_attempts"], (*at, "max_attempts"), low=1, whole=True
        )
    if "timeout" in table:
        kwargs["timeout"] = r.period(table["timeout"], (*at, "timeout"))
    if "on" in table:
        on = r.texts(table["on"], (*at, "on"))
        from driftline.monitor import DEFAULT_RULES

        names = [rule.name for rule in (rules or DEFAULT_RULES)]
        for name in on:
            if name not in names:
                raise r.error(
                    (*at, "on"),
                    f"names {name!r}, which is no alert rule of this policy{suggest(name, names)} "
                    f"(rules: {', '.join(names)})",
                )
        kwargs["on"] = on
    return RetrainPolicy(**kwargs)


def _gate(r: Reader, text: str, where: str, value: Any) -> Any:
    from driftline.gate import GatePolicy

    r.table(value, ("gate",))
    try:
        return GatePolicy.from_toml(text if "\n" in text else text + "\n")
    except InputError as exc:
        message = str(exc)
        raise ConfigError(f"{where}: {message.split(': ', 1)[-1]}") from None


def _rollout(r: Reader, table: dict[str, Any]) -> RolloutPolicy:
    at: KeyPath = ("rollout",)
    r.keys(table, at, {"steps", "interval", "confidence", "min_rows"}, "[rollout]")
    kwargs: dict[str, Any] = {}
    if "interval" in table:
        kwargs["interval"] = r.period(table["interval"], (*at, "interval"))
    if "confidence" in table:
        kwargs["confidence"] = r.number(
            table["confidence"], (*at, "confidence"), low=0.5, high=0.999
        )
    if "min_rows" in table:
        kwargs["min_rows"] = r.number(table["min_rows"], (*at, "min_rows"), low=10, whole=True)
    if "steps" in table:
        steps: list[Step] = []
        for i, step in enumerate(r.tables(table["steps"], (*at, "steps"))):
            where: KeyPath = (*at, "steps", i)
            r.keys(step, where, {"percent", "min_duration", "min_requests"}, "a rollout step")
            if "percent" not in step:
                raise r.error(where, "needs percent = ..., the share of traffic of this step")
            percent = r.number(step["percent"], (*where, "percent"), low=0, high=100, open_low=True)
            if steps and percent <= steps[-1].percent:
                raise r.error(
                    (*where, "percent"),
                    f"must be above the step before it ({steps[-1].percent:g}), got {percent:g}",
                )
            kwargs_step: dict[str, Any] = {"percent": percent}
            if "min_duration" in step:
                kwargs_step["min_duration"] = r.period(
                    step["min_duration"], (*where, "min_duration"), zero=True
                )
            if "min_requests" in step:
                kwargs_step["min_requests"] = r.number(
                    step["min_requests"], (*where, "min_requests"), low=0, whole=True
                )
            steps.append(Step(**kwargs_step))
        if not steps:
            raise r.error((*at, "steps"), "needs at least one step, e.g. [{ percent = 10 }]")
        kwargs["steps"] = tuple(steps)
    return RolloutPolicy(**kwargs)


def _rollback(r: Reader, table: dict[str, Any]) -> tuple[RollbackRule, ...]:
    at: KeyPath = ("rollback",)
    r.keys(table, at, {*CHECKS, "outcomes"}, "[rollback]")
    rules = []
    for check, value in table.items():
        if check == "outcomes":
            continue
        harm, bound, _ = CHECKS[check]
        rule = r.table(value, (*at, check))
        r.keys(rule, (*at, check), {bound, "effect"}, f"the {check} rule")
        if bound not in rule:
            raise r.error((*at, check), f"needs {bound} = ..., how much worse the canary may be")
        margin = r.number(rule[bound], (*at, check, bound), low=0)
        effect = _effect(r, rule, (*at, check))
        rules.append(RollbackRule(check, margin, harm, effect))
    outcomes = r.table(table.get("outcomes", {}), (*at, "outcomes"))
    for name, value in outcomes.items():
        where: KeyPath = (*at, "outcomes", name)
        rule = r.table(value, where)
        r.keys(rule, where, {*OUTCOME_BOUNDS, "missing", "effect"}, f"the outcome {name!r} rule")
        given = [b for b in OUTCOME_BOUNDS if b in rule]
        if len(given) != 1:
            raise r.error(
                where, "needs exactly one of max_drop (more is better) or max_rise (less is better)"
            )
        margin = r.number(rule[given[0]], (*where, given[0]), low=0)
        missing = r.number(rule["missing"], (*where, "missing")) if "missing" in rule else None
        rules.append(
            RollbackRule(
                f"outcome:{name}",
                margin,
                OUTCOME_BOUNDS[given[0]],
                _effect(r, rule, where),
                missing,
            )
        )
    return tuple(rules) if rules or table else DEFAULT_ROLLBACK


def _effect(r: Reader, rule: dict[str, Any], at: KeyPath) -> float | None:
    if "effect" not in rule:
        return None
    return float(r.number(rule["effect"], (*at, "effect"), low=0, open_low=True))
