"""Open runs metered at read time: a job's open run (``run_start_s``, ``run_gpus``) and the exact cost of its closed
runs (``closed_cost_x3600``: micro-dollars x 3600, an integer), so the clock's ticks no longer rewrite every running
job and its ledger row

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("run_start_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("run_gpus", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_cost_x3600", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("closed_cost_x3600")
        batch.drop_column("run_gpus")
        batch.drop_column("run_start_s")
