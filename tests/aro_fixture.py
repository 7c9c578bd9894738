"""ARO fixtures in the official record shapes, and a tiny random CLIP, all generated on the fly.

No ARO image or CLIP weight is available offline, so tests build the release files as they are:

* ``visual_genome_relation.json``: records like the real one, string ids, integer boxes, the
  records of one image next to each other, the same captions again with another box, "is" also
  for plurals (the release's template), and one item whose true and false captions are the same
  string (both objects have the same name), which scores wrong: a tie counts wrong on VG::

      {"image_id": "2410049", "true_caption": "the door is to the left of the shirt",
       "false_caption": "the shirt is to the left of the door",
       "relation_info": {"object": "227262", "name": "to the left of"}, "primary_object_id": "227260",
       "primary_object_name": "door", "bbox_x": 42, "bbox_y": 0, "bbox_w": 259, "bbox_h": 354,
       "relation_name": "to the left of", "image_path": "2410049.jpg"}

* ``visual_genome_attribution.json``: ``attributes`` (the first two form the group),
  ``obj1_name`` / ``obj2_name``; one pair with 25 items (ARO's threshold) and one with fewer;
* the Karpathy test files ``coco_karpathy_test.json`` / ``flickr30k_test.json``:
  ``{"image": "val2014/COCO_val2014_….jpg", "caption": ["A man with a red helmet … road. ", …]}``
  with raw captions as the release has them: trailing spaces, commas, hyphens and "'s";
* the frozen ``*_order_test.json`` made from them by :func:`benchmarks.aro.perturb.freeze` (the
  real code path) with a tagger that splits like spaCy (punctuation, "'s" and hyphens become
  tokens), so a perturbation that moves nothing differs from its caption only in spacing;
* JPEG images of several sizes (odd ones too, so the centre crop's rounding matters);
* a CLIP folder (``CLIPModel`` from a small ``CLIPConfig``, a character-level BPE tokenizer that
  knows ``, . - '``, a 32-pixel image processor) that ``CLIPModel.from_pretrained`` loads.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import random
import re
from pathlib import Path

IMAGE_SIZES = {  # (width, height) of the generated images; default 64 x 48
    "2410049.jpg": (160, 120),
    "2410050.jpg": (120, 161),
    "2410051.jpg": (151, 97),
    "2406591.jpg": (133, 100),
    "2406592.jpg": (100, 140),
}


def _relation(image_id, true, false, relation, subject, subject_id, object_id, box) -> dict:
    """A VG-Relation record, field for field as the release has them."""
    return {
        "image_id": image_id,
        "true_caption": true,
        "false_caption": false,
        "relation_info": {"object": object_id, "name": relation},
        "primary_object_id": subject_id,
        "primary_object_name": subject,
        "bbox_x": box[0],
        "bbox_y": box[1],
        "bbox_w": box[2],
        "bbox_h": box[3],
        "relation_name": relation,
        "image_path": f"{image_id}.jpg",
    }


_TO_THE_LEFT = ("the door is to the left of the shirt", "the shirt is to the left of the door", "to the left of")
VG_RELATION_RECORDS = [
    _relation("2410049", *_TO_THE_LEFT, "door", "227260", "227262", (42, 0, 101, 118)),
    _relation(
        "2410049", "the man is wearing the shirt", "the shirt is wearing the man", "wearing", "man", "227261", "227262", (60, 10, 90, 105)
    ),
    # the same captions again, another pair of boxes (the release has such duplicates)
    _relation("2410049", *_TO_THE_LEFT, "door", "227263", "227262", (5, 3, 77, 64)),
    _relation("2410050", "the shoes is on the floor", "the floor is on the shoes", "on", "shoes", "1011", "1012", (10, 100, 90, 55)),
    _relation("2410050", "the cup is on the table", "the table is on the cup", "on", "cup", "1013", "1014", (0, 20, 120, 80)),
    # both objects are men: the swapped caption is the same string, a tie, counted wrong
    _relation("2410050", "the man is behind the man", "the man is behind the man", "behind", "man", "1015", "1016", (30, 40, 61, 99)),
    _relation("2410051", "the dog is next to the car", "the car is next to the dog", "next to", "dog", "5511", "5512", (1, 1, 150, 96)),
    _relation(
        "2410051", "the girl is holding the kite", "the kite is holding the girl", "holding", "girl", "5513", "5514", (20, 7, 33, 80)
    ),
    _relation(
        "2410051", "the trees is behind the house", "the house is behind the trees", "behind", "trees", "5515", "5516", (70, 0, 81, 97)
    ),
]


def _attribution(image_id, attributes, obj1, obj2, box) -> dict:
    first, second = attributes
    return {
        "image_id": image_id,
        "bbox_x": box[0],
        "bbox_y": box[1],
        "bbox_w": box[2],
        "bbox_h": box[3],
        "attributes": [first, second],
        "obj1_name": obj1,
        "obj2_name": obj2,
        "true_caption": f"the {first} {obj1} and the {second} {obj2}",
        "false_caption": f"the {second} {obj1} and the {first} {obj2}",
        "image_path": f"{image_id}.jpg",
    }


_OBJECTS = [("shirt", "pants"), ("car", "road"), ("cat", "sofa"), ("sign", "pole"), ("plate", "table")]
VG_ATTRIBUTION_RECORDS = (
    [
        _attribution("2406591" if i < 13 else "2406592", ["white", "black"], *_OBJECTS[i % 5], (i, 2 * (i % 7), 40 + i, 30 + 2 * i))
        for i in range(25)  # ARO keeps a pair with at least 25 items
    ]
    + [_attribution("2406592", ["red", "blue"], "bus", "sky", (3 * i, 5, 50, 60)) for i in range(3)]  # dropped: 3 items
    + [_attribution("2406592", ["white", "white"], "dog", "cat", (10, 10, 60, 60))]  # true == false
)

COCO_KARPATHY_TEST = [
    {
        "image": "val2014/COCO_val2014_000000391895.jpg",
        "caption": [
            "A man with a red helmet on a small moped on a dirt road. ",
            "A man, riding.",
            "Man riding a motor bike on a dirt road on the country-side.",
        ],
    },
    {
        "image": "val2014/COCO_val2014_000000522418.jpg",
        "caption": [
            "A woman's hands cutting a cake with a knife. ",
            "The woman is cutting a large cake , smiling.",
        ],
    },
]
FLICKR30K_TEST = [
    {
        "image": "flickr30k-images/1007129816.jpg",
        "caption": [
            "The man with pierced ears is wearing glasses and an orange hat. ",
            "A boy's face, close-up.",
        ],
    },
    {
        "image": "flickr30k-images/1009434119.jpg",
        "caption": ["A black and white dog is running in a grassy garden surrounded by a white fence ."],
    },
]

STUB_NOUNS = {"man", "helmet", "moped", "road", "bike", "country", "side", "woman", "hands", "cake", "knife", "ears", "glasses",
              "hat", "boy", "face", "dog", "garden", "fence", "motor"}  # fmt: skip
STUB_ADJECTIVES = {"red", "small", "dirt", "large", "pierced", "orange", "black", "white", "grassy", "close"}


def spacy_like_tokens(text: str) -> list[str]:
    """Tokens the way spaCy's English tokenizer cuts these captions: "'s", commas, full stops and hyphens apart."""
    return re.findall(r"'s|\w+|[^\w\s]", text)


