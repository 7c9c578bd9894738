"""Who may write under a model name.

A model name is one row on the board, so it has one owner:

- a **reference** name (every config in ``submissions/reference/``) belongs to the registry,
  even before that model has ever run: no submission and no local config may use it;
- a **submitted** model belongs to its submitter: only the same submitter can send it again;
- a **local** model (``leaderboard run my.yaml``) belongs to that config: running it again adds
  runs, even after editing what the config says *about* the model (:data:`DESCRIPTIVE`:
  description, metadata, reported numbers, batch size); a config that runs something else
  (other weights, pooling, prompts, …) under the same name is refused, since one row's scores
  must all come from one model.

Names are compared case-insensitively (:func:`leaderboard.schema.name_key`), and the database
enforces it: ``models.name_key`` is unique, and a pending submission holds its name through
the partial unique index on ``submissions.name_key`` plus a placeholder model row (unpublished,
no runs) created with it, so two concurrent submissions of one new name cannot both succeed.
The checks here give the clear message; the constraints make races lose with the same message
(:func:`taken_by_race`).  A refusal's message starts with ``name:`` (the API answers 409).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from common.errors import UserError
from leaderboard import schema
from leaderboard.schema import name_key
from submissions.schema import ModelConfig


@dataclass(frozen=True)
class Owner:
    """Who is writing: the reference registry, a submitter (by token name), or a local config."""

    kind: str  # "reference" | "submitter" | "local"
    who: str = ""  # the submitter's name; for a local config, its file (for messages)
    config: ModelConfig | None = None  # the local config (its content is its identity)
    reproduction: bool = False  # `leaderboard reproduce`: a changed local config may be graded against the board run

    @classmethod
    def reference(cls) -> Owner:
        return cls("reference")

    @classmethod
    def submitter(cls, name: str) -> Owner:
        return cls("submitter", name)

    @classmethod
    def local(cls, config: ModelConfig, source: Path | str | None = None, *, reproduction: bool = False) -> Owner:
        return cls("local", str(source or "your config"), config, reproduction)

    def rename_hint(self) -> str:
        if self.kind == "local":
            return f"edit `name:` in {self.who} to pick a new name (for example add -v2 or your initials)"
        return "choose another name (edit `name:` in the config)"


@functools.cache
def reference_names() -> dict[str, str]:
    """name_key -> name of every registered reference model (the registry is code: read once)."""
    from submissions.registry import reference_configs

    return {name_key(name): name for name in reference_configs()}


# Config fields that describe a model without changing what is run (batch size changes only speed).
DESCRIPTIVE = frozenset({"description", "metadata", "reported", "batch_size"})


def _identity(config: dict | ModelConfig) -> dict | None:
    """What a config runs, as the current schema writes it (so configs stored by older versions compare equal)."""
    try:
        model = config if isinstance(config, ModelConfig) else ModelConfig.model_validate(config)
    except Exception:  # a stored config the current schema no longer accepts is not "the same"
        return None
    return {key: value for key, value in model.model_dump(mode="json").items() if key not in DESCRIPTIVE}


def _describe(model: schema.Model) -> str:
    if model.is_reference:
        return "a reference model"
    if model.submitter:
        return f"a model submitted by {model.submitter!r}"
    return "a model run from a different local config"


def check_name(session: Session, name: str, owner: Owner, *, lock: bool = False) -> schema.Model | None:
    """The model row ``owner`` may write under ``name`` (None: the name is free); else a ``name:`` UserError.

    ``lock`` takes the row lock on PostgreSQL (SELECT … FOR UPDATE) for a check followed by a write.
    """
    key = name_key(name)
    reference = reference_names().get(key)
    if reference is not None and not (owner.kind == "reference" and reference == name):
        raise UserError(f"name: {name!r} is the name of the reference model {reference!r}; {owner.rename_hint()}")
    stmt = select(schema.Model).where(schema.Model.name_key == key)
    if lock and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    model = session.scalars(stmt).first()
    if model is None:
        return None
    if model.name != name:
        raise UserError(
            f"name: {name!r} differs only in letter case from {model.name!r}, {_describe(model)}; "
            f"names are case-insensitive, so {owner.rename_hint()}"
        )
    if owner.kind == "reference":
        if model.is_reference:
            return model
        raise UserError(
            f"name: the database already holds {_describe(model)} called {name!r} (stored before reference names were "
            "reserved); rename or delete that model's row before running the reference model"
        )
    if owner.kind == "submitter":
        if not model.is_reference and model.submitter == owner.who:
            return model
        raise UserError(f"name: a model called {name!r} is already on the board; choose another name")
    if not model.is_reference and model.submitter is None and owner.reproduction:
        return model  # a rerun graded against this model's board run: finding that it differs is the point
    if not model.is_reference and model.submitter is None and owner.config is not None:
        stored = _identity(model.config or {})
        if stored is not None and stored == _identity(owner.config):
            return model
    raise UserError(f"name: {name!r} is already taken by {_describe(model)}; {owner.rename_hint()}")


def owner_for(config: ModelConfig, *, is_reference: bool, source: Path | str | None = None, reproduction: bool = False) -> Owner:
    """The owner of a ``leaderboard run``/``reproduce``: the registry for a reference config, else the config itself."""
    return Owner.reference() if is_reference else Owner.local(config, source, reproduction=reproduction)


def taken_by_race(name: str) -> UserError:
    """The refusal when a unique constraint caught a concurrent writer of the same name."""
    return UserError(f"name: a model called {name!r} was taken a moment ago by another submission; choose another name")


NAME_CONSTRAINTS = ("models.name", "submissions.name_key", "models_name_key", "uq_submissions_pending_name")


def is_name_conflict(err: Exception) -> bool:
    """Whether an IntegrityError came from one of the name constraints (SQLite names the column, PostgreSQL the constraint)."""
    text = str(getattr(err, "orig", err))
    return any(name in text for name in NAME_CONSTRAINTS)


def release_placeholder(session: Session, name: str, submitter: str) -> None:
    """Free a name a failed or rejected submission held: delete its placeholder model (unpublished, no runs)."""
    model = session.scalars(select(schema.Model).where(schema.Model.name_key == name_key(name))).first()
    if model is None or model.published or model.is_reference or model.submitter != submitter:
        return
    runs = session.scalar(select(func.count()).select_from(schema.Run).where(schema.Run.model_id == model.id))
    if runs:
        return
    session.execute(delete(schema.ReportedScore).where(schema.ReportedScore.model_id == model.id))
    session.delete(model)
    session.flush()
