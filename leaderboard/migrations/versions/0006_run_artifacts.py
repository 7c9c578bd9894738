"""Runs keep their ranked lists: the table ``run_artifacts`` (one row per run and kind).

A retrieval run now stores the ranking its scores came from (the top 1,000 hits per judged
query, ``common/rankings.py``), a Tatoeba run each sentence's nearest neighbour, in the run's own
transaction.  Runs stored before this revision have no row: the API answers ``ranking: null``
with a note, the run page says no ranking was stored.  Nothing else changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_artifacts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("run_artifacts")
