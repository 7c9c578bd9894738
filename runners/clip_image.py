"""OpenAI's CLIP image preprocessing (``clip.load``'s ``_transform``), reproduced exactly.

ARO scores OpenAI CLIP with the transform that ``clip.load`` returns::

    Compose([Resize(n_px, interpolation=BICUBIC), CenterCrop(n_px), _convert_image_to_rgb,
             ToTensor(), Normalize(OPENAI_MEAN, OPENAI_STD)])

on PIL images (and NegCLIP with open_clip's equivalent).  ``transformers``' ``CLIPProcessor``
is close but not equal: it centre-crops at ``floor((h - n) / 2)`` where torchvision's
``CenterCrop`` uses ``int(round((h - n) / 2))`` (Python's round, half to even), and
transformers 5 resizes with torchvision's tensor path when torchvision is installed.  That is a
one-pixel shift on about a quarter of the images, so we do the transform ourselves, with the
same library calls torchvision makes on a PIL image:

* resize: the shorter side to ``n_px``, the longer to ``int(n_px * long / short)``
  (torchvision's ``_compute_resized_output_size``), with ``PIL.Image.resize(..., BICUBIC)``;
  an image whose shorter side already is ``n_px`` is left as it is (torchvision returns it
  untouched);
* crop: ``n_px`` x ``n_px`` at ``top = int(round((h - n_px) / 2))``,
  ``left = int(round((w - n_px) / 2))`` (torchvision's ``center_crop``);
* to RGB, then ``uint8 -> float32 / 255`` and ``(x - mean) / std`` per channel, as ``ToTensor``
  and ``Normalize`` compute them (float32 tensors, subtract then divide).

Hand-written because torchvision is not a dependency here (and would change nothing: on a PIL
image it calls exactly these PIL functions); ``tests/unit/test_clip_scorer.py`` pins every step
against a hand-computed crop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def resized_size(width: int, height: int, n_px: int) -> tuple[int, int]:
    """(width, height) after ``Resize(n_px)``: shorter side to ``n_px``, longer ``int(n_px * long / short)``."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = n_px, int(n_px * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def center_crop_box(width: int, height: int, n_px: int) -> tuple[int, int, int, int]:
    """PIL crop box (left, top, right, bottom) of ``CenterCrop(n_px)`` on a ``width`` x ``height`` image."""
    top = round((height - n_px) / 2.0)  # torchvision: int(round(...)); Python's round halves to even
    left = round((width - n_px) / 2.0)
    return (left, top, left + n_px, top + n_px)


@dataclass(frozen=True)
class ClipImageTransform:
    """``clip.load``'s preprocessing for input resolution ``n_px`` and the model's mean/std."""

    n_px: int
    mean: tuple[float, float, float] = OPENAI_MEAN
    std: tuple[float, float, float] = OPENAI_STD

    def pil(self, image: Any) -> Any:
        """The resized and cropped RGB PIL image (before ToTensor)."""
        from PIL import Image

        if min(image.size) < 1:
            raise ValueError(f"cannot preprocess an empty image of size {image.size}")
        size = resized_size(image.width, image.height, self.n_px)
        if size != image.size:
            image = image.resize(size, Image.Resampling.BICUBIC)
        if image.width < self.n_px or image.height < self.n_px:  # cannot happen after the resize above
            raise ValueError(f"resized image {image.size} is smaller than the crop {self.n_px}")
        image = image.crop(center_crop_box(image.width, image.height, self.n_px))
        return image.convert("RGB")

    def tensor(self, image: Any):
        """float32 tensor 3 x n_px x n_px, normalised as torchvision's ToTensor + Normalize."""
        import numpy as np
        import torch

        pixels = torch.from_numpy(np.array(self.pil(image), dtype=np.uint8, copy=True))
        pixels = pixels.permute(2, 0, 1).contiguous().to(dtype=torch.float32).div(255)
        mean = torch.as_tensor(self.mean, dtype=torch.float32)[:, None, None]
        std = torch.as_tensor(self.std, dtype=torch.float32)[:, None, None]
        return pixels.sub_(mean).div_(std)

    def batch(self, images: Sequence[Any]):
        """N x 3 x n_px x n_px float32."""
        import torch

        return torch.stack([self.tensor(image) for image in images])

    def describe(self) -> dict:
        """What the run manifest records: the transform and the libraries that compute it."""
        return {
            "transform": "OpenAI clip.load: Resize(n_px, bicubic) + CenterCrop(n_px) + RGB + ToTensor + Normalize",
            "n_px": self.n_px,
            "resize": f"shorter side to {self.n_px}, longer side int({self.n_px} * long / short), PIL Image.resize BICUBIC",
            "crop": f"centre {self.n_px} x {self.n_px} at top=int(round((h - {self.n_px}) / 2)), left=int(round((w - {self.n_px}) / 2))",
            "mean": list(self.mean),
            "std": list(self.std),
            "libraries": {name: _version(name) for name in ("Pillow", "torchvision", "transformers")},
            "torchvision": "not used (the same PIL calls are made directly)",
        }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
