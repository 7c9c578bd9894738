"""Dense text encoder on plain ``transformers``: tokenise, run the encoder, pool, normalise.

Settings left out of the model config come from the model folder's sentence-transformers files
(``modules.json``, ``1_Pooling/config.json``, ``sentence_bert_config.json``), so a model behaves
exactly as ``SentenceTransformer(folder)`` would: same pooling, same normalisation, same max
length, same whitespace stripping.  We do not depend on sentence-transformers at run time
because we need control of batching (length-sorted), dtype and device, and the resolved settings
for the manifest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.errors import UserError
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DenseSettings:
    pooling: str
    normalize: bool
    max_length: int
    lowercase: bool
    origin: dict[str, str]  # setting -> "config" | "sentence-transformers files" | "default"


def _read_json(path: Path) -> dict | list | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: unreadable sentence-transformers file ({err}); re-download the model") from err


def resolve_settings(config: ModelConfig, folder: Path) -> DenseSettings:
    """Config values first, then the sentence-transformers files, then BERT-ish defaults."""
    modules = _read_json(folder / "modules.json") or []
    module_types = {m.get("type", "").rsplit(".", 1)[-1]: m.get("path", "") for m in modules if isinstance(m, dict)}
    st_pooling = None
    if "Pooling" in module_types:
        pooling_cfg = _read_json(folder / module_types["Pooling"] / "config.json") or {}
        for key, name in (("pooling_mode_cls_token", "cls"), ("pooling_mode_mean_tokens", "mean"), ("pooling_mode_lasttoken", "last")):
            if pooling_cfg.get(key):
                st_pooling = name
                break
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

    return DenseSettings(
        pooling=pick("pooling", config.pooling, st_pooling, "mean"),
        normalize=pick("normalize", config.normalize, True if "Normalize" in module_types else (False if modules else None), False),
        max_length=pick("max_length", config.max_length, st_config.get("max_seq_length"), 512),
        lowercase=bool(st_config.get("do_lower_case", False)),
        origin=origin,
    )


class DenseEncoder:
    """Encodes texts to float32 numpy embeddings in length-sorted batches."""

    def __init__(self, config: ModelConfig, folder: Path, device: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.config = config
        self.device = device
        self.settings = resolve_settings(config, folder)
        dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[config.dtype]
        if dtype != torch.float32 and device == "cpu":
            log.warning("dtype %s asked for on CPU; using float32", config.dtype)
            dtype = torch.float32
        self.dtype = dtype
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
            self.model = AutoModel.from_pretrained(str(folder), dtype=dtype, trust_remote_code=config.trust_remote_code).to(device)
        except Exception as err:  # any failure here means "this model won't load": say so in one line
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise UserError(f"model {config.name}: cannot load weights from {folder} ({first_line})") from err
        self.model.eval()

    def encode(self, texts: list[str], prompt: str = "", desc: str = "encoding") -> np.ndarray:
        """Embeddings in the order of ``texts``; batches sorted by length to waste no padding."""
        import torch
        from tqdm.auto import tqdm

        prepared = [(prompt + text).strip() for text in texts]
        if self.settings.lowercase:
            prepared = [text.lower() for text in prepared]
        order = np.argsort([-len(text) for text in prepared], kind="stable")
        batch_size = self.config.batch_size
        out: np.ndarray | None = None
        with torch.inference_mode(), tqdm(total=len(prepared), desc=desc, unit="text", leave=False) as bar:
            for start in range(0, len(prepared), batch_size):
                index = order[start : start + batch_size]
                batch = self.tokenizer(
                    [prepared[i] for i in index],
                    padding=True,
                    truncation=True,
                    max_length=self.settings.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**batch).last_hidden_state
                pooled = pool(hidden, batch["attention_mask"], self.settings.pooling)
                if self.settings.normalize:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                values = pooled.float().cpu().numpy()
                if out is None:
                    out = np.empty((len(prepared), values.shape[1]), dtype=np.float32)
                out[index] = values
                bar.update(len(index))
        return out if out is not None else np.empty((0, 0), dtype=np.float32)


def pool(hidden, mask, mode: str):
    """Mean over unmasked tokens, the first token (cls), or the last unmasked token."""
    import torch

    if mode == "cls":
        return hidden[:, 0]
    if mode == "last":
        lengths = mask.sum(dim=1) - 1
        return hidden[torch.arange(hidden.size(0), device=hidden.device), lengths]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
