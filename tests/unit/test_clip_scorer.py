"""The clip backend: OpenAI's image transform (hand-computed), token-level caption dedupe, the
model's own forward pass across batch sizes, the fp16 mode's device rule, and load errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from common.errors import UserError
from runners.clip import ClipScorer
from runners.clip_image import ClipImageTransform, center_crop_box, resized_size
from submissions.schema import ConfigError, parse_config
from tests.aro_fixture import hand_pixels, make_tiny_clip

CAPTIONS = ["a red cup on a table", "the dog", "a very long caption " + "about nothing " * 30, "x"]
# (w - 32) / 2 = 1.5 and (h - 32) / 2 = 3.5 after the resize: round() and floor() differ by a pixel
SIZES = [(35, 32), (32, 39), (71, 64), (47, 33), (40, 30)]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


def config(folder, batch_size=4, extra=""):
    return parse_config(
        f"name: tiny-clip\nfamily: [contrastive]\nbackend: clip\nweights: {{path: {folder}}}\nbatch_size: {batch_size}\n{extra}", "c.yaml"
    )


def pattern(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """An image whose every pixel differs, so a one-pixel shift shows."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def images():
    return [pattern(size, seed) for seed, size in enumerate(SIZES)]


def test_resize_and_crop_follow_clip_load_by_hand():
    # 300 x 251 -> shorter side 251 -> 224, longer int(224 * 300 / 251) = int(267.73) = 267
    assert resized_size(300, 251, 224) == (267, 224) and resized_size(251, 300, 224) == (224, 267)
    # (267 - 224) / 2 = 21.5 -> torchvision's int(round(21.5)) = 22; CLIPProcessor's floor gives 21
    assert center_crop_box(267, 224, 224) == (22, 0, 246, 224)
    assert center_crop_box(224, 267, 224) == (0, 22, 224, 246)
    assert center_crop_box(229, 224, 224) == (2, 0, 226, 224)  # 2.5 -> 2: Python's round halves to even, as torchvision
    image = pattern((300, 251))
    ours = ClipImageTransform(224).pil(image)
    hand = image.resize((267, 224), Image.Resampling.BICUBIC).crop((22, 0, 246, 224))
    assert ours.size == (224, 224) and np.array_equal(np.asarray(ours), np.asarray(hand))
    floor = image.resize((267, 224), Image.Resampling.BICUBIC).crop((21, 0, 245, 224))
    assert not np.array_equal(np.asarray(ours), np.asarray(floor))


def test_normalisation_is_totensor_then_normalize_in_float32():
    image = pattern((300, 251), seed=3)
    tensor = ClipImageTransform(224).tensor(image)
    assert tensor.dtype.is_floating_point and tuple(tensor.shape) == (3, 224, 224)
    assert np.array_equal(tensor.numpy(), hand_pixels(image, 224))
    grey = Image.new("RGB", (224, 224), (123, 117, 104))  # ~ the CLIP mean: close to 0 after normalising
    assert np.abs(ClipImageTransform(224).tensor(grey).numpy()).max() < 0.01


def test_scores_equal_the_models_forward_pass_on_hand_preprocessed_images(tiny_clip):
    import torch
    from transformers import CLIPModel, CLIPTokenizer

    scorer = ClipScorer(config(tiny_clip, batch_size=3))
    pictures = images()
    text = scorer.encode_texts(CAPTIONS)
    pixels = scorer.encode_images(list(range(len(pictures))), lambda i: pictures[i])
    assert np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-5) and np.allclose(np.linalg.norm(pixels, axis=1), 1, atol=1e-5)

    model = CLIPModel.from_pretrained(str(tiny_clip)).eval()
    tokenizer = CLIPTokenizer.from_pretrained(str(tiny_clip))
    processor_mean = scorer.transform.mean
    with torch.no_grad():
        tokens = tokenizer(CAPTIONS, return_tensors="pt", padding=True, truncation=True, max_length=77)
        batch = torch.from_numpy(np.stack([hand_pixels(p, 32, processor_mean, scorer.transform.std) for p in pictures]))
        expected = model(**tokens, pixel_values=batch).logits_per_image.numpy()
    assert np.allclose(scorer.logit_scale * pixels @ text.T, expected, atol=1e-4)
    described = scorer.describe()
    assert described["backend"] == "clip" and described["max_length"] == 77 and described["weights_sha256"]
    preprocessing = described["image_preprocessing"]
    assert "round((h - 32) / 2)" in preprocessing["crop"] and "BICUBIC" in preprocessing["resize"]
    assert preprocessing["libraries"]["Pillow"] == Image.__version__ and preprocessing["libraries"]["transformers"]


def test_token_identical_captions_get_one_id_sequence(tiny_clip):
    scorer = ClipScorer(config(tiny_clip))
    spaced = ["a man, riding", "a man , riding", "a woman's hands", "a woman 's hands", "close-up", "close - up"]
    ids = scorer.token_ids(spaced)
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[4] == ids[5]  # CLIP's tokenizer splits punctuation off
    assert len({ids[0], ids[2], ids[4]}) == 3


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


def test_aro_fp16_on_cpu_is_refused_naming_the_missing_device(tiny_clip, monkeypatch):
    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    with pytest.raises(UserError, match=r"aro_fp16 needs a CUDA GPU .* device cpu; run it on a machine with CUDA") as err:
        ClipScorer(config(tiny_clip, extra="aro_fp16: true\n"))
    assert "\n" not in str(err.value)


def test_aro_fp16_is_a_clip_setting():
    with pytest.raises(ConfigError, match=r"aro_fp16 .* applies to backend clip only"):
        parse_config("name: d\nfamily: [dense]\nbackend: dense\nweights: {path: /x}\naro_fp16: true\n", "d.yaml")
    with pytest.raises(ConfigError, match="aro_fp16"):
        config("/x", extra="aro_fp16: sometimes\n")


def test_fp16_features_are_the_float16_towers_raw_outputs(tiny_clip, monkeypatch):
    """With the device rule lifted (CPU half kernels stand in for CUDA's), the fp16 path gives raw float16 features."""
    import runners.clip

    monkeypatch.setattr(runners.clip, "aro_fp16_supported", lambda device: True)
    scorer = ClipScorer(config(tiny_clip, extra="aro_fp16: true\n"))
    half = scorer.encode_texts(CAPTIONS)  # the float32 path is unchanged
    raw = scorer.encode_token_ids(scorer.token_ids(CAPTIONS), aro_fp16=True)
    assert raw.dtype == np.float16 and half.dtype == np.float32
    assert not np.allclose(np.linalg.norm(raw.astype(np.float32), axis=1), 1, atol=1e-3)  # left for ARO's normalisation
    unit = raw.astype(np.float32) / np.linalg.norm(raw.astype(np.float32), axis=1, keepdims=True)
    assert np.allclose(unit, half, atol=5e-3)  # the same model, in half precision
    assert scorer.describe()["aro_fp16"]["products"].startswith("numpy float16")


def test_a_folder_that_is_not_clip_is_one_line(tmp_path):
    folder = tmp_path / "not-clip"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(UserError, match="cannot load CLIP weights from"):
        ClipScorer(config(folder))
