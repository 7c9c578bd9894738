"""Dense text encoder on plain ``transformers``: tokenise, run the encoder, pool, project, normalise.

Settings left out of the model config come from the model folder's sentence-transformers files
(``modules.json``, ``1_Pooling/config.json``, ``sentence_bert_config.json``, ``*_Dense/``), so a
model behaves exactly as ``SentenceTransformer(folder)`` would: same pooling, same dense
projection, same normalisation, same max length, same whitespace stripping.  We do not depend on
sentence-transformers at run time because we need control of batching (length-sorted), dtype and
device, and the resolved settings for the manifest.

A sentence-transformers module we do not implement is refused with a one-line error rather
than skipped: skipping one would silently give different embeddings from the model's own.

A plain Hugging Face encoder folder (``config.json``, weights, tokenizer; no
sentence-transformers files) works too, with these defaults: mean pooling over non-padding
tokens, no normalisation (cosine similarity normalises anyway), and max length = the smaller of
the tokenizer's ``model_max_length`` and the model's ``max_position_embeddings`` (as
sentence-transformers does), or 512 when neither is known.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.contract import BatchOrder
from common.errors import UserError
from runners.model_loading import ModelLoad, dtype_name, load_model, load_pretrained, model_max_length, resolve_max_length, torch_dtype
from runners.pass_meter import PassMeter, PassStats
from runners.pooling import pool
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)

# sentence-transformers pooling modes we implement -> our pooling names
ST_POOLING = {"cls": "cls", "mean": "mean", "lasttoken": "last"}
_LEGACY_ST_POOLING = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
# sentence-transformers modules we implement (by class name); anything else is refused
ST_MODULES = {"Transformer", "Pooling", "Dense", "Normalize", "Dropout"}
# activation functions of sentence-transformers Dense layers, by class name (looked up in torch.nn; never imported by path)
DENSE_ACTIVATIONS = {"Tanh", "Identity", "ReLU", "GELU", "Sigmoid", "SiLU"}


@dataclass(frozen=True)
class DenseSettings:
    pooling: str
    normalize: bool
    max_length: int
    lowercase: bool
    origin: dict[str, str]  # setting -> "config" | "sentence-transformers files" | "model files" | "default"
    dense_layers: tuple[str, ...] = field(default=())  # sentence-transformers Dense module folders, applied after pooling


def _read_json(path: Path) -> dict | list | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: unreadable sentence-transformers file ({err}); re-download the model") from err


def _st_pooling_mode(pooling_cfg: dict, where: Path, config: ModelConfig) -> str:
    """The pooling named by a ``1_Pooling/config.json`` (old boolean keys or the newer ``pooling_mode``)."""
    mode = pooling_cfg.get("pooling_mode")
    if mode is None:
        active = [name for key, name in _LEGACY_ST_POOLING.items() if pooling_cfg.get(key)]
        mode = active if len(active) > 1 else (active[0] if active else "mean")
    if isinstance(mode, list | tuple):
        mode = mode[0] if len(mode) == 1 else "+".join(mode)
    if mode not in ST_POOLING:
        raise UserError(
            f"{where}: pooling mode {mode!r} is not supported by the dense backend (supported: cls, mean, lasttoken); "
            "set 'pooling:' in the model config to override it"
        )
    if pooling_cfg.get("include_prompt") is False and (config.query_prompt or config.document_prompt):
        raise UserError(
            f"{where}: include_prompt: false (prompt tokens excluded from pooling) is not supported with prompts; "
            "remove query_prompt/document_prompt or use a model that pools over the prompt"
        )
    return ST_POOLING[mode]


def resolve_settings(config: ModelConfig, folder: Path, model_limit: int | None = None) -> DenseSettings:
    """Config values first, then the sentence-transformers files, then the model's own limits, then defaults.

    ``model_limit`` is the longest input the tokenizer and model accept
    (:func:`runners.model_loading.model_max_length`); the max length follows the one rule of
    :func:`runners.model_loading.resolve_max_length`.
    """
    modules = _read_json(folder / "modules.json") or []
    if not isinstance(modules, list):
        raise UserError(f"{folder / 'modules.json'}: expected a list of modules; re-download the model")
    steps: list[tuple[str, str]] = []  # (module type, path) in order
    for module in modules:
        if not isinstance(module, dict):
            continue
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind not in ST_MODULES:
            raise UserError(
                f"{folder / 'modules.json'}: module {module.get('type')!r} is not supported by the dense backend "
                f"(supported: {', '.join(sorted(ST_MODULES))}); its embeddings would differ from the model's own"
            )
        steps.append((kind, str(module.get("path", ""))))
    kinds = [kind for kind, _ in steps]
    if "Normalize" in kinds and "Dense" in kinds[kinds.index("Normalize") :]:
        raise UserError(f"{folder / 'modules.json'}: a Dense module after Normalize is not supported by the dense backend")
    st_pooling = None
    for kind, path in steps:
        if kind == "Pooling" and config.pooling is None:  # a configured pooling replaces the files' one
            where = folder / path / "config.json"
            st_pooling = _st_pooling_mode(_read_json(where) or {}, where, config)
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    origin: dict[str, str] = {}

    def pick(name: str, configured, from_files, default):
        if configured is not None:
            origin[name] = "config"
            return configured
        if from_files is not None:
            origin[name] = "sentence-transformers files"
            return from_files
        origin[name] = "default"
        return default

    # sentence-transformers < 5 writes max_seq_length; >= 5 keeps it as the tokenizer's model_max_length
    max_length, origin["max_length"] = resolve_max_length(config.max_length, files=st_config.get("max_seq_length"), model_limit=model_limit)
    return DenseSettings(
        pooling=pick("pooling", config.pooling, st_pooling, "mean"),
        normalize=pick("normalize", config.normalize, True if "Normalize" in kinds else (False if modules else None), False),
        max_length=max_length,
        lowercase=bool(st_config.get("do_lower_case", False)),
        origin=origin,
        dense_layers=tuple(path for kind, path in steps if kind == "Dense"),
    )


class StDense:
    """A sentence-transformers ``Dense`` module: ``activation(linear(x))``, loaded from its folder's weights."""

    def __init__(self, folder: Path, device: str) -> None:
        import torch

        cfg = _read_json(folder / "config.json") or {}
        activation = str(cfg.get("activation_function", "torch.nn.modules.activation.Tanh")).rsplit(".", 1)[-1]
        if activation not in DENSE_ACTIVATIONS:
            raise UserError(
                f"{folder / 'config.json'}: activation {activation!r} is not supported (supported: {sorted(DENSE_ACTIVATIONS)})"
            )
        try:
            if (folder / "model.safetensors").is_file():
                from safetensors.torch import load_file

                state = load_file(str(folder / "model.safetensors"))
            else:
                state = torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
            weight = state["linear.weight"].float()
            bias = state.get("linear.bias")
        except (OSError, KeyError, RuntimeError) as err:
            raise UserError(f"{folder}: cannot load the Dense layer weights ({type(err).__name__}: {err}); re-download the model") from err
        self.weight = weight.to(device)
        self.bias = bias.float().to(device) if bias is not None else None
        self.activation = getattr(torch.nn, activation)()
        self.out_features = int(weight.shape[0])

    def __call__(self, x):
        import torch

        return self.activation(torch.nn.functional.linear(x.float(), self.weight, self.bias))


