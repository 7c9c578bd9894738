"""Grades record the tolerance rule they used (name and reason), and a metric may be graded
against several reported sources (the unique key gains ``source``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tolerance_rule", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("tolerance_reason", sa.Text(), server_default="", nullable=False))
        batch_op.drop_constraint("grades_run_id_metric_against_key", type_="unique")
        batch_op.create_unique_constraint("grades_run_id_metric_against_source_key", ["run_id", "metric", "against", "source"])


def downgrade() -> None:
    # fails, as it should, while a run holds two reported grades of one metric: delete those first
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_constraint("grades_run_id_metric_against_source_key", type_="unique")
        batch_op.create_unique_constraint("grades_run_id_metric_against_key", ["run_id", "metric", "against"])
        batch_op.drop_column("tolerance_reason")
        batch_op.drop_column("tolerance_rule")
