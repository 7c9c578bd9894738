"""The first release's schema: models, tasks, runs, scores, current results, reported scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Unique constraints carry the names PostgreSQL gives unnamed ones, so databases created by the
first release (before migrations existed) match this revision exactly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("families", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.Integer(), nullable=True),
        sa.Column("license", sa.String(length=100), nullable=True),
        sa.Column("open_weights", sa.Boolean(), nullable=False),
        sa.Column("is_reference", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="models_name_key"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("benchmark", sa.String(length=20), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=False),
        sa.Column("split", sa.String(length=20), nullable=False),
        sa.Column("main_score", sa.String(length=50), nullable=False),
        sa.Column("metric_spec", sa.JSON(), nullable=False),
        sa.Column("license", sa.String(length=200), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tasks_benchmark"), "tasks", ["benchmark"], unique=False)
    op.create_table(
        "reported_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "task_id", "metric", "source", name="reported_scores_model_id_task_id_metric_source_key"),
    )
    op.create_index(op.f("ix_reported_scores_model_id"), "reported_scores", ["model_id"], unique=False)
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("metric_spec", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_runs_model_id"), "runs", ["model_id"], unique=False)
    op.create_index(op.f("ix_runs_task_id"), "runs", ["task_id"], unique=False)
    op.create_table(
        "current_results",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["models.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.PrimaryKeyConstraint("model_id", "task_id"),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("per_query", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "metric", name="scores_run_id_metric_key"),
    )
    op.create_index(op.f("ix_scores_run_id"), "scores", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scores_run_id"), table_name="scores")
    op.drop_table("scores")
    op.drop_table("current_results")
    op.drop_index(op.f("ix_runs_task_id"), table_name="runs")
    op.drop_index(op.f("ix_runs_model_id"), table_name="runs")
    op.drop_table("runs")
    op.drop_index(op.f("ix_reported_scores_model_id"), table_name="reported_scores")
    op.drop_table("reported_scores")
    op.drop_index(op.f("ix_tasks_benchmark"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("models")
