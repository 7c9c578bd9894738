"""SQLAlchemy 2 models: models, tasks, runs (with manifest), scores, run items, reported scores.

Every run is kept (history); ``current_results`` holds exactly one run per (model, task), the
one the board shows.  Per-query values live beside each score as a JSON object so paired tests
and confidence intervals can be computed later without re-running; per-item data a run's scores
were computed against that are not scores (STS's gold per pair) live in ``run_items``.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

# The largest id an ``Integer`` primary key can hold on every supported database (PostgreSQL's
# ``integer`` is 32-bit; SQLite's is 64-bit).  URLs and the CLI refuse larger ids as "not found"
# before they reach the driver, which would raise OverflowError / NumericValueOutOfRange.
MAX_ID = 2**31 - 1

# A submission in these states holds its model's name: at most one per name at a time
# (the partial unique index ``uq_submissions_pending_name``).
PENDING_STATES = ("received", "queued", "running")


def name_key(name: str) -> str:
    """The form of a model name that must be unique: names differ only if they differ case-insensitively.

    Model names are ASCII (``submissions/schema.py``: letters, digits, ``. _ -``), so case-folding
    is all it takes; the unique constraints on ``models.name_key`` and on pending submissions are
    on this value, and every check before them (submissions, ``leaderboard run``) calls this.
    """
    return name.casefold()


def _key_of(column: str):
    """A column default: ``name_key`` of the row's ``column``, for ORM and Core inserts alike."""
    return lambda context: name_key(context.get_current_parameters()[column])


_PENDING = text("state IN ({})".format(", ".join(f"'{state}'" for state in PENDING_STATES)))


class FiniteFloat(TypeDecorator):
    """A float column that never holds NaN or ±Infinity.

    Writing one raises ValueError (a score is a number or it is not stored; PostgreSQL would
    take ``'Infinity'`` and SQLite turns NaN into NULL).  Reading one that an older version
    stored gives None, which every reader treats as a missing value, so a bad row shows as
    "–" instead of turning pages into 500s.
    """

    impl = Float
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number; scores and grades must be finite")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and not math.isfinite(value):
            return None
        return value


class Base(DeclarativeBase):
    pass


class Model(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    # name_key(name): unique, so "BM25S-FLAT" cannot sit beside "bm25s-flat" (see leaderboard/names.py)
    name_key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False, default=_key_of("name"))
    backend: Mapped[str] = mapped_column(String(20))
    families: Mapped[list] = mapped_column(JSON)
    config: Mapped[dict] = mapped_column(JSON)
    config_sha256: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    license: Mapped[str | None] = mapped_column(String(100), nullable=True)
    open_weights: Mapped[bool] = mapped_column(Boolean, default=True)
    is_reference: Mapped[bool] = mapped_column(Boolean, default=False)
    # community models stay off the board until their submission is published
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    submitter: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    runs: Mapped[list[Run]] = relationship(back_populates="model")


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # "beir/scifact"
    benchmark: Mapped[str] = mapped_column(String(20), index=True)
    dataset: Mapped[str] = mapped_column(String(100))
    split: Mapped[str] = mapped_column(String(20))
    main_score: Mapped[str] = mapped_column(String(50))
    metric_spec: Mapped[dict] = mapped_column(JSON)
    license: Mapped[str] = mapped_column(String(200), default="")
    source_url: Mapped[str] = mapped_column(Text, default="")


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="done")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    config_sha256: Mapped[str] = mapped_column(String(64))
    metric_spec: Mapped[dict] = mapped_column(JSON)
    manifest: Mapped[dict] = mapped_column(JSON)
    # "board": a run that can be the current result; "reproduction": a rerun graded against one
    kind: Mapped[str] = mapped_column(String(20), default="board", server_default="board")
    reproduces_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", name="runs_reproduces_run_id_fkey"), nullable=True)

    model: Mapped[Model] = relationship(back_populates="runs")
    task: Mapped[Task] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="run", cascade="all, delete-orphan")
    items: Mapped[list[RunItem]] = relationship(back_populates="run", cascade="all, delete-orphan")
    artifacts: Mapped[list[RunArtifact]] = relationship(back_populates="run", cascade="all, delete-orphan")


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("run_id", "metric", "variant", name="scores_run_id_metric_variant_key"),
        # covers the board's hot read (main score of each current run) without touching the table
        Index("ix_scores_run_variant_metric_value", "run_id", "variant", "metric", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(50))
    # "" for the run as configured; e.g. "dim=64" for a Matryoshka truncation of the same run
    variant: Mapped[str] = mapped_column(String(50), default="", server_default="")
    value: Mapped[float] = mapped_column(FiniteFloat)
    per_query: Mapped[dict] = mapped_column(JSON)  # query/item id -> value

    run: Mapped[Run] = relationship(back_populates="scores")


