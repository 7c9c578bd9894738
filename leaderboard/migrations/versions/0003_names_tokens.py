"""Case-insensitive unique model names, one pending submission per name, token session generations.

- ``models.name_key`` (unique): :func:`leaderboard.schema.name_key` of the name, so
  ``BM25S-FLAT`` cannot sit beside ``bm25s-flat``.
- ``submissions.name_key`` with the partial unique index ``uq_submissions_pending_name``: at
  most one received/queued/running submission per name, so concurrent submissions of one new
  name cannot both be accepted.
- ``api_tokens.session_generation`` (revoke and sign-out end browser sessions on the server)
  and ``api_tokens.last_submission_at`` (the row a submission locks first: the rate limit).

A database that already holds case variants of one name (the reason for this revision) keeps
every row: the oldest row of each group (a reference model first) gets the plain key, the
others ``<key>#<id>``, a key no new name can have (``#`` is not allowed in names), so those
rows stay readable but nothing new can be written under their names.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from leaderboard.schema import PENDING_STATES, name_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = sa.text("state IN ({})".format(", ".join(f"'{state}'" for state in PENDING_STATES)))


def _backfill(table: str, name_column: str, order: str, unique_among: str = "1 = 1") -> None:
    """Set name_key on every row; among the rows where ``unique_among`` holds, later duplicates
    (in ``order``) get ``<key>#<id>``."""
    bind = op.get_bind()
    query = f"SELECT id, {name_column}, CASE WHEN {unique_among} THEN 1 ELSE 0 END FROM {table} ORDER BY {order}"
    seen: set[str] = set()
    for row_id, name, must_be_unique in bind.execute(sa.text(query)).all():
        key = name_key(name)
        if must_be_unique:
            if key in seen:
                key = f"{key}#{row_id}"
            seen.add(key)
        bind.execute(sa.text(f"UPDATE {table} SET name_key = :key WHERE id = :id"), {"key": key, "id": row_id})


def upgrade() -> None:
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=100), nullable=True))
    _backfill("models", "name", "is_reference DESC, id")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint("models_name_key_key", ["name_key"])

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=100), nullable=True))
    _backfill("submissions", "model_name", "id", unique_among=PENDING.text)
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index("uq_submissions_pending_name", ["name_key"], unique=True, sqlite_where=PENDING, postgresql_where=PENDING)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_submission_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_submission_at")
        batch_op.drop_column("session_generation")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("uq_submissions_pending_name", sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.drop_column("name_key")
    with op.batch_alter_table("models", schema=None) as batch_op:
        batch_op.drop_constraint("models_name_key_key", type_="unique")
        batch_op.drop_column("name_key")
