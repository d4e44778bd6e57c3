"""Opening the online store a URL names."""

from __future__ import annotations

from driftline.errors import ConfigError
from driftline.features._online import OnlineStore
from driftline.features._sqlite import SQLiteStore

__all__ = ["open_store"]


def open_store(url: str) -> OnlineStore:
    """The online store at ``url``: ``sqlite:///path`` or ``redis://host:port/db``."""
    if url.startswith("sqlite:///"):
        return SQLiteStore(url[len("sqlite:///") :])
    if url.startswith(("redis://", "rediss://", "unix://")):
        from driftline.features._redis import RedisStore

        return RedisStore(url)
    raise ConfigError(
        f"online store URL {url!r} is not one driftline knows; use sqlite:///path/online.db "
        "or redis://host:6379/0 (DRIFTLINE_ONLINE_STORE_URL)"
    )
