"""ARO end to end: generated official-format data + a tiny random CLIP, through `leaderboard run` into the DB.

The scores stored are checked against an independent computation: the model's own forward
pass (``CLIPModel(...).logits_per_image`` on each ARO crop with ``CLIPProcessor``), averaged by
hand, so a wrong crop, caption order, grouping or exclusion would show.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from benchmarks.aro.metrics import EXCLUDED_RELATIONS
from benchmarks.tasks import all_tasks
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.aro_fixture import RELATION_ITEMS, clip_config_yaml, make_tiny_clip, write_order_cases, write_vg_relation


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(table) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


def register(monkeypatch, task_id: str, **counts):
    task = dataclasses.replace(all_tasks()[task_id], expected_counts=counts)
    monkeypatch.setitem(all_tasks(), task_id, task)
    return task


def forward_logits(folder, image, captions) -> np.ndarray:
    """The model's own image-text logits, independent of runners/clip.py."""
    import torch
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(str(folder)).eval()
    processor = CLIPProcessor.from_pretrained(str(folder))
    with torch.no_grad():
        out = model(**processor(text=list(captions), images=[image], return_tensors="pt", padding=True))
    return out.logits_per_image[0].numpy()


def test_vg_relation_end_to_end_matches_the_models_own_forward_pass(tmp_path, monkeypatch, tiny_clip):
    from PIL import Image

    data = tmp_path / "data"
    annotation = write_vg_relation(data)
    register(monkeypatch, "aro/vg-relation", items=len(RELATION_ITEMS))
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)

    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 0, result.output
    assert "tiny-clip aro/vg-relation macro_accuracy=" in result.output

    # independent expectation: crop as ARO does, score with the model's forward pass
    paper: dict[str, list[float]] = {}
    mteb_whole, mteb_crop, gaps = [], [], []
    for item in json.loads(annotation.read_text()):
        x, y, w, h = item["bbox_x"], item["bbox_y"], item["bbox_w"], item["bbox_h"]
        whole = Image.open(data / "aro" / "vg" / "images" / item["image_path"]).convert("RGB")
        captions = [item["false_caption"], item["true_caption"]]
        false, true = forward_logits(tiny_clip, whole.crop((x, y, x + w, y + h)), captions)
        whole_false, whole_true = forward_logits(tiny_clip, whole, captions)
        gaps += [abs(true - false), abs(whole_true - whole_false)]
        paper.setdefault(item["relation_name"], []).append(float(true > false))
        mteb_crop.append(float(true >= false))
        mteb_whole.append(float(whole_true >= whole_false))
    assert min(gaps) > 1e-4  # no near-tie that float noise could flip
    kept = [np.mean(values) for relation, values in paper.items() if relation not in EXCLUDED_RELATIONS]
    assert len(kept) == 2  # "on" and "holding"; "next to" is excluded

    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        scores = {score.metric: score for score in run.scores}
        assert set(scores) == {"macro_accuracy", "text_acc", "text_acc_cropped"}
        assert scores["macro_accuracy"].value == pytest.approx(float(np.mean(kept)))
        assert scores["text_acc"].value == pytest.approx(float(np.mean(mteb_whole)))
        assert scores["text_acc_cropped"].value == pytest.approx(float(np.mean(mteb_crop)))
        assert set(scores["text_acc"].per_query) == {str(i) for i in range(len(RELATION_ITEMS))}
        assert set(scores["macro_accuracy"].per_query) == {"0", "1", "2", "3", "4"}  # items 5, 6 are "next to"
        assert run.metric_spec["main_score"] == "macro_accuracy"
        assert "next to" in run.metric_spec["metrics"]["macro_accuracy"]["excluded_relations"]
        manifest = run.manifest
        assert manifest["model"]["backend"] == "clip" and manifest["weights_sha256"]["model.safetensors"]
        assert manifest["counts"] == {"items": 7, "images": 4, "captions": 14, "image_crops": 7, "whole_images": 4}
        assert manifest["data_sha256"] and manifest["hardware"]["device"] == "cpu"
    assert "vg-relation" in invoke("results", "--benchmark", "aro").output


