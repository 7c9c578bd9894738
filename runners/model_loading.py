"""The one prologue every neural backend (dense, SPLADE, CLIP) runs before it can encode anything.

:func:`load_model` resolves and verifies the weights (:mod:`runners.weights`), picks the device
(:func:`runners.device.best_device`), times the load, and names the weights by their source in
any error raised while loading (:meth:`ResolvedWeights.public`: a submission's error is public,
the server's paths are not).  Inside it, each backend builds its model with:

- :func:`torch_dtype`: ONE precision rule.  float16 and bfloat16 are for CUDA; asked for on any
  other device (CPU, MPS) the model runs in float32, with a warning.  The manifest and the
  grading read the dtype the model ran in (:func:`dtype_name`), not the config's wish.
- :func:`load_pretrained`: any failure of a ``from_pretrained`` call is one line naming the
  model, what was being loaded and the weights (never a traceback).
- :func:`resolve_max_length`: ONE rule for the longest input, recorded with where it came from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from common.errors import UserError
from runners.weights import ResolvedWeights, resolve_weights
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)

T = TypeVar("T")
FALLBACK_MAX_LENGTH = 512  # when neither the config, the model's files nor its limits say (BERT's limit)


@dataclass(frozen=True)
class ModelLoad:
    """Where a loaded model came from: its verified weights, the device, and how long loading took."""

    weights: ResolvedWeights
    device: str
    seconds: float


def load_model(config: ModelConfig, build: Callable[[Path, str], T], *, device: str | None = None) -> tuple[T, ModelLoad]:
    """Resolve and verify ``config.weights``, then ``build(folder, device)``; the result and its :class:`ModelLoad`.

    ``device`` defaults to :func:`runners.device.best_device` (a backend that must check the device
    before loading, as CLIP's ``aro_fp16`` does, picks it first and passes it).  The time covers
    hashing the weights and building the model.  A :class:`UserError` raised by ``build`` names
    the weights by their source (``package:…``, ``hf:…@…`` or the configured path).
    """
    from runners.device import best_device

    if config.weights is None:  # the schema requires weights for every neural backend
        raise UserError(f"model {config.name}: backend {config.backend} needs weights; add a weights: section to the config")
    device = device or best_device()
    start = time.perf_counter()
    weights = resolve_weights(config.weights, config.name)
    with weights.named_by_source():
        built = build(weights.folder, device)
    return built, ModelLoad(weights, device, time.perf_counter() - start)


def torch_dtype(config: ModelConfig, device: str) -> Any:
    """The torch dtype to load the model in: the config's, except that half precision is for CUDA only.

    Why one rule: CPU half-precision kernels are slow and are not the arithmetic the GPU runs, so
    a float16 config on a CPU would measure neither; it runs (and is recorded) as float32.
    """
    import torch

    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[config.dtype]
    if dtype != torch.float32 and not str(device).startswith("cuda"):
        log.warning("dtype %s asked for on %s; using float32 (half precision is for CUDA)", config.dtype, device)
        dtype = torch.float32
    return dtype


def dtype_name(dtype: Any) -> str:
    """``torch.float32`` -> ``"float32"``: how manifests and grading name the precision a model ran in."""
    return str(dtype).removeprefix("torch.")


def load_pretrained(config: ModelConfig, what: str, folder: Path, load: Callable[[], T]) -> T:
    """``load()`` (transformers' ``from_pretrained`` calls); any failure is one line: the model, ``what``, the folder.

    Called inside :func:`load_model`, which replaces the folder by the weights' public label.
    """
    try:
        return load()
    except Exception as err:  # any failure here means "this model won't load": say so in one line
        text = str(err).strip()
        first_line = text.splitlines()[0] if text else type(err).__name__
        raise UserError(f"model {config.name}: cannot load {what} from {folder} ({first_line})") from err


def model_max_length(tokenizer: Any, model_config: Any) -> int | None:
    """The smaller of the tokenizer's ``model_max_length`` and the model's ``max_position_embeddings`` (as sentence-transformers)."""
    limits = []
    tokenizer_max = getattr(tokenizer, "model_max_length", None)  # transformers objects: either may lack it
    if isinstance(tokenizer_max, int) and 0 < tokenizer_max < 1_000_000:  # "no limit" is a huge sentinel
        limits.append(tokenizer_max)
    positions = getattr(model_config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else None


def resolve_max_length(
    configured: int | None, *, files: int | None = None, model_limit: int | None = None, context: int | None = None
) -> tuple[int, str]:
    """The longest input in tokens, and where it came from; the one rule of every backend.

    First the config's ``max_length`` (``"config"``), else the model's sentence-transformers files
    (``max_seq_length`` of ``sentence_bert_config.json``: ``"sentence-transformers files"``), else the
    model's own limit (:func:`model_max_length`: ``"model files"``), else 512 (``"default"``), as
    sentence-transformers resolves it.  ``context`` is a hard context the architecture cannot
    exceed (CLIP's 77 text positions, which ``clip.tokenize`` fixes): the value never goes above
    it.  Encoders with relative or rotary positions can run past ``max_position_embeddings``, and
    sentence-transformers does not cap a configured length, so dense and SPLADE pass no context.
    """
    if configured is not None:
        value, origin = configured, "config"
    elif files is not None:
        value, origin = files, "sentence-transformers files"
    elif model_limit is not None:
        value, origin = model_limit, "model files"
    else:
        value, origin = FALLBACK_MAX_LENGTH, "default"
    if context is not None and value > context:
        value, origin = context, f"{origin}, capped at the model's context of {context} tokens"
    return value, origin
