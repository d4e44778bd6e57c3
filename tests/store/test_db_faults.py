"""A database that cannot be reached or used fails with one sentence, at the store's edge.

Every test runs against the real thing: a port nobody listens on, a server
that checks passwords, a database that does not exist, a SQLite file
overwritten with garbage, a user without rights. The SDK user and the CLI
get the same errors; none of them shows the URL's password.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from driftline import ConfigError, StorageError, Workspace
from driftline.store import Database

PASSWORD = "s3cret-Pw"


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def closed_port() -> int:
    """A port on this machine that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def garble(path: Path) -> None:
    """Overwrite a SQLite file with seeded random bytes, as a bad copy or a disk fault would."""
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_a_closed_port_cannot_be_reached_and_the_password_is_masked(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:{closed_port()}/x"
    with pytest.raises(StorageError) as caught:
        Workspace.open(tmp_path / "ws", database_url=url)
    message = str(caught.value)
    assert message == (
        f"the metadata database at {masked(url)} cannot be reached: connection refused; "
        "start PostgreSQL or fix DRIFTLINE_DATABASE_URL"
    )
    assert "bob:***@127.0.0.1" in message and PASSWORD not in message


@pytest.mark.postgres
def test_a_wrong_password_is_a_config_error(postgres_password_server: str, tmp_path: Path) -> None:
    url = make_url(postgres_password_server).set(password="not-it")
    with pytest.raises(ConfigError) as caught:
        Workspace.open(tmp_path / "ws", database_url=url.render_as_string(hide_password=False))
    message = str(caught.value)
    assert 'refused the login: password authentication failed for user "postgres"' in message
    assert message.endswith("fix the user name or password in DRIFTLINE_DATABASE_URL")
    assert "not-it" not in message and "postgres:***@" in message


@pytest.mark.postgres
def test_the_right_password_opens(postgres_password_server: str, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws", database_url=postgres_password_server) as ws:
        assert ws.models() == []


@pytest.mark.postgres
def test_a_missing_database_says_how_to_create_it(postgres_server: str, tmp_path: Path) -> None:
    name = f"missing_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with pytest.raises(ConfigError) as caught:
        Workspace.open(tmp_path / "ws", database_url=url)
    assert str(caught.value).startswith(f"the metadata database at {masked(url)} cannot be used")
    assert f'database "{name}" does not exist; create it (createdb {name})' in str(caught.value)


@pytest.mark.postgres
def test_a_user_without_rights_is_told_which(postgres_url: str, tmp_path: Path) -> None:
    # PostgreSQL 15 lets only the owner create tables in a database's public schema.
    role = f"reader_{uuid.uuid4().hex[:8]}"
    admin = Database(postgres_url)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
        with pytest.raises(ConfigError, match="permission denied for schema public; grant"):
            Workspace.open(tmp_path / "ws", database_url=url)
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_a_garbled_sqlite_file_is_named_damaged(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    garble(tmp_path / "ws" / "driftline.db")
    with pytest.raises(StorageError) as caught:
        Workspace.open(tmp_path / "ws", create=False)
    assert str(caught.value) == (
        f"the metadata database at sqlite:///{tmp_path / 'ws' / 'driftline.db'} is damaged "
        "(file is not a database): the file was overwritten or corrupted; restore it from a "
        "backup, or point DRIFTLINE_DATABASE_URL at a good database"
    )


def test_a_file_garbled_while_open_fails_reads_the_same_way(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        assert ws.models() == []
        ws.db.dispose()  # the next read opens a new connection, as a new process would
        garble(tmp_path / "ws" / "driftline.db")
        with pytest.raises(StorageError, match="is damaged"):
            ws.models()


def test_a_dropped_table_is_named(workspace: Workspace) -> None:
    cascade = " CASCADE" if workspace.db.dialect == "postgresql" else ""
    with workspace.db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE models{cascade}"))
    with pytest.raises(StorageError, match=r"lacks driftline's tables: .*models"):
        workspace.models()


def test_a_sqlite_folder_that_cannot_be_made_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StorageError, match="cannot be created: its folder"):
        Database(f"sqlite:///{tmp_path / 'file' / 'sub' / 'driftline.db'}")


def test_a_url_that_does_not_parse_keeps_its_password_hidden() -> None:
    with pytest.raises(ConfigError) as caught:
        Database(f"postgresql+psycopg://bob:{PASSWORD}@host:notaport/x")
    assert PASSWORD not in str(caught.value) and "bob:***@" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://bob:pw@h:5432/db", "postgresql+psycopg://bob:***@h:5432/db"),
        ("postgresql://:pw@h/db", "postgresql://:***@h/db"),
        ("at postgresql://u:a%40b@h/db and s3://bucket/key", "at postgresql://u:***@h/db and s3://bucket/key"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
    ],
)  # fmt: skip
def test_mask_url(text: str, expected: str) -> None:
    from driftline.store import mask_url

    assert mask_url(text) == expected


def test_driver_errors_raised_around_sqlalchemy_are_translated_too(tmp_path: Path) -> None:
    import sqlite3

    db = Database(f"sqlite:///{tmp_path / 'driftline.db'}")
    garble(tmp_path / "driftline.db")
    with pytest.raises(StorageError, match="is damaged"), db.faults():
        sqlite3.connect(tmp_path / "driftline.db").execute("SELECT * FROM sqlite_master")
    # A broken constraint is the writing code's fault: it passes through as it is.
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    with pytest.raises(sqlite3.IntegrityError), db.faults():
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (1,)])


def test_psycopg_errors_raised_around_sqlalchemy_are_translated_too() -> None:
    psycopg = pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:{closed_port()}/x"
    db = Database(url)
    with pytest.raises(StorageError, match="cannot be reached: connection refused"), db.faults():
        psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
