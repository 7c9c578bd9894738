"""The ``clip`` backend: a transformers ``CLIPModel`` embedding images and captions for ARO.

Images and captions are embedded separately (the dual encoder is what ARO and MTEB score).
What the official ARO code (mertyg/vision-language-models-are-bows, ``model_zoo/clip_models.py``
``get_retrieval_scores_batched``) does, and what we do:

* **Images**: OpenAI's ``clip.load`` preprocessing, reproduced exactly in
  :mod:`runners.clip_image` (PIL bicubic resize, centre crop at ``round``), not
  ``CLIPProcessor`` (which crops at ``floor``).
* **Captions**: tokenised once; captions that tokenise to the same ids are embedded once.
  ARO encodes every option position as a ``B x 77`` batch (``clip.tokenize``), so two captions
  with the same token ids ("man ," and "man,": CLIP's tokenizer splits punctuation from words)
  get bit-identical embeddings and tie exactly.  Encoding them separately, in differently padded
  batches, moves them in the last bits and turns a tie into a coin flip.  Captions longer than
  the context are truncated, where ``clip.tokenize`` would raise (ARO's captions never are).
* **Numerics**: float32 by default (``dtype`` may ask for half precision on CUDA), features
  L2-normalised in float32.  ``aro_fp16: true`` adds ARO's own arithmetic as a second score set:
  the towers in float16 on CUDA, and the normalisation and products done in numpy float16 as
  ARO does them (:func:`runners.run_image_text.aro_fp16_scores`).  That needs a GPU: on CPU it is
  refused, since CPU half-precision kernels are not the ones ARO ran.

Why transformers rather than OpenAI's ``clip`` package: weights come from the Hub at a pinned
revision like every other model here, and MTEB runs CLIP the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from common.errors import UserError
from runners.clip_image import OPENAI_MEAN, OPENAI_STD, ClipImageTransform
from runners.device import best_device
from runners.model_loading import dtype_name, load_model, load_pretrained, resolve_max_length, torch_dtype
from runners.protocols import TokenIds
from submissions.schema import ModelConfig

DTYPES = ("float32", "float16", "bfloat16")


def _features(output: Any):
    """transformers 4.x returns the projected tensor; 5.x an output whose pooler_output is projected."""
    return getattr(output, "pooler_output", output)


def aro_fp16_supported(device: str) -> bool:
    """ARO's fp16 numbers come from CUDA kernels; CPU half precision is another arithmetic."""
    return device.startswith("cuda")


