"""The loop's sentences: each check, each decision, each stop, said to a shop owner.

Pure functions of their arguments, each tested with its numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from driftline.loop._policy_parts import RollbackRule
from driftline.loop._sequential import Evidence
from driftline.words import capital, name, numbers, percent, plural


class Check(Protocol):
    """What a sentence reads of a check (``driftline.loop.Check``)."""

    @property
    def name(self) -> str: ...
    @property
    def rule(self) -> RollbackRule: ...
    @property
    def verdict(self) -> str: ...
    @property
    def champion(self) -> float | None: ...
    @property
    def canary(self) -> float | None: ...
    @property
    def rows(self) -> tuple[int, int]: ...
    @property
    def evidence(self) -> Evidence | None: ...
    @property
    def detail(self) -> str | None: ...


__all__ = [
    "audit_failed_words",
    "check_sentence",
    "duration",
    "feedback_words",
    "gate_sentence",
    "harm_phrase",
    "margin_words",
    "promoted_sentence",
    "retrain_failed_sentence",
    "rollback_sentence",
    "state_sentence",
    "step_sentence",
]


def duration(span: dt.timedelta) -> str:
    """A length of time in words.

    >>> duration(dt.timedelta(seconds=45)), duration(dt.timedelta(minutes=90))
    ('45 seconds', '1 hour 30 minutes')
    >>> duration(dt.timedelta(days=2, hours=3)), duration(dt.timedelta(0))
    ('2 days 3 hours', '0 seconds')
    """
    seconds = round(span.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(plural(count, unit))
    return " ".join(parts[:2]) or "0 seconds"


def _points(share: float) -> str:
    value = numbers(share * 100)[0]
    return f"{value} point" if value == "1" else f"{value} points"


def margin_words(check: str, margin: float) -> str:
    """The allowed harm of a rollback rule, in its own units.

    >>> margin_words("error_rate", 0.01), margin_words("latency_p99", 0.5)
    ('1 point', '50%')
    >>> margin_words("accuracy", 0.025), margin_words("outcome:revenue", 0.5)
    ('2.5 points', '0.5')
    """
    if check.startswith("latency"):
        return percent(margin)
    if check in ("error_rate", "accuracy", "estimated_accuracy", "output"):
        return _points(margin)
    return numbers(margin)[0]


def _ms(a: float | None, b: float | None) -> tuple[str, str]:
    x, y = numbers(a, b)
    return f"{x} ms", f"{y} ms"


def harm_phrase(check: Check, champion: int) -> str:
    """What the canary did on this check against the champion, after "version N ".

    >>> from driftline.loop._checks import Check
    >>> from driftline.loop._policy_parts import RollbackRule
    >>> c = Check("error_rate", RollbackRule("error_rate", 0.01, "higher"), "worse",
    ...           0.01, 0.031, (40_000, 2_000), None, "")
    >>> harm_phrase(c, 2)
    'failed 3.1% of 2,000 requests against 1% for version 2'
    """
    a, b = check.champion, check.canary
    n = check.rows[1]
    other = f"for version {champion}"
    kind = check.name
    if kind == "error_rate":
        return (
            f"failed {percent(b or 0)} of {plural(n, 'request')} against {percent(a or 0)} {other}"
        )
    if kind == "latency_p99":
        x, y = _ms(a, b)
        return f"took over {y} for its slowest 1% of answers against {x} {other}"
    if kind == "latency_p50":
        x, y = _ms(a, b)
        return f"took over {y} for half of its answers against {x} {other}"
    if kind == "accuracy":
        return (
            f"was right on {percent(b or 0)} of {plural(n, 'answer')} whose labels arrived, "
            f"against {percent(a or 0)} {other}"
        )
    if kind == "mae":
        x, y = numbers(a, b)
        return f"was off by {y} on average ({plural(n, 'labelled answer')}) against {x} {other}"
    if kind == "estimated_accuracy":
        return f"is expected to be right on {percent(b or 0)} of its answers against {percent(a or 0)} {other}"
    if kind == "output":
        if check.detail is not None:
            return (
                f"answered {name(check.detail)} for {percent(b or 0)} of requests against "
                f"{percent(a or 0)} {other}"
            )
        x, y = numbers(a, b)
        return f"gave answers averaging {y} against {x} {other}"
    outcome = check.rule.outcome or kind
    x, y = numbers(a, b)
    return f"led to {name(outcome)} averaging {y} per answer against {x} {other}"


_UNMEASURED = {
    "error_rate": "No requests were logged for this step, so failures are not compared.",
    "latency_p50": "No latencies were logged for this step, so speed is not compared.",
    "latency_p99": "No latencies were logged for this step, so speed is not compared.",
    "accuracy": "No labels have arrived for this step's answers yet, so correctness is not compared.",
    "mae": "No labels have arrived for this step's answers yet, so errors are not compared.",
    "estimated_accuracy": (
        "Expected accuracy is not compared: there are no labelled rows to calibrate it on "
        "(give [monitor] reference, or let the loop retrain)."
    ),
    "output": "No answers were logged for this step, so their distribution is not compared.",
}


def check_sentence(check: Check, champion: int, canary: int) -> str:
    """One check at one look, in a sentence with its numbers and its verdict.

    >>> from driftline.loop._checks import Check
    >>> from driftline.loop._policy_parts import RollbackRule
    >>> from driftline.loop._sequential import Evidence
    >>> rule = RollbackRule("accuracy", 0.02, "lower")
    >>> e = Evidence(-0.09, -0.12, -0.06, 0.0004, 0.02, 0.01, True, False)
    >>> check_sentence(Check("accuracy", rule, "worse", 0.9, 0.81, (9_000, 1_200), e, ""), 2, 3)
    'Version 3 was right on 81% of 1,200 answers whose labels arrived, against 90% for version 2: worse by more than the 2 points allowed, too large to be chance (p = 0.0004).'
    """
    rule = check.rule
    if check.verdict == "unmeasured":
        if rule.outcome is not None:
            return (
                f"No {name(rule.outcome)} outcome was posted for this step's answers yet, "
                "so it is not compared."
            )
        return _UNMEASURED.get(check.name, "This check has no data yet.")
    if check.verdict == "waiting":
        return (
            f"Too few answers yet to judge this: {check.rows[1]:,} from version {canary} and "
            f"{check.rows[0]:,} from version {champion} so far."
        )
    said = capital(f"version {canary} {harm_phrase(check, champion)}")
    allowed = margin_words(rule.check, rule.margin)
    if check.verdict == "worse":
        p = check.evidence.p if check.evidence is not None else 0.0
        shown = f"{p:.4f}" if p >= 0.0001 else "under 0.0001"
        return f"{said}: worse by more than the {allowed} allowed, too large to be chance (p = {shown})."
    return f"{said}: no sign of it being worse by more than the {allowed} allowed."


def rollback_sentence(
    model: str, champion: int, canary: int, step_percent: float, check: Check
) -> str:
    """Why a canary was taken out of service, in one sentence a shop owner understands.

    >>> from driftline.loop._checks import Check
    >>> from driftline.loop._policy_parts import RollbackRule
    >>> c = Check("error_rate", RollbackRule("error_rate", 0.01, "higher"), "worse",
    ...           0.01, 0.031, (40_000, 2_000), None, "")
    >>> rollback_sentence("shop", 2, 3, 5, c)
    'shop is back on version 2 alone: version 3 failed 3.1% of 2,000 requests against 1% for version 2, worse than the 1 point allowed, so it was taken out of service at its 5% step.'
    """
    allowed = margin_words(check.rule.check, check.rule.margin)
    return (
        f"{model} is back on version {champion} alone: version {canary} "
        f"{harm_phrase(check, champion)}, worse than the {allowed} allowed, so it was taken "
        f"out of service at its {numbers(step_percent)[0]}% step."
    )


def state_sentence(run: Any) -> str:
    """Where a loop run stands, in one sentence (``run`` is a :class:`~driftline.loop.LoopRun`)."""
    model, cand, champ = run.model, run.candidate, run.champion
    keeps = f"version {champ} keeps serving" if champ is not None else "nothing changed in serving"
    if run.reason and run.state in (
        "retrain_failed",
        "gate_failed",
        "rejected",
        "aborted",
        "rolled_back",
    ):
        return run.reason
    if run.state == "retraining":
        return f"{model} is being retrained after {run.trigger_words}; {keeps}."
    if run.state == "gating":
        return f"Version {cand} of {model} is about to be judged by the gate; {keeps}."
    if run.state == "awaiting_approval":
        return (
            f"Version {cand} of {model} passed the gate and waits for approval by an operator "
            f"(driftline approve {model} {cand}); {keeps}."
        )
    if run.state == "canary":
        if run.step < 0:
            return f"Version {cand} of {model} is about to start its canary; {keeps}."
        paused = " (paused: it stays at this share until resumed)" if run.paused else ""
        return (
            f"Version {cand} of {model} answers {numbers(run.percent)[0]}% of its traffic at step "
            f"{run.step + 1}{paused}; version {champ} answers the rest."
        )
    if run.state == "promoted":
        return run.reason or f"Version {cand} of {model} was promoted to champion."
    return run.reason or f"The loop run of {model} is {run.state.replace('_', ' ')}."


def step_sentence(
    model: str,
    champion: int,
    canary: int,
    decision: str,
    *,
    percent_now: float,
    next_percent: float | None,
    requests: int,
    elapsed: dt.timedelta,
    min_requests: int,
    min_duration: dt.timedelta,
) -> str:
    """A look at a canary step: waiting, moving on, or done.

    >>> step_sentence("shop", 2, 3, "advance", percent_now=5, next_percent=25, requests=812,
    ...               elapsed=dt.timedelta(minutes=12), min_requests=500,
    ...               min_duration=dt.timedelta(minutes=10))
    'Version 3 of shop passed its 5% step (812 requests over 12 minutes, no check worse than allowed) and now answers 25% of the traffic.'
    >>> step_sentence("shop", 2, 3, "wait", percent_now=5, next_percent=25, requests=120,
    ...               elapsed=dt.timedelta(minutes=3), min_requests=500,
    ...               min_duration=dt.timedelta(minutes=10))
    'Version 3 of shop answers 5% of the traffic: 120 of the 500 requests and 3 minutes of the 10 minutes this step needs, and no check shows it worse so far.'
    """
    now = numbers(percent_now)[0]
    if decision == "advance":
        return (
            f"Version {canary} of {model} passed its {now}% step ({plural(requests, 'request')} "
            f"over {duration(elapsed)}, no check worse than allowed) and now answers "
            f"{numbers(next_percent or 0)[0]}% of the traffic."
        )
    if decision == "promote":
        return (
            f"Version {canary} of {model} passed its last step ({now}%, "
            f"{plural(requests, 'request')} over {duration(elapsed)}) and is now the champion; "
            f"version {champion} stays as 'previous' for a rollback."
        )
    return (
        f"Version {canary} of {model} answers {now}% of the traffic: {requests:,} of the "
        f"{min_requests:,} requests and {duration(min(elapsed, min_duration))} of the "
        f"{duration(min_duration)} this step needs, and no check shows it worse so far."
    )


def audit_failed_words(report: Any) -> str:
    """Why the loop's retraining data failed the audit its policy requires (an AuditReport).

    >>> from driftline.screening import AuditFinding, AuditReport
    >>> flips = AuditFinding("label_issues", "critical", "120 labels (11%) look wrong.")
    >>> audit_failed_words(AuditReport(1100, "y", "logistic", "sha256:ab", [flips]))
    'the policy requires a clean audit of the training data, and the 1,100 rows the loop would learn from failed it: 120 labels (11%) look wrong; look at where those labels come from, then let the loop try again (driftline audit list --action data.audit shows the audit)'
    """
    serious = [f.message.rstrip(".") for f in report.findings if f.severity == "critical"]
    return (
        f"the policy requires a clean audit of the training data, and the {report.n_rows:,} "
        f"rows the loop would learn from failed it: {'; '.join(serious[:3])}; look at where "
        "those labels come from, then let the loop try again (driftline audit list --action data.audit shows the audit)"
    )


def retrain_failed_sentence(model: str, champion: int | None, error: str) -> str:
    """Why a retraining failed, and that nothing changed.

    >>> retrain_failed_sentence("shop", 2, "only 40 labelled rows arrived in the last 7 days.")
    'Retraining shop failed, so version 2 keeps serving: only 40 labelled rows arrived in the last 7 days.'
    """
    return f"Retraining {model} failed, so version {champion} keeps serving: {error.rstrip('.')}."


def feedback_words(feedback: dict[str, Any] | None, model: str) -> str:
    """How much of a candidate's training data the model decided itself ("" when none).

    >>> feedback_words({"rows_decided_by_model": 900, "rows_given": 100,
    ...                 "share_decided_by_model": 0.9}, "shop")
    '; 90% of its 1,000 training rows were answered by shop itself, so their labels may echo its own decisions'
    """
    if not feedback or not feedback.get("rows_decided_by_model"):
        return ""
    total = int(feedback["rows_decided_by_model"]) + int(feedback.get("rows_given") or 0)
    return (
        f"; {percent(float(feedback['share_decided_by_model']))} of its "
        f"{plural(total, 'training row')} were answered by {model} itself, so their labels may "
        "echo its own decisions"
    )


def gate_sentence(run: Any, decision: Any, feedback: dict[str, Any] | None) -> str:
    """The gate's verdict on a loop run's candidate, with how much of its data it decided."""
    model, cand, champ = run.model, run.candidate, run.champion
    if decision is None:
        return (
            f"Version {cand} of {model} could not be judged, so version {champ} keeps serving: "
            f"no labelled rows arrived to judge it on (post labels to /v1/models/{model}/labels, "
            "or start the rollout with --data)."
        )
    echo = feedback_words(feedback, model)
    if decision.passed:
        return f"Version {cand} of {model} passed the gate against version {champ}{echo}."
    failed = decision.failed
    first = failed[0].sentence.rstrip(".") if failed else "no criterion was judged"
    more = (
        f" (and {plural(len(failed) - 1, 'more criterion', 'more criteria')})"
        if len(failed) > 1
        else ""
    )
    return (
        f"Version {cand} of {model} did not pass the gate, so version {champ} keeps serving: "
        f"{first}{more}{echo}."
    )


def promoted_sentence(run: Any, *, served: bool) -> str:
    """A promotion without a canary, and why there was none."""
    why = (
        "the rollout's first step sends it all traffic"
        if served
        else f"{run.model} is not deployed here, so there was no traffic to try it on"
    )
    before = f"; version {run.champion} stays as 'previous'" if run.champion is not None else ""
    return (
        f"Version {run.candidate} of {run.model} became the champion without a canary: {why}"
        f"{before}."
    )
