"""Where a stream lives: ``redis://[user:password@]host[:port][/db]/STREAM``, and durations.

The server part is what redis-py's ``Redis.from_url`` takes; the last part of
the path names the stream. A stream name with ``/`` or other reserved
characters is written percent-encoded (``orders%2Feu``).
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from typing import Any

from driftline.errors import ConfigError, MissingDependencyError
from driftline.store import mask_url

__all__ = ["StreamAddress", "connect", "parse_duration", "redis_module"]

_SCHEMES = ("redis", "rediss")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclasses.dataclass(frozen=True)
class StreamAddress:
    """A stream on one database of one Redis server."""

    server: str  # redis://host:port/db, credentials included: what the client connects to
    stream: str

    @classmethod
    def parse(cls, text: str, *, option: str = "--source") -> StreamAddress:
        """Read ``redis://host:port/db/stream`` (the database may be left out: 0).

        >>> StreamAddress.parse("redis://cache:6380/2/orders")
        StreamAddress(server='redis://cache:6380/2', stream='orders')
        >>> StreamAddress.parse("redis://cache/orders").server
        'redis://cache:6379/0'
        """
        parts = urllib.parse.urlsplit(text.strip())
        example = "redis://localhost:6379/0/orders"
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise ConfigError(
                f"{option} must be a Redis stream address like {example}, got {mask_url(text)!r}"
            )
        segments = [s for s in parts.path.split("/") if s]
        db = "0"
        if len(segments) == 2 and segments[0].isdigit():
            db, segments = segments[0], segments[1:]
        if len(segments) != 1:
            raise ConfigError(
                f"{option} must end with /DB/STREAM or /STREAM (like {example}), got "
                f"{mask_url(text)!r}; write a stream name holding '/' as %2F"
            )
        try:
            port = parts.port or 6379
        except ValueError:
            raise ConfigError(
                f"{option} has a port that is not a number: {mask_url(text)!r}"
            ) from None
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        login = parts.netloc.rpartition("@")[0]
        netloc = f"{login}@{host}:{port}" if login else f"{host}:{port}"
        server = urllib.parse.urlunsplit((parts.scheme, netloc, f"/{db}", parts.query, ""))
        return cls(server=server, stream=urllib.parse.unquote(segments[0]))

    def beside(self, text: str, *, option: str) -> StreamAddress:
        """Another stream on this server: a bare name, or a full address that must match."""
        if "://" not in text:
            if not text.strip():
                raise ConfigError(f"{option} must name a stream, got an empty name")
            return StreamAddress(self.server, text.strip())
        other = StreamAddress.parse(text, option=option)
        if other.server != self.server:
            raise ConfigError(
                f"{option} must be on the same Redis server and database as --source "
                f"({mask_url(self.server)}), got {mask_url(other.server)}: the result and the "
                "acknowledgement are written in one atomic step, which Redis does on one "
                "server only; give a stream name, or an address on that server"
            )
        return other

    @property
    def shown(self) -> str:
        """The address as it may be printed: password masked."""
        quoted = urllib.parse.quote(self.stream, safe="")
        return f"{mask_url(self.server)}/{quoted}"


def redis_module() -> Any:
    """redis-py, or an install hint."""
    try:
        import redis
    except ImportError as exc:
        raise MissingDependencyError(
            "streams need redis-py, which is not installed; install it with: "
            "pip install 'driftline[redis]'"
        ) from exc
    return redis


def connect(address: StreamAddress, *, timeout: float = 10.0) -> Any:
    """A client of the address's server (bytes in, bytes out; nothing decoded for us)."""
    redis = redis_module()
    # The socket timeout must outlast the longest blocking read the worker asks for.
    return redis.Redis.from_url(
        address.server,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=0,
    )


def parse_duration(text: str, *, option: str) -> float:
    """Seconds from ``500ms``, ``30s``, ``2m``, ``1h`` or a plain number of seconds.

    >>> parse_duration("30s", option="--claim-idle"), parse_duration("250ms", option="x")
    (30.0, 0.25)
    """
    match = _DURATION.match(text or "")
    if not match:
        raise ConfigError(f"{option} must be a duration like 500ms, 30s or 2m, got {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
