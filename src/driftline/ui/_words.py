"""The dashboard's sentences: a model's health in words, and what each action will do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from driftline.words import capital, names, number, percent, plural

__all__ = [
    "ACTIONS",
    "LIGHTS",
    "action_sentence",
    "health_sentence",
    "loop_sentence",
    "metric_words",
    "since_words",
]

# action -> (what the button says, what the page says once it is done)
ACTIONS = {
    "promote": ("promote", "The version now answers all traffic."),
    "rollback": ("roll back", "Rolled back: the earlier version answers all traffic."),
    "approve": ("approve", "Approved: the version goes on to its canary."),
    "reject": ("reject", "Rejected: the serving version keeps serving."),
    "pause": ("pause the rollout", "The rollout is paused."),
    "resume": ("resume the rollout", "The rollout goes on."),
    "abort": (
        "stop the rollout",
        "The rollout is stopped; the serving version answers all traffic.",
    ),
}
# level -> (the word shown beside the colour, the colour's name for the stylesheet)
LIGHTS = {
    "ok": ("Healthy", "green"),
    "watch": ("Needs a look", "amber"),
    "act": ("Needs action", "red"),
    "unknown": ("Not watched yet", "grey"),
}
_SHARES = {"accuracy", "roc_auc", "f1", "precision", "recall", "balanced_accuracy"}
_NAMES = {"roc_auc": "ROC AUC", "f1": "F1", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


def metric_words(metric: str, value: float | None) -> str:
    """A metric's value as people read it: shares as percentages, errors as numbers.

    >>> metric_words("accuracy", 0.843), metric_words("rmse", 12.41)
    ('84%', '12.4')
    """
    if value is None:
        return "unknown"
    return percent(value) if metric in _SHARES else number(value)


def _metric_name(metric: str) -> str:
    return _NAMES.get(metric, metric.replace("_", " "))


def since_words(when: dt.datetime, now: dt.datetime) -> str:
    """When something began, as near as people say it.

    >>> now = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)
    >>> since_words(now - dt.timedelta(hours=3), now), since_words(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), now)
    ('since 12:00 UTC today', 'since Tuesday')
    >>> since_words(dt.datetime(2026, 11, 2, tzinfo=dt.UTC), now)
    'since 2 Nov'
    """
    if when.date() == now.date():
        return f"since {when:%H:%M} UTC today"
    if now - when < dt.timedelta(days=6):
        return f"since {when:%A}"
    return f"since {when.day} {when:%b}"


def health_sentence(
    *,
    drifted: Sequence[str],
    drift_since: dt.datetime | None,
    metric: str | None,
    estimated: float | None,
    reference: float | None,
    open_alerts: int,
    watched: bool,
    now: dt.datetime,
) -> str:
    """Why a model has the light it has, in one sentence.

    >>> now = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)
    >>> health_sentence(drifted=["x1"], drift_since=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    ...     metric="accuracy", estimated=0.84, reference=0.91, open_alerts=1, watched=True, now=now)
    'Inputs shifted since Tuesday (`x1` moved); estimated accuracy 84%, down from 91%; 1 alert is open.'
    >>> health_sentence(drifted=[], drift_since=None, metric=None, estimated=None,
    ...     reference=None, open_alerts=0, watched=True, now=now)
    'Inputs look like the training data and no alert is open.'
    """
    if not watched:
        return (
            "No monitoring has run for this model yet, so nobody can say whether its inputs "
            "changed; ask an engineer to run 'driftline monitor run'."
        )
    parts = []
    if drifted:
        when = f" {since_words(drift_since, now)}" if drift_since is not None else ""
        most = "moved most" if len(drifted) > 1 else "moved"
        parts.append(f"Inputs shifted{when} ({names(drifted[:1])} {most})")
    else:
        parts.append("Inputs look like the training data")
    if metric is not None and estimated is not None:
        text = f"estimated {_metric_name(metric)} {metric_words(metric, estimated)}"
        was = metric_words(metric, reference) if reference is not None else None
        if reference is not None and was != metric_words(metric, estimated):
            text += f", {'down' if estimated < reference else 'up'} from {was}"
        parts.append(text)
    if open_alerts:
        are = "is" if open_alerts == 1 else "are"
        parts.append(f"{plural(open_alerts, 'alert')} {are} open")
    elif not drifted:
        return capital("; ".join(parts)) + " and no alert is open."
    return capital("; ".join(parts)) + "."


def loop_sentence(run: dict[str, object] | None, champion: int | None) -> str:
    """What the loop is doing for the model, in one sentence."""
    if run is None:
        if champion is None:
            return "No rollout has run, and no version serves yet."
        return f"No rollout has run; version {champion} answers all traffic."
    return capital(str(run.get("sentence") or ""))


def action_sentence(
    action: str,
    model: str,
    *,
    version: int | None = None,
    champion: int | None = None,
    previous: int | None = None,
    percent_now: float | None = None,
) -> str:
    """What an action will do, said before it is done.

    >>> action_sentence("promote", "shop", version=3, champion=2)
    'Version 3 of shop will answer all its traffic in place of version 2; the change is recorded under your name.'
    """
    signed = "; the change is recorded under your name."
    if action == "promote":
        instead = f" in place of version {champion}" if champion is not None else ""
        return f"Version {version} of {model} will answer all its traffic{instead}{signed}"
    if action == "rollback":
        if previous is not None:
            return (
                f"{model} goes back from version {champion} to version {previous}, which will "
                f"answer all traffic again{signed}"
            )
        return f"The rollout of {model} stops and version {champion} answers all traffic{signed}"
    if action == "approve":
        return f"Version {version} of {model} goes on to its canary: it starts answering a small share of traffic{signed}"
    if action == "reject":
        return f"Version {version} of {model} will not be rolled out; version {champion} keeps serving{signed}"
    if action == "pause":
        share = f" at {percent_now:g}% of traffic" if percent_now is not None else ""
        return f"The rollout of {model} stays where it is{share} and takes no next step until resumed; a harmful canary is still rolled back{signed}"
    if action == "resume":
        return f"The rollout of {model} takes its next steps again{signed}"
    if action == "abort":
        return f"The rollout of {model} stops for good and version {champion} answers all traffic{signed}"
    raise ValueError(f"unknown action {action!r}")
