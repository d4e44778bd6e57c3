"""A version's rollout history is replayed from audit events alone, whoever wrote them."""

from __future__ import annotations

from typing import Any

from driftline.audit import AuditEvent
from driftline.governance._history import history


def events(*specs: tuple[str, str, str, dict[str, Any]]) -> list[AuditEvent]:
    return [
        AuditEvent(
            i, f"2026-11-2{i % 10}T10:0{i % 10}:00+00:00", actor, action, subject, payload, "", ""
        )
        for i, (actor, action, subject, payload) in enumerate(specs, 1)
    ]


def test_shadow_canary_promotion_and_undeploy_in_words() -> None:
    found = history(
        events(
            (
                "ann",
                "alias.set",
                "m@champion",
                {"alias": "champion", "version": 1, "previous": None},
            ),
            ("ann", "alias.set", "m@next", {"alias": "next", "version": 2, "previous": None}),
            (
                "ann",
                "deploy",
                "m",
                {
                    "model": "m",
                    "alias": "champion",
                    "canary_alias": None,
                    "canary_percent": 0.0,
                    "shadow_alias": "next",
                },
            ),
            (
                "loop",
                "deploy",
                "m",
                {
                    "model": "m",
                    "alias": "champion",
                    "canary_alias": "next",
                    "canary_percent": 5.0,
                    "shadow_alias": None,
                },
            ),
            ("loop", "rollback", "m", {"version": 2, "reason": "error rate rose from 1% to 4%"}),
            ("other", "rollout.step", "mm:2", {"percent": 5}),  # another model: not ours
            ("loop", "undeploy", "m", {}),
        ),
        "m",
        2,
    )
    assert [(e.actor, e.sentence) for e in found.rollout] == [
        ("ann", "next now points to this version"),
        ("ann", "deployed: it gets a shadow copy of the traffic as next"),
        (
            "loop",
            "now it answers 5% of the traffic as the canary next (before, it got a shadow copy "
            "of the traffic as next)",
        ),
        ("loop", "error rate rose from 1% to 4%"),
        ("loop", "no longer served (it answered 5% of the traffic as the canary next)"),
    ]
    assert found.rollout[0].time == "2026-11-22 10:02 UTC"  # the second event: its alias
    assert found.approvals == []


def test_approvals_name_the_version_by_number_or_reference() -> None:
    found = history(
        events(
            ("dora", "approve", "m", {"candidate": "m:3"}),
            ("dora", "loop.reject", "m", {"version": 3, "why": "two criteria failed"}),
            ("dora", "approve", "m", {"candidate": "m:4"}),
        ),
        "m",
        3,
    )
    assert [e.sentence for e in found.approvals] == [
        "Approved: approve (candidate m:3)",
        "Rejected: two criteria failed",
    ]
