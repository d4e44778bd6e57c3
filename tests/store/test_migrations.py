"""Schema migrations: applied on open, cheap when current, and old workspaces keep opening."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, text

from driftline import StorageError, TamperedArtifactError, Workspace
from driftline.store import Database, verify_blobs
from driftline.store._migrate import current_revision, head_revision, migrate

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_new_workspace_is_at_the_newest_revision(workspace: Workspace) -> None:
    with workspace.db.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        tables = set(inspect(conn).get_table_names())
    assert {"models", "model_versions", "aliases", "audit_events", "audit_head"} <= tables


def test_migrate_is_idempotent(workspace: Workspace) -> None:
    assert migrate(workspace.db) == head_revision()
    assert migrate(Database(workspace.settings.database_url)) == head_revision()


def test_database_from_a_newer_driftline_is_refused(workspace: Workspace) -> None:
    with workspace.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(StorageError, match="newer version: upgrade driftline"):
        Workspace.open(workspace.home, database_url=workspace.settings.database_url)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("workspace-*")))
def test_workspace_made_by_an_older_version_opens(fixture: str, tmp_path: Path) -> None:
    home = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, home)
    with Workspace.open(home, create=False) as ws:
        champion = ws.get("old@champion")
        assert champion.version == 1 and champion.metrics == {"accuracy": 1.0}
        assert ws.get("old").lineage["parent"] == "old:1"
        model = ws.load_model(champion)
        np.testing.assert_array_equal(model.predict(pd.DataFrame({"x": [0.0, 3.0]})), [0, 1])
        assert ws.load_profile(champion).n_rows == 8
        assert ws.verify_audit().ok
        ws.register("old", model)  # and it accepts new work
        assert ws.verify_audit().checked == 4


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("workspace-*")))
def test_older_blobs_without_a_recorded_digest_are_still_verified(
    fixture: str, tmp_path: Path
) -> None:
    home = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, home)
    with Workspace.open(home, create=False) as ws:
        old = ws.get("old:1")
        assert old.profile_key is not None and old.profile_sha256 is None
        report = verify_blobs(ws.context)
        assert report.ok and report.versions == 2 and report.unrecorded == 2
        assert report.summary() == (
            "all 4 blobs of 2 versions and 0 stored reports match their sha256 (2 blobs of "
            "versions made before digests were recorded had theirs checked against the digest "
            "their key names)"
        )

        path = home / "artifacts" / old.profile_key
        path.write_bytes(path.read_bytes().replace(b'"n_rows":8', b'"n_rows":9'))
        with pytest.raises(TamperedArtifactError) as caught:
            ws.load_profile(old)
        assert str(caught.value).startswith("the reference profile of old:1 was changed")
        assert "the one its key names is 3e6766b13573" in str(caught.value)
        # Both versions share that profile: both are listed.
        assert [(c.owner, c.kind) for c in verify_blobs(ws.context).bad] == [
            ("old:1", "reference profile"),
            ("old:2", "reference profile"),
        ]


def test_fixture_exists() -> None:
    assert list(FIXTURES.glob("workspace-*")), "tests/fixtures/workspace-<version> is missing"
