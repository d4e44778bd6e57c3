"""The policy applied: records, rows, tables, pages and profiles; the secret kept to its owner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from driftline.errors import ConfigError
from driftline.privacy import REDACTED, SECRET_FILE, PrivacyPolicy, Redactor, keyed_hash
from driftline.settings import Settings

SECRET = bytes(range(32))


def redactor(**table: object) -> Redactor:
    return Redactor(PrivacyPolicy.from_table(table), secret=lambda: SECRET)


def test_each_column_action_does_what_it_says() -> None:
    r = redactor(
        personal=["customer"],
        columns={"notes": "redact", "ssn": "drop", "code": "keep", "score": "redact"},
    )
    row = r.row(
        {
            "customer": "C-1042",
            "notes": "nothing personal",
            "ssn": "536-22-8726",
            "code": "ann@example.org",
            "score": 0.5,
            "free": "mail ann@example.org please",
            "amount": 12.5,
            "account": 4111111111111111,
        }
    )
    assert row == {
        "customer": keyed_hash(SECRET, "C-1042"),
        "notes": REDACTED,
        "code": "ann@example.org",
        "score": None,
        "free": "mail [EMAIL] please",
        "amount": 12.5,
        "account": None,  # a card number in a number column becomes missing, not text
    }


def test_detected_values_can_be_hashed_or_kept_instead_of_redacted() -> None:
    assert redactor(detected="hash").text("to ann@example.org") == "to " + keyed_hash(
        SECRET, "ann@example.org"
    )
    assert redactor(detected="keep").text("to ann@example.org") == "to ann@example.org"


def test_a_hash_is_the_same_for_the_same_value_and_differs_by_secret() -> None:
    r = redactor(personal=["customer"])
    other = Redactor(PrivacyPolicy.from_table({"personal": ["customer"]}), secret=lambda: b"x" * 32)
    assert r.row({"customer": 42})["customer"] == r.row({"customer": 42.0})["customer"]
    assert r.row({"customer": "a"})["customer"] != other.row({"customer": "a"})["customer"]


def test_a_log_record_keeps_its_own_fields_and_hashes_personal_ids_whole() -> None:
    r = redactor(personal=["customer"])
    record = {
        "kind": "prediction",
        "request_id": "ann@example.org-1",
        "request_key": "cust-7",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "model": "m",
        "inputs": {"customer": "cust-7", "note": "call 415-555-2671"},
        "prediction": "yes",
        "error": "column 'x' must be a number, got '536-22-8726' in row 3",
    }
    out = r.record(record)
    assert out["request_id"] == keyed_hash(SECRET, "ann@example.org-1")
    assert out["request_key"] == "cust-7"  # nothing personal found in it, no policy: as sent
    assert out["inputs"] == {"customer": keyed_hash(SECRET, "cust-7"), "note": "call [PHONE]"}
    assert out["error"] == "column 'x' must be a number, got '[US_SSN]' in row 3"
    assert {k: out[k] for k in ("kind", "timestamp", "model", "prediction")} == {
        k: record[k] for k in ("kind", "timestamp", "model", "prediction")
    }
    # A label posted for that request carries the same hashed id: the join still holds.
    label = r.record({"kind": "label", "request_id": "ann@example.org-1", "label": 1})
    assert label["request_id"] == out["request_id"] and label["label"] == 1


def test_a_table_of_rejected_rows_is_redacted_and_loses_dropped_columns() -> None:
    r = redactor(columns={"ssn": "drop"})
    table = pa.table(
        {"email": ["ann@example.org", "bob"], "ssn": ["536-22-8726", None], "x": [1.0, None]}
    )
    out = r.table(table)
    assert out.column_names == ["email", "x"]
    assert out.column("email").to_pylist() == ["[EMAIL]", "bob"]
    empty = r.table(table.slice(0, 0))
    assert empty.column_names == ["email", "x"] and empty.num_rows == 0


def test_a_page_is_redacted_in_its_text_and_attributes_but_keeps_its_markup() -> None:
    page = '<p title="ann@example.org">Top category: 536-22-8726</p><svg><path d="M0 0"/></svg>'
    assert redactor().html(page) == (
        '<p title="[EMAIL]">Top category: [US_SSN]</p><svg><path d="M0 0"/></svg>'
    )


def test_a_profile_keeps_distinct_categories_distinct() -> None:
    r = redactor(personal=["customer"])
    profile = {
        "format": 2,
        "columns": [
            {"name": "city", "kind": "categorical", "categories": ["a@x.org", "b@x.org", "Paris"]},
            {"name": "customer", "kind": "categorical", "categories": ["C-1", "C-2"]},
        ],
        "reservoir": {"size": 2, "keys": [0.1, 0.2], "values": {"city": ["a@x.org", "Paris"]}},
    }
    out = r.profile(profile)
    city, customer = out["columns"][0]["categories"], out["columns"][1]["categories"]
    assert len(set(city)) == 3 and city[2] == "Paris" and "a@x.org" not in city
    assert customer == [keyed_hash(SECRET, "C-1"), keyed_hash(SECRET, "C-2")]
    assert out["reservoir"]["values"]["city"] == ["[EMAIL]", "Paris"]


def test_a_profiles_sample_is_redacted_as_each_of_its_values_would_be() -> None:
    r = redactor(personal=["customer"], columns={"notes": "redact", "code": "keep"})
    numbers = [0.5, -3.0, 4111111111111111.0, 4111111111111112.0, 1e30, None, 7.25e11]
    texts = ["a@x.org", "Paris", "a@x.org", None, "call 536-22-8726", "Paris"]
    values = {"amount": numbers, "city": texts, "customer": texts, "notes": texts, "code": texts}
    profile = {"format": 2, "columns": [], "reservoir": {"size": 7, "keys": [], "values": values}}
    stored = r.profile(profile)["reservoir"]["values"]
    for name, column in values.items():
        assert stored[name] == [r._cells(name, v, pseudonym=False) for v in column]
    assert stored["amount"] == [0.5, -3.0, None, 4111111111111112.0, 1e30, None, 7.25e11]
    assert stored["city"] == ["[EMAIL]", "Paris", "[EMAIL]", None, "call [US_SSN]", "Paris"]


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"detected": "shred"}, "detected must be one of redact, hash, keep, got 'shred'"),
        ({"columns": {"x": "blur"}}, "x must be one of redact, hash, drop, keep, got 'blur'"),
        ({"region": "England"}, "two-letter country code"),
        ({"personal": "email"}, "personal must be a list of column names"),
        (
            {"personal": ["e"], "columns": {"e": "keep"}},
            "listed as personal (hashed) and as 'keep'",
        ),
        ({"colums": {}}, "unknown key(s) colums"),
    ],
)
def test_a_wrong_policy_says_what_is_wrong(table: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        PrivacyPolicy.from_table(table)
    assert says in str(caught.value)


def test_the_policy_is_read_from_the_privacy_table_of_driftline_toml(tmp_path: Path) -> None:
    (tmp_path / "driftline.toml").write_text(
        '[privacy]\nregion = "gb"\npersonal = ["customer"]\n[privacy.columns]\nssn = "drop"\n'
    )
    settings = Settings.load(tmp_path, environ={})
    r = Redactor.from_settings(settings)
    assert r.policy.region == "GB" and r.policy.action("customer") == "hash"
    assert r.policy.action("ssn") == "drop" and r.policy.action("other") == "scan"
    env = Settings.load(tmp_path, environ={"DRIFTLINE_PRIVACY_REGION": "DE"})
    assert Redactor.from_settings(env).policy.region == "DE"


def test_a_secret_others_can_read_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path, environ={})
    r = Redactor(PrivacyPolicy.from_table({"personal": ["c"]}))
    Redactor.from_settings(settings).hash("x")  # made on first use, mode 0600
    path = tmp_path / SECRET_FILE
    assert (path.stat().st_mode & 0o777) == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"can be read by other users \(mode 0644.*chmod 600"):
        Redactor.from_settings(settings)
    with pytest.raises(RuntimeError, match="no workspace secret"):
        r.row({"c": 1})


def test_the_secret_can_come_from_the_environment_instead_of_a_file(tmp_path: Path) -> None:
    given = Settings.load(tmp_path, environ={"DRIFTLINE_SECRET": SECRET.hex()})
    assert Redactor.from_settings(given).hash("v") == keyed_hash(SECRET, "v")
    assert not (tmp_path / SECRET_FILE).exists()
    short = Settings.load(tmp_path, environ={"DRIFTLINE_SECRET": "abcd"})
    with pytest.raises(ConfigError, match="at least 32 hex digits"):
        Redactor.from_settings(short).hash("v")
    assert "DRIFTLINE_SECRET" not in repr(given) and SECRET.hex() not in repr(given)


def test_a_message_field_is_redacted_as_columns_when_it_is_a_json_object() -> None:
    r = redactor(personal=["customer"], columns={"ssn": "drop"})
    held = r.field("data", '{"customer": "c-1", "note": "ring 415-555-2671", "ssn": "x"}')
    assert held is not None
    assert json.loads(held) == {"customer": keyed_hash(SECRET, "c-1"), "note": "ring [PHONE]"}
    assert r.field("contact", "{broken ann@example.org") == "{broken [EMAIL]"
    assert r.field("ssn", "536-22-8726") is None


def test_a_stored_document_is_redacted_in_its_keys_and_values() -> None:
    found = {"unseen": {"ann@example.org": 3, "Paris": 1}, "rows": [4111111111111111, 7]}
    assert redactor().document(found) == {"unseen": {"[EMAIL]": 3, "Paris": 1}, "rows": [None, 7]}


def test_forget_looks_for_what_the_policy_stored() -> None:
    r = redactor(personal=["customer"])
    assert r.stored("customer", "c-1") == keyed_hash(SECRET, "c-1")
    assert r.stored("request_key", "ann@example.org") == keyed_hash(SECRET, "ann@example.org")
    assert r.stored("request_key", "cust-7") == "cust-7"


def test_writers_starting_together_agree_on_one_whole_secret(tmp_path: Path) -> None:
    import threading

    from driftline.privacy import workspace_secret

    keys: list[bytes] = []
    start = threading.Barrier(16)

    def read() -> None:
        start.wait()
        keys.append(workspace_secret(tmp_path))

    threads = [threading.Thread(target=read) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) == 32
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]
