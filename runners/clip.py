"""The ``clip`` backend: transformers ``CLIPModel`` + ``CLIPProcessor`` scoring image–caption pairs.

Images and captions are embedded separately (the dual encoder is what ARO and MTEB score),
L2-normalised, and a pair's score is their cosine times the model's logit scale, i.e. the
model's own ``logits_per_image``.  Only the argmax over a case's options matters to ARO.

Why transformers rather than OpenAI's ``clip`` package (what ARO used): weights come from the
Hub at a pinned revision like every other model here, and MTEB runs CLIP the same way.  The
processor resizes the shortest side to 224 (bicubic) and centre-crops, as ``clip.load``'s
preprocessing does; captions longer than the context (77 tokens) are truncated, where OpenAI's
``clip.tokenize`` would raise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from benchmarks.errors import UserError
from runners.device import best_device
from runners.weights import resolve_weights
from submissions.schema import ModelConfig

log = logging.getLogger(__name__)

DTYPES = ("float32", "float16", "bfloat16")


def _features(output: Any):
    """transformers 4.x returns the projected tensor; 5.x an output whose pooler_output is projected."""
    return getattr(output, "pooler_output", output)


class ClipScorer:
    """Embeds images and captions with a CLIP dual encoder, in batches, on the best device."""

    def __init__(self, config: ModelConfig) -> None:
        import torch
        from transformers import CLIPModel, CLIPProcessor

        assert config.weights is not None  # the schema requires weights for backend clip
        self.config = config
        self.device = best_device()
        start = time.perf_counter()
        self.weights = resolve_weights(config.weights, config.name)
        dtype = getattr(torch, config.dtype)
        if dtype != torch.float32 and self.device == "cpu":
            log.warning("dtype %s asked for on CPU; using float32", config.dtype)
            dtype = torch.float32
        self.dtype = dtype
        folder = str(self.weights.folder)
        try:
            self.processor = CLIPProcessor.from_pretrained(folder)
            self.model = CLIPModel.from_pretrained(folder, dtype=dtype).to(self.device)
        except Exception as err:  # any failure here means "this model won't load": say so in one line
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise UserError(self.weights.public(f"model {config.name}: cannot load CLIP weights from {folder} ({first_line})")) from err
        self.model.eval()
        context = int(self.model.config.text_config.max_position_embeddings)
        self.max_length = min(config.max_length or context, context)
        self.logit_scale = float(self.model.logit_scale.detach().float().exp().cpu())
        self.load_seconds = time.perf_counter() - start

    def encode_texts(self, texts: Sequence[str], desc: str = "encoding captions") -> np.ndarray:
        """L2-normalised float32 caption embeddings, in the order of ``texts`` (length-sorted batches)."""
        import torch
        from tqdm.auto import tqdm

        order = np.argsort([-len(text) for text in texts], kind="stable")
        out: np.ndarray | None = None
        size = self.config.batch_size
        with torch.inference_mode(), tqdm(total=len(texts), desc=desc, unit="text", leave=False) as bar:
            for start in range(0, len(texts), size):
                index = order[start : start + size]
                batch = self.processor.tokenizer(
                    [texts[i] for i in index], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                ).to(self.device)
                values = self._unit(_features(self.model.get_text_features(**batch)))
                if out is None:
                    out = np.empty((len(texts), values.shape[1]), dtype=np.float32)
                out[index] = values
                bar.update(len(index))
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    def encode_images(self, items: Sequence[Any], load: Callable[[Any], Any], desc: str = "encoding images") -> np.ndarray:
        """L2-normalised float32 image embeddings; ``load(item)`` gives a PIL image, decoded a batch at a time."""
        import torch
        from tqdm.auto import tqdm

        out: np.ndarray | None = None
        size = self.config.batch_size
        with (
            torch.inference_mode(),
            ThreadPoolExecutor(max_workers=4) as pool,
            tqdm(total=len(items), desc=desc, unit="image", leave=False) as bar,
        ):
            upcoming = pool.map(load, items[0:size]) if items else None
            for start in range(0, len(items), size):
                images = list(upcoming) if upcoming is not None else []
                nxt = start + size
                upcoming = pool.map(load, items[nxt : nxt + size]) if nxt < len(items) else None  # decode ahead
                pixels = self.processor.image_processor(images=images, return_tensors="pt")["pixel_values"]
                values = self._unit(_features(self.model.get_image_features(pixel_values=pixels.to(self.device, self.dtype))))
                if out is None:
                    out = np.empty((len(items), values.shape[1]), dtype=np.float32)
                out[start : start + len(images)] = values
                bar.update(len(images))
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    @staticmethod
    def _unit(features) -> np.ndarray:
        import torch

        return torch.nn.functional.normalize(features.float(), p=2, dim=1).cpu().numpy()

    def describe(self) -> dict:
        vision = self.model.config.vision_config
        return {
            "backend": "clip",
            "implementation": "transformers CLIPModel + CLIPProcessor",
            "weights_origin": self.weights.origin,
            "weights_folder": self.weights.label,
            "weights_sha256": self.weights.sha256,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "batch_size": self.config.batch_size,
            "max_length": self.max_length,
            "image_size": int(vision.image_size),
            "embedding_dim": int(self.model.config.projection_dim),
            "logit_scale": round(self.logit_scale, 6),
            "score": "cosine(image, caption) * logit_scale",
        }
