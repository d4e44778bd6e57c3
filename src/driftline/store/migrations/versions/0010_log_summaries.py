"""Log summaries: what a reader made of a settled day of the log, kept across restarts.

A year of traffic asked after a restart reads 365 of these rows instead of
365 days of Parquet. Each names the files it was made from, so a day whose
files change is summed up again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "log_summaries",
        sa.Column("log", sa.String(500), primary_key=True),
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("stamp", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_summaries")
