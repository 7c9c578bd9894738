"""Reproductions and grades, score variants (Matryoshka), reported-score origin, BigInteger
parameters, published/submitter on models, submissions and API tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:16:59.193711
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("config_yaml", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("submitter", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("log_tail", sa.Text(), nullable=False),
        sa.Column("run_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_model_name"), ["model_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_token_id"), ["token_id"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("against", sa.String(length=20), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("got", sa.Float(), nullable=False),
        sa.Column("tolerance", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "metric", "against", name="grades_run_id_metric_against_key"),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grades_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("current_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_current_results_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("submitter", sa.String(length=100), nullable=True))
        batch_op.alter_column("parameters", existing_type=sa.INTEGER(), type_=sa.BigInteger(), existing_nullable=True)

    with op.batch_alter_table("reported_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), server_default="config", nullable=False))

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="board", nullable=False))
        batch_op.add_column(sa.Column("reproduces_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("runs_reproduces_run_id_fkey", "runs", ["reproduces_run_id"], ["id"])

    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=50), server_default="", nullable=False))
        batch_op.drop_constraint(batch_op.f("scores_run_id_metric_key"), type_="unique")
        batch_op.create_index("ix_scores_run_variant_metric_value", ["run_id", "variant", "metric", "value"], unique=False)
        batch_op.create_unique_constraint("scores_run_id_metric_variant_key", ["run_id", "metric", "variant"])


def downgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.drop_constraint("scores_run_id_metric_variant_key", type_="unique")
        batch_op.drop_index("ix_scores_run_variant_metric_value")
        batch_op.create_unique_constraint(batch_op.f("scores_run_id_metric_key"), ["run_id", "metric"])
        batch_op.drop_column("variant")

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint("runs_reproduces_run_id_fkey", type_="foreignkey")
        batch_op.drop_column("reproduces_run_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("reported_scores", schema=None) as batch_op:
        batch_op.drop_column("origin")

    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.alter_column("parameters", existing_type=sa.BigInteger(), type_=sa.INTEGER(), existing_nullable=True)
        batch_op.drop_column("submitter")
        batch_op.drop_column("published")

    with op.batch_alter_table("current_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_current_results_task_id"))

    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grades_run_id"))

    op.drop_table("grades")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_token_id"))
        batch_op.drop_index(batch_op.f("ix_submissions_state"))
        batch_op.drop_index(batch_op.f("ix_submissions_model_name"))

    op.drop_table("submissions")
    op.drop_table("api_tokens")