def stub_tagger(text: str) -> list[tuple[str, str]]:
    """A Penn tagger for the fixture's captions (spaCy's en_core_web_sm cannot be had offline)."""
    tags = []
    for token in spacy_like_tokens(text):
        word = token.lower()
        tags.append((token, "NN" if word in STUB_NOUNS else "JJ" if word in STUB_ADJECTIVES else "DT" if word.isalpha() else "."))
    return tags


def _image(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> None:
    """A JPEG with a few coloured blocks, different per seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(size[0] - 8), rng.randrange(size[1] - 8)
        draw.rectangle((x0, y0, x0 + rng.randrange(4, 40), y0 + rng.randrange(4, 40)), fill=tuple(rng.randrange(256) for _ in range(3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=95)


def write_images(root: Path, names: list[str]) -> None:
    for index, name in enumerate(sorted(set(names))):
        _image(root / name, seed=index, size=IMAGE_SIZES.get(Path(name).name, (64, 48)))


def relation_records(rows) -> list[dict]:
    """Real-shaped VG-Relation records from (relation, true caption, false caption, image, (x, y, w, h)) rows."""
    return [
        _relation(name.rsplit(".", 1)[0], true, false, relation, true.split()[1], str(100 + 2 * i), str(101 + 2 * i), box)
        for i, (relation, true, false, name, box) in enumerate(rows)
    ]


def write_vg_relation(data_dir: Path, rows=None) -> Path:
    """``aro/vg-relation/visual_genome_relation.json`` + ``aro/vg/images/*.jpg``; returns the JSON path.

    ``rows``: records (dicts) or (relation, true, false, image, bbox) tuples; default :data:`VG_RELATION_RECORDS`.
    """
    if rows is None:
        items = VG_RELATION_RECORDS
    elif all(isinstance(row, dict) for row in rows):
        items = list(rows)
    else:
        items = relation_records(rows)
    write_images(data_dir / "aro" / "vg" / "images", [item["image_path"] for item in items])
    path = data_dir / "aro" / "vg-relation" / "visual_genome_relation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items))
    return path


def write_vg_attribution(data_dir: Path, records: list[dict] | None = None) -> Path:
    items = VG_ATTRIBUTION_RECORDS if records is None else records
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
    """A frozen ``*_order_test.json`` written directly (no provenance) and the images it names."""
    root = {"coco-order": "coco", "flickr30k-order": "flickr30k"}[task]
    write_images(data_dir / "aro" / root, [case["image"] for case in cases])
    name = {"coco-order": "coco_order_test.json", "flickr30k-order": "flickr30k_order_test.json"}[task]
    path = data_dir / "aro" / task / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cases))
    return path


def freeze_order(data_dir: Path, task: str, annotation: list[dict]) -> Path:
    """Karpathy file + images, then ``benchmarks.aro.perturb.freeze`` (seed 1) with the spaCy-like stub tagger."""
    from benchmarks.aro.perturb import OrderPerturber, freeze

    write_karpathy(data_dir, task, annotation)
    root = {"coco-order": "coco", "flickr30k-order": "flickr30k"}[task]
    write_images(data_dir / "aro" / root, [entry["image"] for entry in annotation])
    stub = {"tagger": "tests.aro_fixture.stub_tagger", "tokenizer": "tests.aro_fixture.spacy_like_tokens"}
    return freeze(f"aro/{task}", perturber=OrderPerturber(stub_tagger, spacy_like_tokens, seed=1, provenance=stub))


def write_all_aro(data_dir: Path, monkeypatch) -> dict[str, dict[str, int]]:
    """All four ARO tasks in the release format under ``data_dir``; registers their (small) sizes.

    Returns task id -> the counts the fixture holds.  ``LEADERBOARD_DATA_DIR`` must point at ``data_dir``.
    """
    from benchmarks.registry import all_tasks

    write_vg_relation(data_dir)
    write_vg_attribution(data_dir)
    freeze_order(data_dir, "coco-order", COCO_KARPATHY_TEST)
    freeze_order(data_dir, "flickr30k-order", FLICKR30K_TEST)
    counts = {
        "aro/vg-relation": {"items": len(VG_RELATION_RECORDS)},
        "aro/vg-attribution": {"items": len(VG_ATTRIBUTION_RECORDS)},
        "aro/coco-order": {"items": sum(len(e["caption"]) for e in COCO_KARPATHY_TEST), "images": len(COCO_KARPATHY_TEST)},
        "aro/flickr30k-order": {"items": sum(len(e["caption"]) for e in FLICKR30K_TEST), "images": len(FLICKR30K_TEST)},
    }
    for task_id, expected in counts.items():
        monkeypatch.setitem(all_tasks(), task_id, dataclasses.replace(all_tasks()[task_id], expected_counts=expected))
    return counts


OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)  # clip.load's Normalize (written out again: tests check ours)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def hand_pixels(image, n_px: int, mean=OPENAI_MEAN, std=OPENAI_STD):
    """clip.load's transform written out with numpy, apart from runners.clip_image: PIL bicubic resize of the
    shorter side to ``n_px``, crop at round((h - n_px) / 2), round((w - n_px) / 2), /255, (x - mean) / std."""
    import numpy as np
    from PIL import Image

    w, h = image.size
    size = (n_px, int(n_px * h / w)) if w <= h else (int(n_px * w / h), n_px)
    resized = image.resize(size, Image.Resampling.BICUBIC) if size != image.size else image
    left, top = round((size[0] - n_px) / 2), round((size[1] - n_px) / 2)
    crop = np.asarray(resized.convert("RGB"), dtype=np.uint8)[top : top + n_px, left : left + n_px].astype(np.float32) / np.float32(255)
    return ((crop - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)).transpose(2, 0, 1)


def make_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised CLIP small enough to run in a second, saved like a Hub folder."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    symbols = "abcdefghijklmnopqrstuvwxyz,.-'"
    tokens = ["<|startoftext|>", "<|endoftext|>", *symbols, *(c + "</w>" for c in symbols)]
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
            "max_position_embeddings": 77,
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


def clip_config_yaml(path: Path, weights: Path, name: str = "tiny-clip", extra: str = "", batch_size: int = 4) -> Path:
    path.write_text(
        f"name: {name}\nfamily: [contrastive]\nbackend: clip\nweights: {{path: {weights}}}\nbatch_size: {batch_size}\n"
        f"metadata: {{parameters: 1000, license: mit}}\n{extra}"
    )
    return path