class DenseEncoder:
    """Encodes texts to float32 numpy embeddings in length-sorted batches."""

    def __init__(self, config: ModelConfig, folder: Path, device: str) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.config = config
        self.device = device
        self.precision: str | None = None  # None: the model as configured (fp32 on CPU); else a precision variant
        self.order: BatchOrder = "characters"  # sentence-transformers' batches unless a benchmark asks (ordered_by)
        self.dtype = dtype = torch_dtype(config, device)
        self.tokenizer, self.model = load_pretrained(
            config,
            "weights",
            folder,
            lambda: (
                AutoTokenizer.from_pretrained(str(folder)),
                AutoModel.from_pretrained(str(folder), dtype=dtype, trust_remote_code=config.trust_remote_code).to(device),
            ),
        )
        if self.tokenizer.pad_token is None and self.tokenizer.eos_token is not None:
            self.tokenizer.pad_token = self.tokenizer.eos_token  # decoder-only embedders ship without a pad token
        self.model.eval()
        self.settings = resolve_settings(config, folder, model_max_length(self.tokenizer, self.model.config))
        self.dense_layers = [StDense(folder / path, device) for path in self.settings.dense_layers]

    def _batches(self, prepared: list[str]) -> list[np.ndarray]:
        """Longest first in :attr:`order` (:data:`benchmarks.contract.BatchOrder`): at most ``batch_size``
        texts and, where a config sets ``batch_tokens``, at most that many padded tokens per batch."""
        from runners.batching import ordered_batches

        return ordered_batches(
            self.tokenizer, prepared, self.settings.max_length, self.order, self.config.batch_size, self.config.batch_tokens
        )

    def ordered_by(self, order: BatchOrder) -> DenseEncoder:
        """This encoder, batching in ``order``; the model and tokenizer are shared."""
        variant = copy.copy(self)
        variant.order = order
        return variant

    def at_precision(self, precision: str) -> DenseEncoder:
        """This encoder with the model of ``precision`` (:func:`runners.precision.variant_model`): tokenizer,
        settings and dense head shared, the fp32 model untouched."""
        import torch

        from runners.precision import TORCH_DTYPES, variant_model

        variant = copy.copy(self)
        variant.model = variant_model(self.model, precision)
        variant.precision = precision
        variant.dtype = getattr(torch, TORCH_DTYPES[precision]) if precision in TORCH_DTYPES else self.dtype
        return variant

    def encode(self, texts: list[str], prompt: str = "", desc: str = "encoding") -> np.ndarray:
        """Embeddings in the order of ``texts``; batches sorted by length to waste no padding."""
        return self.encode_counted(texts, prompt, desc)[0]

    def encode_counted(self, texts: list[str], prompt: str = "", desc: str = "encoding") -> tuple[np.ndarray, int, int]:
        """:meth:`encode`, and the tokens it read: (embeddings, non-padding tokens, tokens with padding)."""
        import torch
        from tqdm.auto import tqdm

        prepared = [(prompt + text).strip() for text in texts]
        if self.settings.lowercase:
            prepared = [text.lower() for text in prepared]
        out: np.ndarray | None = None
        tokens = padded = 0
        with torch.inference_mode(), tqdm(total=len(prepared), desc=desc, unit="text", leave=False) as bar:
            for index in self._batches(prepared):
                batch = self.tokenizer(
                    [prepared[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.settings.max_length,
                    return_tensors="pt",
                ).to(self.device)
                output = self.model(**batch)
                mask = batch["attention_mask"]
                tokens += int(mask.sum())
                padded += int(mask.numel())
                if self.settings.pooling == "pooler":
                    pooled = getattr(output, "pooler_output", None)
                    if pooled is None:
                        raise UserError(
                            f"model {self.config.name}: pooling 'pooler' needs a model with a pooler layer; use cls, mean or last"
                        )
                else:
                    # pooled in float32 even when the model ran in fp16/bf16: a 512-token mean in half precision loses digits
                    pooled = pool(output.last_hidden_state.float(), batch["attention_mask"], self.settings.pooling)
                for layer in self.dense_layers:
                    pooled = layer(pooled)
                if self.settings.normalize:
                    pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
                values = pooled.float().cpu().numpy()
                if out is None:
                    out = np.empty((len(prepared), values.shape[1]), dtype=np.float32)
                out[index] = values
                bar.update(len(index))
        return (out if out is not None else np.empty((0, 0), dtype=np.float32)), tokens, padded


class DenseSentenceEncoder:
    """The dense backend as a :class:`runners.protocols.SentenceEncoder`: one loaded model behind the embedding cache.

    Built once per session (:func:`load_sentence_encoder`) and shared: STS and Tatoeba encode
    through it, and :class:`runners.dense_retriever.DenseRetriever` wraps it, so a run over BEIR
    and STS loads the model once and every text goes through one cache.
    """

    def __init__(self, config: ModelConfig, encoder: DenseEncoder, loaded: ModelLoad) -> None:
        self.config = config
        self.encoder = encoder  # the model itself (tests and perf scripts reach it here)
        self.loaded = loaded
        self.settings = encoder.settings
        self.similarity = config.similarity
        self.unit_length = encoder.settings.normalize
        self.precision = encoder.precision  # None: as configured; "int8", "bf16", "fp16": a precision variant
        self.cached = _cached(encoder, loaded.weights.sha256, loaded.device)
        self._precisions: dict[str, DenseSentenceEncoder] = {}
        self._orders: dict[str, DenseSentenceEncoder] = {}

    def encode(self, texts, prompt: str = "", desc: str = "encoding") -> np.ndarray:
        return self.encode_pass(texts, prompt, desc)[0]

    def encode_pass(self, texts, prompt: str = "", desc: str = "encoding") -> tuple[np.ndarray, PassStats]:
        """:meth:`encode`, and what that pass cost (:class:`runners.pass_meter.PassStats`: time, tokens, its own peak memory)."""
        texts = list(texts)
        with PassMeter(self.loaded.device) as meter:
            embeddings, counts = self.cached.encode_counted(texts, prompt, desc)
        meter.stats.texts = len(texts)
        meter.stats.encoded, meter.stats.tokens, meter.stats.padded_tokens = counts["encoded"], counts["tokens"], counts["padded_tokens"]
        return embeddings, meter.stats

    def at_precision(self, precision: str) -> DenseSentenceEncoder:
        """The same model in ``precision`` (built once, checked against the machine first), behind its own cache key."""
        if precision not in self._precisions:
            from runners.precision import check_precisions

            check_precisions(self.config.name, [precision], self.loaded.device)
            self._precisions[precision] = DenseSentenceEncoder(self.config, self.encoder.at_precision(precision), self.loaded)
        return self._precisions[precision]

    def ordered_by(self, order: BatchOrder) -> DenseSentenceEncoder:
        """The same model batching in ``order`` (built once), behind the same cache key (like batch_size, it moves float rounding only)."""
        if order == self.encoder.order:
            return self
        if order not in self._orders:
            self._orders[order] = DenseSentenceEncoder(self.config, self.encoder.ordered_by(order), self.loaded)
        return self._orders[order]

    @property
    def stats(self) -> dict[str, int]:
        """Embedding cache hits and misses so far (and rows handed over memory-mapped)."""
        return self.cached.stats

    def numerics(self) -> dict | None:
        """How a precision variant computes (:func:`runners.precision.numerics`); None for the model as configured."""
        if self.precision is None:
            return None
        from runners.precision import numerics, probe

        return numerics(self.precision, probe(self.loaded.device))

    def describe(self) -> dict:
        settings, weights = self.settings, self.loaded.weights
        return {
            "backend": "dense",
            "weights_origin": weights.origin,
            "weights_folder": weights.label,
            "weights_sha256": weights.sha256,
            "pooling": settings.pooling,
            "normalize": settings.normalize,
            "max_length": settings.max_length,
            "dense_layers": list(settings.dense_layers),
            "settings_origin": settings.origin,
            "similarity": self.config.similarity,
            "query_prompt": self.config.query_prompt,
            "document_prompt": self.config.document_prompt,
            "dtype": "int8"
            if self.precision == "int8"
            else dtype_name(self.encoder.dtype),  # what it ran in (float32 when CPU refused half precision)
            "batch_size": self.config.batch_size,
            "batch_tokens": self.config.batch_tokens,
            "batch_order": self.encoder.order,
            "device": self.loaded.device,
        }


def load_sentence_encoder(config: ModelConfig) -> DenseSentenceEncoder:
    """Load a dense model through the shared prologue (:func:`runners.model_loading.load_model`)."""
    encoder, loaded = load_model(config, lambda folder, device: DenseEncoder(config, folder, device))
    return DenseSentenceEncoder(config, encoder, loaded)


def _cached(encoder: DenseEncoder, weights_sha256: dict[str, str], device: str):
    """The encoder behind the content-addressed embedding cache (``<cache dir>/embeddings``).

    The key holds everything that changes an embedding: weight hashes, the resolved settings,
    dtype and device type; the prompt is added per call by :class:`CachedEncoder`.
    """
    from common.settings import cache_dir
    from runners.embedding_cache import CachedEncoder

    settings = encoder.settings
    precision = {} if encoder.precision is None else {"precision": encoder.precision}  # fp32's key is the one it always had
    identity = {
        **precision,
        "weights_sha256": weights_sha256,
        "pooling": settings.pooling,
        "normalize": settings.normalize,
        "max_length": settings.max_length,
        "lowercase": settings.lowercase,
        "dense_layers": list(settings.dense_layers),
        "dtype": str(encoder.dtype),
        "device": str(device).split(":")[0],
    }
    return CachedEncoder(encoder, cache_dir() / "embeddings", identity)