class ClipScorer:
    """Embeds images and captions with a CLIP dual encoder, in batches, on the best device."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        device = best_device()
        if config.aro_fp16 and not aro_fp16_supported(device):
            raise UserError(
                f"model {config.name}: aro_fp16 needs a CUDA GPU (ARO's fp16 arithmetic runs on CUDA) and this run has "
                f"device {device}; run it on a machine with CUDA or remove aro_fp16 from the config"
            )
        _, self.loaded = load_model(config, self._load, device=device)  # errors name the weights by their source
        self.device = self.loaded.device
        self.weights = self.loaded.weights

    def _load(self, folder, device: str) -> None:
        import torch
        from transformers import CLIPModel, CLIPProcessor

        config = self.config
        self.dtype = dtype = torch_dtype(config, device)

        def pretrained():
            processor = CLIPProcessor.from_pretrained(str(folder))
            model = CLIPModel.from_pretrained(str(folder), dtype=dtype).to(device)
            half_model = None
            if config.aro_fp16:  # ARO's towers: clip.load on CUDA gives a float16 model
                half_model = model if dtype == torch.float16 else CLIPModel.from_pretrained(str(folder), dtype=torch.float16)
                half_model = half_model.to(device).eval()
            return processor, model, half_model

        self.processor, self.model, self.half_model = load_pretrained(config, "CLIP weights", folder, pretrained)
        self.model.eval()
        self.tokenizer = self.processor.tokenizer
        context = int(self.model.config.text_config.max_position_embeddings)
        self.max_length, self.max_length_origin = resolve_max_length(config.max_length, model_limit=context, context=context)
        self.logit_scale = float(self.model.logit_scale.detach().float().exp().cpu())
        images = self.processor.image_processor
        self.transform = ClipImageTransform(
            n_px=int(self.model.config.vision_config.image_size),
            mean=tuple(float(v) for v in getattr(images, "image_mean", None) or OPENAI_MEAN),  # type: ignore[arg-type]
            std=tuple(float(v) for v in getattr(images, "image_std", None) or OPENAI_STD),  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ captions
    def token_ids(self, texts: Sequence[str]) -> list[TokenIds]:
        """The ids the text tower sees for each caption (start and end tokens included, truncated to the context)."""
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        return [tuple(int(i) for i in ids) for ids in encoded]

    def encode_token_ids(self, sequences: Sequence[TokenIds], desc: str = "encoding captions", *, aro_fp16: bool = False) -> np.ndarray:
        """One embedding per token sequence, in order (batches of similar length).

        Default: L2-normalised float32.  ``aro_fp16``: the raw projected float16 features of the
        float16 text tower, left for ARO's numpy normalisation.
        """
        import torch
        from tqdm.auto import tqdm

        model = self._model(aro_fp16)
        order = np.argsort([-len(ids) for ids in sequences], kind="stable")
        out: np.ndarray | None = None
        size = self.config.batch_size
        with torch.inference_mode(), tqdm(total=len(sequences), desc=desc, unit="text", leave=False) as bar:
            for start in range(0, len(sequences), size):
                index = order[start : start + size]
                batch = self.tokenizer.pad({"input_ids": [list(sequences[i]) for i in index]}, return_tensors="pt").to(self.device)
                values = self._output(_features(model.get_text_features(**batch)), aro_fp16)
                if out is None:
                    out = np.empty((len(sequences), values.shape[1]), dtype=values.dtype)
                out[index] = values
                bar.update(len(index))
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    def encode_texts(self, texts: Sequence[str], desc: str = "encoding captions") -> np.ndarray:
        """L2-normalised float32 caption embeddings, in the order of ``texts``."""
        return self.encode_token_ids(self.token_ids(texts), desc)

    # ------------------------------------------------------------------ images
    def encode_images(
        self, items: Sequence[Any], load: Callable[[Any], Any], desc: str = "encoding images", *, aro_fp16: bool = False
    ) -> np.ndarray:
        """One embedding per item; ``load(item)`` gives a PIL image, decoded and preprocessed a batch ahead.

        Default: L2-normalised float32.  ``aro_fp16``: raw projected float16 features of the float16
        image tower (the float32 pixels cast to float16, as OpenAI's ``encode_image`` does).
        """
        import torch
        from tqdm.auto import tqdm

        model = self._model(aro_fp16)
        dtype = torch.float16 if aro_fp16 else self.dtype
        out: np.ndarray | None = None
        size = self.config.batch_size

        def prepare(item):
            return self.transform.tensor(load(item))

        with (
            torch.inference_mode(),
            ThreadPoolExecutor(max_workers=4) as pool,
            tqdm(total=len(items), desc=desc, unit="image", leave=False) as bar,
        ):
            upcoming = pool.map(prepare, items[0:size])
            for start in range(0, len(items), size):
                pixels = torch.stack(list(upcoming))
                nxt = start + size
                if nxt < len(items):
                    upcoming = pool.map(prepare, items[nxt : nxt + size])  # decode ahead
                values = self._output(_features(model.get_image_features(pixel_values=pixels.to(self.device, dtype))), aro_fp16)
                if out is None:
                    out = np.empty((len(items), values.shape[1]), dtype=values.dtype)
                out[start : start + len(pixels)] = values
                bar.update(len(pixels))
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    # ------------------------------------------------------------------ helpers
    def _model(self, aro_fp16: bool):
        if not aro_fp16:
            return self.model
        if self.half_model is None:
            raise RuntimeError("aro_fp16 features asked for, but the config does not set aro_fp16")
        return self.half_model

    @staticmethod
    def _output(features, aro_fp16: bool) -> np.ndarray:
        import torch

        if aro_fp16:  # ARO: encode_*(...).cpu().numpy(), normalised later in numpy float16
            return features.detach().to(torch.float16).cpu().numpy()
        return torch.nn.functional.normalize(features.float(), p=2, dim=1).cpu().numpy()

    def describe(self) -> dict:
        vision = self.model.config.vision_config
        described = {
            "backend": "clip",
            "implementation": "transformers CLIPModel; CLIPProcessor's tokenizer; OpenAI clip.load image transform",
            "weights_origin": self.weights.origin,
            "weights_folder": self.weights.label,
            "weights_sha256": self.weights.sha256,
            "device": self.device,
            "dtype": dtype_name(self.dtype),
            "batch_size": self.config.batch_size,
            "max_length": self.max_length,
            "settings_origin": {"max_length": self.max_length_origin},
            "image_size": int(vision.image_size),
            "embedding_dim": int(self.model.config.projection_dim),
            "logit_scale": round(self.logit_scale, 6),
            "score": "cosine(image, caption) of L2-normalised float32 embeddings (the logit scale is not applied)",
            "captions": "embedded once per distinct token-id sequence (token-identical captions tie exactly, as in ARO)",
            "image_preprocessing": self.transform.describe(),
        }
        if self.half_model is not None:
            described["aro_fp16"] = {
                "towers": f"transformers CLIPModel in float16 on {self.device}",
                "normalisation": "numpy float16: x / np.linalg.norm(x, axis=1, keepdims=True), as ARO",
                "products": "numpy float16 np.einsum('nkd,nld->nkl') over consecutive batches of test cases, as ARO",
            }
        return described
