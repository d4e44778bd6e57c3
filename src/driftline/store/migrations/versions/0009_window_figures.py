"""Window figures: the numbers charts draw from each monitoring window, as plain columns.

Charts over a year of hourly windows aggregate these in the database instead
of parsing every window's metrics and drift report. Windows stored before
this revision get theirs from their documents here, a thousand at a time.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from driftline.store._figures import window_figures

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("drift_share", sa.Float, nullable=True),
        sa.Column("lead_metric", sa.String(100), nullable=True),
        sa.Column("estimated", sa.Float, nullable=True),
        sa.Column("estimated_low", sa.Float, nullable=True),
        sa.Column("estimated_high", sa.Float, nullable=True),
        sa.Column("realized", sa.Float, nullable=True),
        sa.Column("reference", sa.Float, nullable=True),
        sa.Column("effects", sa.JSON(none_as_null=True), nullable=True),
    ]


_CHART = (
    "model",
    "window_start",
    "window_end",
    "rows",
    "drift_share",
    "lead_metric",
    "estimated",
    "estimated_low",
    "estimated_high",
    "realized",
    "reference",
)
_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("monitor_windows") as batch:
        for column in _columns():
            batch.add_column(column)
    # What a chart reads, in one index: answered from it, the wide rows stay unread.
    op.create_index("ix_monitor_windows_chart", "monitor_windows", list(_CHART))
    windows = sa.table(
        "monitor_windows",
        sa.column("id", sa.Integer),
        sa.column("metrics", sa.JSON),
        sa.column("drift", sa.JSON),
        *(sa.column(c.name, c.type) for c in _columns()),
    )
    update = (
        windows.update()
        .where(windows.c.id == sa.bindparam("row_id"))
        .values({c.name: sa.bindparam(f"new_{c.name}") for c in _columns()})
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(windows.c.id, windows.c.metrics, windows.c.drift)
            .where(windows.c.id > last)
            .order_by(windows.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            update,
            [
                {"row_id": i, **{f"new_{k}": v for k, v in window_figures(m, d).items()}}
                for i, m, d in rows
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_monitor_windows_chart", "monitor_windows")
    with op.batch_alter_table("monitor_windows") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
