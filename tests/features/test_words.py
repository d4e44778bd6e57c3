"""Each sentence the feature store says, with its numbers."""

from __future__ import annotations

from driftline.features._words import (
    coverage_sentence,
    materialized_sentence,
    missing_entity_sentence,
    stale_value_sentence,
)


def test_coverage() -> None:
    assert coverage_sentence("customer", 1, 4, 4, 0, 0) == (
        "1 feature of view 'customer': 4 of 4 rows got values"
    )
    assert coverage_sentence("customer", 3, 1000, 990, 0, 10) == (
        "3 features of view 'customer': 990 of 1,000 rows got values; 10 of 1,000 rows had no "
        "value at or before their time (1% left empty)"
    )
    assert coverage_sentence("device", 2, 2000, 1000, 1000, 0) == (
        "2 features of view 'device': 1,000 of 2,000 rows got values; 1,000 of 2,000 rows had "
        "only values older than the view's time-to-live (50% left empty)"
    )


def test_materialized() -> None:
    assert materialized_sentence(
        "customer", 0, 0, "sqlite:///ws/online.db", "since 2026-06-01 12:00 UTC"
    ) == (
        "view 'customer': nothing new since 2026-06-01 12:00 UTC; the online store "
        "(sqlite:///ws/online.db) is up to date"
    )
    assert materialized_sentence("customer", 1, 1, "redis://h:6379/0", "in its history") == (
        "view 'customer': read 1 new row in its history and wrote the latest values of 1 entity "
        "to the online store (redis://h:6379/0)"
    )
    assert "12,000 new rows" in materialized_sentence("c", 12000, 300, "s", "x")
    assert "300 entities" in materialized_sentence("c", 12000, 300, "s", "x")


def test_lookup_failures() -> None:
    assert missing_entity_sentence("customer", "customer_id 9", "churn") == (
        "no features of view 'customer' for customer_id 9 in the online store, and the "
        "deployment of churn fails on missing features; materialize the view (driftline "
        "features materialize) or send the model's inputs in the request"
    )
    assert stale_value_sentence("customer", "customer_id 2", "churn", "60 days", "30d") == (
        "the features of view 'customer' for customer_id 2 are 60 days old, older than the "
        "view's time-to-live of 30d, and the deployment of churn fails on stale features; "
        "materialize the view again or send the model's inputs in the request"
    )