class RunItem(Base):
    """Per-item data of a run that is not a score: what its scores were computed against.

    STS stores ``name="gold"``: the normalised gold score per pair id, which a correlation's
    confidence interval and paired test recompute the correlation with (before revision 0005 it
    was a fake ``gold_score`` metric row).  Written in the run's transaction from
    ``RunOutcome.item_data`` and, like scores, never changed afterwards.
    """

    __tablename__ = "run_items"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True)  # "gold"
    values: Mapped[dict] = mapped_column(JSON)  # item id -> value

    run: Mapped[Run] = relationship(back_populates="items")


class RunArtifact(Base):
    """A run's ranked lists (``common/rankings.py``): one row per run and kind ("ranking", "neighbours").

    In the database rather than beside it: it is written in the run's own transaction (a crash
    never leaves a run without its ranking, or a ranking without its run), it is in the same
    backup, and web servers sharing a PostgreSQL need no shared filesystem.  ``data`` is
    deferred, so listing runs or artifacts never loads the bytes; ``sha256`` (of the uncompressed
    payload) is also in the run's manifest.  Runs stored before revision 0006 have none.
    """

    __tablename__ = "run_artifacts"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # "ranking" | "neighbours"
    format_version: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)  # len(data): what the row costs
    queries: Mapped[int] = mapped_column(Integer, nullable=False)
    hits: Mapped[int] = mapped_column(BigInteger, nullable=False)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    run: Mapped[Run] = relationship(back_populates="artifacts")


class CurrentResult(Base):
    """The run the board shows for a (model, task): the latest successful one."""

    __tablename__ = "current_results"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), primary_key=True, index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))

    run: Mapped[Run] = relationship()


class Grade(Base):
    """The grade of one metric of a reproduction, against the reported number or the board's run."""

    __tablename__ = "grades"
    # one grade per reference: the board run, and each reported number (a metric may be reported by several sources)
    __table_args__ = (UniqueConstraint("run_id", "metric", "against", "source", name="grades_run_id_metric_against_source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)  # the reproduction
    metric: Mapped[str] = mapped_column(String(50))
    against: Mapped[str] = mapped_column(String(20))  # "reported" | "board"
    expected: Mapped[float] = mapped_column(FiniteFloat)
    got: Mapped[float] = mapped_column(FiniteFloat)
    tolerance: Mapped[float] = mapped_column(FiniteFloat)
    # the rule of leaderboard.grading.TOLERANCES that gave ``tolerance``, and its reason ("" before revision 0004)
    tolerance_rule: Mapped[str] = mapped_column(String(100), default="", server_default="")
    tolerance_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    grade: Mapped[str] = mapped_column(String(10))  # "OK" | "OKish" | "FAIL"
    source: Mapped[str] = mapped_column(Text, default="")


class ReportedScore(Base):
    """A published number for a (model, task, metric), with its source."""

    __tablename__ = "reported_scores"
    __table_args__ = (
        UniqueConstraint("model_id", "task_id", "metric", "source", name="reported_scores_model_id_task_id_metric_source_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(50))
    value: Mapped[float] = mapped_column(FiniteFloat)
    source: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20), default="config", server_default="config")  # "config" | "import"


class ApiToken(Base):
    """A submitter's (or an admin's) token; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # bumped by revoke and by signing out on the site: a browser session remembers the number it
    # was signed in under, so every older session cookie (a copied one too) stops working
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # written first in every submission's transaction: the row lock that makes the rate limit atomic
    last_submission_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Submission(Base):
    """A submitted model config on its way through received → queued → running → done|failed → published."""

    __tablename__ = "submissions"
    __table_args__ = (
        # one pending submission per model name (case-insensitively), whoever sent it
        Index(
            "uq_submissions_pending_name",
            "name_key",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(100), index=True)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, default=_key_of("model_name"))
    config_yaml: Mapped[str] = mapped_column(Text)
    config: Mapped[dict] = mapped_column(JSON)
    tasks: Mapped[list] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), index=True)  # received|queued|running|done|failed|published|rejected
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), nullable=True, index=True)
    submitter: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    history: Mapped[list] = mapped_column(JSON)  # [{"state": ..., "at": iso time, "note": ...}]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    log_tail: Mapped[str] = mapped_column(Text, default="")
    run_ids: Mapped[list] = mapped_column(JSON, default=list)
