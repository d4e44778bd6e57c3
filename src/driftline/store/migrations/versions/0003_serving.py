"""Serving: faster runtimes per version, deployments, API tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("runtimes", sa.JSON, nullable=False, server_default="{}"))
    op.create_table(
        "deployments",
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("alias", sa.String(100), nullable=False),
        sa.Column("canary_alias", sa.String(100), nullable=True),
        sa.Column("canary_percent", sa.Float, nullable=False),
        sa.Column("shadow_alias", sa.String(100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("tokens")
    op.drop_table("deployments")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("runtimes")
