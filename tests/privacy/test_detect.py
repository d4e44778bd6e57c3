"""The detectors: every kind found where it is written, and ordinary text left alone."""

from __future__ import annotations

import pytest

from driftline.privacy import KINDS, Detector

from . import planted


def kinds(text: str, region: str = "US") -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in Detector(region=region).find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ann.lee@example.org today", [("EMAIL", "ann.lee@example.org")]),
        ("call (415) 555-2671 now", [("PHONE", "(415) 555-2671")]),
        ("card 4111 1111 1111 1111 on file", [("CARD", "4111 1111 1111 1111")]),
        ("pay DE89 3704 0044 0532 0130 00 TO ME", [("IBAN", "DE89 3704 0044 0532 0130 00")]),
        ("ssn 536-22-8726", [("US_SSN", "536-22-8726")]),
        ("nino AB 12 34 56 C", [("UK_NINO", "AB 12 34 56 C")]),
        ("idnr 36574261809", [("DE_IDNR", "36574261809")]),
        ("nir 2 55 08 14 168 025 38", [("FR_NIR", "2 55 08 14 168 025 38")]),
        ("dni 12345678Z and nie X1234567L", [("ES_NIF", "12345678Z"), ("ES_NIF", "X1234567L")]),
        ("cf RSSMRA85T10A562S", [("IT_FISCAL_CODE", "RSSMRA85T10A562S")]),
        (
            "from 192.168.1.20 and 2001:db8::8a2e:370:7334",
            [("IP", "192.168.1.20"), ("IP", "2001:db8::8a2e:370:7334")],
        ),
        (
            "call 415 555 2671 or 212 555 1234",
            [("PHONE", "415 555 2671"), ("PHONE", "212 555 1234")],
        ),
    ],
)
def test_each_kind_is_found_where_it_is_written(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the parcel arrived damaged, please refund",
        "order 12345 shipped on 2024-01-15 at 12:30:45 for 39.99",
        "version 1.2.3, build 20240115, 3.14159265358979",
        "4111 1111 1111 1112",  # Luhn fails
        "DE89 3704 0044 0532 0130 01",  # IBAN check digits fail
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "0.0.0.0",
    ],
)
def test_ordinary_text_and_failed_checksums_are_left_alone(text: str) -> None:
    assert kinds(text) == []


def test_a_uk_nhs_number_is_read_as_one_where_it_is_not_a_local_phone_number() -> None:
    assert kinds("nhs 943 476 5919", region="GB") == [("UK_NHS", "943 476 5919")]
    assert kinds("nhs 943 476 5919", region="US") == [("PHONE", "943 476 5919")]


def test_a_phone_number_without_its_country_is_read_in_the_configured_region() -> None:
    assert kinds("ring 020 7946 0018", region="GB") == [("PHONE", "020 7946 0018")]
    assert kinds("ring 020 7946 0018", region="US") == []
    assert kinds("ring +44 20 7946 0018", region="US") == [("PHONE", "+44 20 7946 0018")]


def test_numbers_are_checked_for_card_numbers_only() -> None:
    detector = Detector()
    assert detector.number(4111111111111111) == "CARD"
    assert detector.number(4111111111111111.0) == "CARD"
    assert detector.number(4111111111111112) is None
    assert detector.number(4155552671) is None  # a phone number as a number: name the column
    assert detector.number(12.5) is None


def test_planted_values_of_every_kind_are_found_with_their_kind() -> None:
    detector = Detector()
    values = planted.values(400, seed=3)
    missed = [(k, v) for k, v in values if [f.kind for f in detector.find(f"x {v} y")] != [k]]
    assert missed == []
    assert {k for k, _ in values} <= set(KINDS)
