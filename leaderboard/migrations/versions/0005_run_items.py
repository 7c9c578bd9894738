"""Per-item data of a run that is not a score gets its own table, ``run_items``; STS's gold moves there.

Until now an STS run stored its normalised gold per pair as a fake metric, the score row
``gold_score`` (value: the mean gold; ``per_query``: the gold per pair id), once for the run as
configured and once per score variant.  It is not a score, yet it appeared as one in the API,
the exports and the CLI.  This revision creates ``run_items(run_id, name, values)`` and moves
each run's gold there as ``name="gold"`` (from the ``variant=""`` row, else from the first
variant's: the gold does not depend on the variant), then deletes every ``gold_score`` row.
Every other score is left as it is.

``downgrade`` puts the rows back: one ``gold_score`` row per variant the run has scores for,
valued, as the scorer valued it, at ``numpy.mean`` of the gold in pair order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GOLD_SCORE = "gold_score"  # the metric name runs before 0005 stored the gold under (frozen here: it exists nowhere else now)
GOLD = "gold"
BATCH = 200

scores = sa.table(
    "scores",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("metric", sa.String),
    sa.column("variant", sa.String),
    sa.column("value", sa.Float),
    sa.column("per_query", sa.JSON),
)
run_items = sa.table("run_items", sa.column("run_id", sa.Integer), sa.column("name", sa.String), sa.column("values", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "run_items",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "name"),
    )
    bind = op.get_bind()
    # the ids first (small), then the gold of a few runs at a time: a gold row holds up to ~10k pairs
    run_ids = (
        bind.execute(sa.select(scores.c.run_id).where(scores.c.metric == GOLD_SCORE).distinct().order_by(scores.c.run_id)).scalars().all()
    )
    for start in range(0, len(run_ids), BATCH):
        part = run_ids[start : start + BATCH]
        stmt = (
            sa.select(scores.c.run_id, scores.c.per_query)
            .where(scores.c.metric == GOLD_SCORE, scores.c.run_id.in_(part))
            .order_by(scores.c.run_id, scores.c.variant)  # "" sorts first: the run as configured
        )
        moved: dict[int, dict] = {}
        for run_id, per_query in bind.execute(stmt):
            if run_id not in moved and isinstance(per_query, dict):
                moved[run_id] = per_query
        if moved:
            bind.execute(run_items.insert(), [{"run_id": run_id, "name": GOLD, "values": values} for run_id, values in moved.items()])
    bind.execute(scores.delete().where(scores.c.metric == GOLD_SCORE))


def downgrade() -> None:
    bind = op.get_bind()
    run_ids = bind.execute(sa.select(run_items.c.run_id).where(run_items.c.name == GOLD).order_by(run_items.c.run_id)).scalars().all()
    for start in range(0, len(run_ids), BATCH):
        part = run_ids[start : start + BATCH]
        variants: dict[int, set[str]] = {}
        for run_id, variant in bind.execute(sa.select(scores.c.run_id, scores.c.variant).where(scores.c.run_id.in_(part)).distinct()):
            variants.setdefault(run_id, set()).add(variant)
        rows = []
        for run_id, values in bind.execute(
            sa.select(run_items.c.run_id, run_items.c["values"]).where(run_items.c.run_id.in_(part), run_items.c.name == GOLD)
        ):
            mean = float(np.asarray(list(values.values()), dtype=np.float64).mean())
            for variant in sorted(variants.get(run_id, {""}) | {""}):
                rows.append({"run_id": run_id, "metric": GOLD_SCORE, "variant": variant, "value": mean, "per_query": values})
        if rows:
            bind.execute(scores.insert(), rows)
    op.drop_table("run_items")
