"""Stream addresses and durations, as the flags give them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from driftline.errors import ConfigError
from driftline.stream import StreamAddress, parse_duration


@pytest.mark.parametrize(
    ("text", "server", "stream"),
    [
        ("redis://cache:6380/2/orders", "redis://cache:6380/2", "orders"),
        ("redis://cache/orders", "redis://cache:6379/0", "orders"),
        ("redis://cache:6379/0/orders%2Feu", "redis://cache:6379/0", "orders/eu"),
        ("rediss://bob:pw@cache:6380/1/in", "rediss://bob:pw@cache:6380/1", "in"),
        ("redis://[::1]:7000/3/in", "redis://[::1]:7000/3", "in"),
        ("redis://cache/12", "redis://cache:6379/0", "12"),  # one part is the stream
    ],
)
def test_an_address_names_a_server_and_a_stream(text: str, server: str, stream: str) -> None:
    assert StreamAddress.parse(text) == StreamAddress(server, stream)


def test_the_address_shown_masks_the_password() -> None:
    address = StreamAddress.parse("redis://bob:s3cret@cache:6379/0/in")
    assert address.shown == "redis://bob:***@cache:6379/0/in"


def test_a_stream_beside_the_source_is_on_its_server() -> None:
    source = StreamAddress.parse("redis://cache/4/in")
    assert source.beside("out", option="--sink") == StreamAddress("redis://cache:6379/4", "out")
    assert source.beside("redis://cache:6379/4/out", option="--sink").stream == "out"
    with pytest.raises(ConfigError, match="--sink must name a stream, got an empty name"):
        source.beside(" ", option="--sink")


@pytest.mark.parametrize("text", ["redis://cache", "redis://cache:port/0/in", "cache:6379/in"])
def test_a_malformed_address_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--source"):
        StreamAddress.parse(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30.0), ("250ms", 0.25), ("2m", 120.0), ("1h", 3600.0), ("5", 5.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, option="--claim-idle") == seconds


def test_a_bad_duration_says_what_it_expected() -> None:
    with pytest.raises(
        ConfigError, match=r"--block must be a duration like 500ms, 30s or 2m, got '1 day'"
    ):
        parse_duration("1 day", option="--block")


def test_the_stream_package_does_not_import_redis() -> None:
    code = "import sys, driftline.stream, driftline.cli; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
