"""ARO fixtures in the official formats, and a tiny random CLIP, all generated on the fly.

No ARO image or CLIP weight is available offline, so tests build:

* Visual Genome style sets: ``visual_genome_relation.json`` / ``visual_genome_attribution.json``
  (a JSON list of items with ``image_path``, ``bbox_x``, ``bbox_y``, ``bbox_w``, ``bbox_h``,
  ``true_caption``, ``false_caption`` and ``relation_name`` or ``attributes``, as the ARO release
  has them) plus JPEG images under ``aro/vg/images/``;
* order sets: a Karpathy-split file (``[{"image": "val2014/....jpg", "caption": [...]}, ...]``),
  the frozen ``*_order_test.json`` (ARO's ``test_cases``: ``{"image", "caption_options"}``) and
  the images under the image root;
* a CLIP folder (``CLIPModel`` from a small ``CLIPConfig`` + a character-level BPE tokenizer +
  a 32-pixel image processor) that ``CLIPModel.from_pretrained`` / ``CLIPProcessor`` load.
"""

from __future__ import annotations

import inspect
import json
import random
from pathlib import Path

RELATION_ITEMS = [
    # relation_name, true caption, false caption, image, bbox (x, y, w, h)
    ("on", "the cup is on the table", "the table is on the cup", "100.jpg", (4, 6, 40, 30)),
    ("on", "the cat is on the mat", "the mat is on the cat", "100.jpg", (10, 2, 30, 44)),
    ("on", "the book is on the shelf", "the shelf is on the book", "101.jpg", (0, 0, 64, 48)),
    ("holding", "the man is holding the bat", "the bat is holding the man", "101.jpg", (8, 8, 24, 24)),
    ("holding", "the girl is holding the kite", "the kite is holding the girl", "102.jpg", (2, 3, 50, 20)),
    ("next to", "the dog is next to the car", "the car is next to the dog", "102.jpg", (5, 5, 30, 30)),
    ("next to", "the tree is next to the house", "the house is next to the tree", "103.jpg", (1, 1, 60, 40)),
]


def _image(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> None:
    """A JPEG with a few coloured blocks, different per seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.randrange(size[0] - 8), rng.randrange(size[1] - 8)
        draw.rectangle((x0, y0, x0 + rng.randrange(4, 24), y0 + rng.randrange(4, 24)), fill=tuple(rng.randrange(256) for _ in range(3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=95)


def write_images(root: Path, names: list[str]) -> None:
    for index, name in enumerate(sorted(set(names))):
        _image(root / name, seed=index)


def write_vg_relation(data_dir: Path, rows=RELATION_ITEMS) -> Path:
    """``aro/vg-relation/visual_genome_relation.json`` + ``aro/vg/images/*.jpg``; returns the JSON path."""
    items = [
        {
            "image_id": name.split(".")[0],
            "relation_name": relation,
            "image_path": name,
            "bbox_x": box[0],
            "bbox_y": box[1],
            "bbox_w": box[2],
            "bbox_h": box[3],
            "true_caption": true,
            "false_caption": false,
        }
        for relation, true, false, name, box in rows
    ]
    write_images(data_dir / "aro" / "vg" / "images", [item["image_path"] for item in items])
    path = data_dir / "aro" / "vg-relation" / "visual_genome_relation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items))
    return path


def write_vg_attribution(data_dir: Path, rows: list[tuple[list[str], str, str, str, tuple]]) -> Path:
    """rows: (attributes, true caption, false caption, image, bbox)."""
    items = [
        {
            "attributes": attributes,
            "image_path": name,
            "bbox_x": box[0],
            "bbox_y": box[1],
            "bbox_w": box[2],
            "bbox_h": box[3],
            "true_caption": true,
            "false_caption": false,
        }
        for attributes, true, false, name, box in rows
    ]
    write_images(data_dir / "aro" / "vg" / "images", [item["image_path"] for item in items])
    path = data_dir / "aro" / "vg-attribution" / "visual_genome_attribution.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items))
    return path


def write_karpathy(data_dir: Path, task: str, annotation: list[dict]) -> Path:
    """The Karpathy split file ARO starts from (``coco_karpathy_test.json`` / ``flickr30k_test.json``)."""
    name = {"coco-order": "coco_karpathy_test.json", "flickr30k-order": "flickr30k_test.json"}[task]
    path = data_dir / "aro" / task / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(annotation))
    return path


def write_order_cases(data_dir: Path, task: str, cases: list[dict]) -> Path:
    """The frozen ``*_order_test.json`` and the images it names under the task's image root."""
    root = {"coco-order": "coco", "flickr30k-order": "flickr30k"}[task]
    write_images(data_dir / "aro" / root, [case["image"] for case in cases])
    name = {"coco-order": "coco_order_test.json", "flickr30k-order": "flickr30k_order_test.json"}[task]
    path = data_dir / "aro" / task / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cases))
    return path


def make_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised CLIP small enough to run in a second, saved like a Hub folder."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    letters = "abcdefghijklmnopqrstuvwxyz"
    tokens = ["<|startoftext|>", "<|endoftext|>", *letters, *(c + "</w>" for c in letters)]
    vocab = {token: index for index, token in enumerate(tokens)}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    if "vocab_file" in inspect.signature(CLIPTokenizer.__init__).parameters:  # transformers 4.x
        tokenizer = CLIPTokenizer(vocab_file=str(folder / "vocab.json"), merges_file=str(folder / "merges.txt"))
    else:  # transformers 5.x: the tokenizers-backed class takes the vocabulary itself
        tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(str(folder))
    eos = vocab["<|endoftext|>"]
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 40,
            "bos_token_id": vocab["<|startoftext|>"],
            "eos_token_id": eos,
            "pad_token_id": eos,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=8,
    )
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(str(folder))
    return folder


def clip_config_yaml(path: Path, weights: Path, name: str = "tiny-clip") -> Path:
    path.write_text(
        f"name: {name}\nfamily: [contrastive]\nbackend: clip\nweights: {{path: {weights}}}\nbatch_size: 4\n"
        "metadata: {parameters: 1000, license: mit}\n"
    )
    return path
