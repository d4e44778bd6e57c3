"""The demo's sentences, each with its numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.demo._year import BAD_MONTH
from driftline.words import plural as count

if TYPE_CHECKING:
    from driftline.demo._result import Story
    from driftline.demo._year import Month

__all__ = ["audit_caught", "closing", "dashboard_line", "moments", "month_line", "seen", "share"]


def audit_caught(caught: int, planted: int, flagged: int) -> str:
    """How many of the labels the simulator flipped the audit named.

    >>> audit_caught(41, 50, 58)
    'The simulator flipped 50 labels, as hand-entered data does; the audit named 41 of them (82%) among the 58 rows it doubts.'
    """
    found = f"{caught / planted:.0%}" if planted else "-"
    return (
        f"The simulator flipped {count(planted, 'label')}, as hand-entered data does; the audit "
        f"named {caught} of them ({found}) among the {count(flagged, 'row')} it doubts."
    )


def dashboard_line(url: str, token: str) -> str:
    """Where the dashboard is and how to sign in.

    >>> dashboard_line("http://127.0.0.1:8000/ui", "dl_ab_cd")
    'the dashboard: http://127.0.0.1:8000/ui (sign in with the operator token dl_ab_cd)'
    """
    return f"the dashboard: {url} (sign in with the operator token {token})"


def share(value: float | None) -> str:
    """``0.734`` -> ``'73%'``; unknown -> ``'-'``.

    >>> share(0.734), share(None)
    ('73%', '-')
    """
    return "-" if value is None else f"{value:.0%}"


def seen(month: Month) -> str:
    """What the monitor saw in the month's inputs.

    >>> from driftline.demo._year import Month
    >>> import datetime as dt
    >>> m = Month(5, "shift", dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 1))
    >>> m.drift_share, m.drifted = 3 / 9, ["income", "amount", "age"]
    >>> seen(m)
    'inputs moved: income, amount, age'
    >>> m.drift_share, m.drifted = 0.0, []
    >>> seen(m)
    'inputs as in training'
    """
    if month.drift_share is None:
        return "too few rows to judge"
    if not month.drifted:
        return "inputs as in training"
    return "inputs moved: " + ", ".join(month.drifted)


def month_line(month: Month) -> str:
    """The live line after a month's traffic.

    >>> from driftline.demo._year import Month
    >>> import datetime as dt
    >>> m = Month(5, "shift", dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 1), rows=200)
    >>> m.drift_share, m.drifted, m.estimated = 3 / 9, ["income", "amount", "age"], 0.66
    >>> month_line(m)
    'month 5 (shift): 200 applications; the monitor sees inputs moved: income, amount, age; estimated accuracy 66%, labels due next month'
    """
    return (
        f"month {month.number} ({month.period}): {count(month.rows, 'application')}; "
        f"the monitor sees {seen(month)}; estimated accuracy {share(month.estimated)}, "
        "labels due next month"
    )


def moments(story: Story) -> list[tuple[str, str, str]]:
    """The rows of the closing table: what happened, when, and how fast it was noticed."""
    months = story.year.months
    stable = [m for m in months if m.period == "stable"]
    shift = [m for m in months if m.period == "shift"]
    concept = [m for m in months if m.period == "concept"]
    rows = []
    alerts = sum(len(m.alerts) for m in stable)
    rows.append(
        (
            f"months {stable[0].number}-{stable[-1].number}: applicants as in training",
            "stable",
            "no drift, no alert" if not alerts else f"{count(alerts, 'alert')} (false alarms)",
        )
    )
    moved = next((m for m in shift if m.drifted), None)
    rows.append(
        (
            "younger applicants, lower incomes, larger loans (covariate shift)",
            f"month {shift[0].number}",
            f"month {moved.number}, before any label: {', '.join(moved.drifted)} moved"
            if moved
            else "not noticed",
        )
    )
    first = [m for m in shift if m.served and _first_model(m, story)]
    rows.append(
        (
            f"estimated accuracy {share(_mean([m.estimated for m in stable]))} -> "
            f"{share(_mean([m.estimated for m in first]))}",
            f"month {shift[0].number}",
            f"a month later, from labels: {share(_mean([m.realized for m in stable]))} -> "
            f"{share(_mean([m.realized for m in first]))}",
        )
    )
    if story.year.promoted is not None:
        rows.append(
            (
                f"the loop retrained, gated, canaried and promoted version {story.year.promoted}",
                f"month {story.year.promoted_month}",
                "retrained on the labelled shifted month as soon as its labels arrived",
            )
        )
    fell = next((m for m in concept if "accuracy-fell" in m.alerts), None)
    rows.append(
        (
            "a relief scheme: the same applicants default less (concept drift)",
            f"month {concept[0].number}",
            f"month {fell.number + 1}, from labels only (inputs looked the same)"
            if fell
            else "not noticed",
        )
    )
    if story.year.rolled_back is not None:
        rows.append(
            (
                f"a hurried version {story.year.rolled_back} pushed past the gate, "
                f"month {BAD_MONTH}: rolled back",
                f"month {story.year.rolled_back_month}",
                "as soon as labels of its canary traffic arrived, without a person",
            )
        )
    return rows


def closing(story: Story) -> list[str]:
    """The last lines: personal data on disk, the audit chain, where to look next."""
    lines = []
    leaked = [f for f in story.planted if f.files]
    n = len(story.planted)
    if not leaked:
        lines.append(
            f"none of the {n} personal values planted in the notes is anywhere on disk "
            f"under {story.home}"
        )
    else:
        where = sorted({p for f in leaked for p in f.files})
        lines.append(
            f"{len(leaked)} of the {n} personal values planted in the notes are on disk, in "
            f"{count(len(where), 'file')} (e.g. {where[0]})"
        )
    lines.append(story.audit_sentence)
    lines.append(dashboard_line(story.dashboard, story.dashboard_token))
    lines.append(
        f"told in {story.seconds:.0f} s; the workspace stays in {story.home}; look around: "
        f"driftline --home {story.home} audit list"
    )
    return lines


def _first_model(month: Month, story: Story) -> bool:
    """Whether the first champion answered most of the month."""
    top = max(month.served, key=lambda k: month.served[k])
    return top.endswith(f"v{story.first.champion}")


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