def test_coco_order_end_to_end(tmp_path, monkeypatch, tiny_clip):
    from PIL import Image

    first, second = "val2014/COCO_val2014_000000000001.jpg", "val2014/COCO_val2014_000000000002.jpg"
    bus = ["a red bus on a street", "a street on a red bus", "bus red a on street a", "red a bus a on street", "a street a red bus on"]
    dogs = ["two dogs play in snow", "two snow play in dogs", "dogs two in play snow", "play two dogs snow in", "in snow two dogs play"]
    cases = [
        {"image": first, "caption_options": bus},
        {"image": second, "caption_options": dogs},
        {"image": first, "caption_options": ["a bus"] * 5},
    ]
    write_order_cases(tmp_path / "data", "coco-order", cases)
    register(monkeypatch, "aro/coco-order", items=3, images=2)
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    result = invoke("run", str(config), "--tasks", "aro/coco-order")
    assert result.exit_code == 0, result.output

    expected = []
    for case in cases:
        image = Image.open(tmp_path / "data" / "aro" / "coco" / case["image"]).convert("RGB")
        logits = forward_logits(tiny_clip, image, case["caption_options"])
        expected.append(float(logits[0] >= logits[1:].max() - 1e-5))  # identical captions tie; first wins
    with session_factory(make_engine())() as session:
        scores = {s.metric: s for s in session.scalars(select(schema.Score))}
    assert set(scores) == {"precision_at_1", "text_acc"}
    assert scores["precision_at_1"].per_query["2"] == 1.0  # every option equals the caption: a tie, counted right
    assert scores["precision_at_1"].value == pytest.approx(float(np.mean(expected)))


def test_text_model_on_aro_is_skipped_and_a_run_of_nothing_exits_1(tmp_path):
    result = CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", "aro/vg-relation"])
    assert result.exit_code == 1, result.output
    assert "skipping aro/vg-relation" in result.output and "not an image-text model" in result.output
    assert "error: bm25s-flat (bm25) can run none of the tasks asked for: aro/vg-relation" in result.output
    assert count(schema.Run) == 0


def test_missing_aro_data_is_one_line_naming_files_and_sources(tmp_path, tiny_clip):
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    for fragment in ("visual_genome_relation.json", "drive.google.com", str(tmp_path / "data" / "aro" / "vg" / "images")):
        assert fragment in errors[0]
    assert count(schema.Run) == 0


def test_missing_image_and_bad_item_are_one_line(tmp_path, monkeypatch, tiny_clip):
    data = tmp_path / "data"
    annotation = write_vg_relation(data)
    register(monkeypatch, "aro/vg-relation", items=len(RELATION_ITEMS))
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    (data / "aro" / "vg" / "images" / "102.jpg").write_bytes(b"not a jpeg")
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "cannot read image" in result.output and "102.jpg" in result.output
    (data / "aro" / "vg" / "images" / "103.jpg").unlink()
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "1 of 4 images" in result.output and "103.jpg" in result.output

    items = json.loads(annotation.read_text())
    del items[2]["true_caption"]
    annotation.write_text(json.dumps(items))
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "item 2: field 'true_caption' is missing" in result.output
    assert count(schema.Run) == 0


def test_data_list_shows_aro_tasks(tmp_path, monkeypatch):
    write_vg_relation(tmp_path / "data")
    register(monkeypatch, "aro/vg-relation", items=len(RELATION_ITEMS))
    output = invoke("data", "list", "--all").output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("aro/")}
    assert set(lines) == {"aro/vg-relation", "aro/vg-attribution", "aro/coco-order", "aro/flickr30k-order"}
    assert "verified" in lines["aro/vg-relation"] and "7 items" in lines["aro/vg-relation"]
    assert "missing" in lines["aro/coco-order"] and "coco_karpathy_test.json" in lines["aro/coco-order"]
