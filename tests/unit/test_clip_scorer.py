"""The clip backend against the model's own forward pass, across batch sizes, and its load errors."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errors import UserError
from runners.clip import ClipScorer
from submissions.schema import parse_config
from tests.aro_fixture import make_tiny_clip

CAPTIONS = ["a red cup on a table", "the dog", "a very long caption " + "about nothing " * 30, "x"]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


def config(folder, batch_size=4, extra=""):
    return parse_config(
        f"name: tiny-clip\nfamily: [contrastive]\nbackend: clip\nweights: {{path: {folder}}}\nbatch_size: {batch_size}\n{extra}", "c.yaml"
    )


def images():
    from PIL import Image

    return [Image.new("RGB", (40 + 7 * i, 30 + 3 * i), (40 * i, 255 - 30 * i, 90)) for i in range(5)]


def test_scores_equal_the_models_logits_per_image(tiny_clip):
    import torch
    from transformers import CLIPModel, CLIPProcessor

    scorer = ClipScorer(config(tiny_clip, batch_size=3))
    pictures = images()
    text = scorer.encode_texts(CAPTIONS)
    pixels = scorer.encode_images(list(range(len(pictures))), lambda i: pictures[i])
    assert np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-5) and np.allclose(np.linalg.norm(pixels, axis=1), 1, atol=1e-5)

    model = CLIPModel.from_pretrained(str(tiny_clip)).eval()
    processor = CLIPProcessor.from_pretrained(str(tiny_clip))
    with torch.no_grad():
        inputs = processor(text=CAPTIONS, images=pictures, return_tensors="pt", padding=True, truncation=True, max_length=40)
        expected = model(**inputs).logits_per_image.numpy()
    assert np.allclose(scorer.logit_scale * pixels @ text.T, expected, atol=1e-4)
    described = scorer.describe()
    assert described["backend"] == "clip" and described["max_length"] == 40 and described["weights_sha256"]


def test_batch_size_does_not_change_embeddings(tiny_clip):
    pictures = images()
    one = ClipScorer(config(tiny_clip, batch_size=1))
    many = ClipScorer(config(tiny_clip, batch_size=64))
    assert np.allclose(one.encode_texts(CAPTIONS), many.encode_texts(CAPTIONS), atol=1e-5)
    load = pictures.__getitem__
    assert np.allclose(one.encode_images(list(range(5)), load), many.encode_images(list(range(5)), load), atol=1e-5)


def test_half_precision_falls_back_to_float32_on_cpu(tiny_clip, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    scorer = ClipScorer(config(tiny_clip, extra="dtype: float16\n"))
    assert scorer.describe()["dtype"] == "float32"


def test_a_folder_that_is_not_clip_is_one_line(tmp_path):
    folder = tmp_path / "not-clip"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(UserError, match="cannot load CLIP weights from"):
        ClipScorer(config(folder))
