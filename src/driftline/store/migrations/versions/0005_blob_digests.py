"""Blob digests: the reference profile's and a stored report's sha256, checked on every read.

Rows written before this revision keep NULL: their blobs are verified against
the digest their content-addressed key names.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("profile_sha256", sa.String(64), nullable=True))
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("report_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("report_sha256")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("profile_sha256")
