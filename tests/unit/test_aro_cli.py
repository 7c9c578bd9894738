"""ARO end to end: release-format files + a tiny random CLIP, through `leaderboard run` into the DB.

The scores stored are checked against an independent computation: the model's own towers on
images preprocessed by hand (``tests.aro_fixture.hand_pixels``, clip.load's transform written
out with numpy) and captions tokenised by the model's tokenizer, with ARO's rules applied by
hand, so a wrong crop, preprocessing, caption order, grouping, exclusion or tie rule would show.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from benchmarks.aro.metrics import EXCLUDED_RELATIONS, MIN_ATTRIBUTE_PAIR_ITEMS
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.aro_fixture import (
    COCO_KARPATHY_TEST,
    VG_ATTRIBUTION_RECORDS,
    VG_RELATION_RECORDS,
    clip_config_yaml,
    freeze_order,
    hand_pixels,
    make_tiny_clip,
    write_all_aro,
    write_order_cases,
    write_vg_relation,
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(table) -> int:
    with session_factory(make_engine())() as session:
        return session.scalar(select(func.count()).select_from(table))


def stored(task_id: str, variant: str = "") -> dict[str, schema.Score]:
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run).where(schema.Run.task_id == task_id).order_by(schema.Run.id.desc())).first()
        return {s.metric: s for s in run.scores if s.variant == variant}


def manifest_of(task_id: str) -> dict:
    with session_factory(make_engine())() as session:
        return session.scalars(select(schema.Run.manifest).where(schema.Run.task_id == task_id).order_by(schema.Run.id.desc())).first()


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


@functools.lru_cache(maxsize=4)
def reference_model(folder: str):
    from transformers import CLIPModel, CLIPTokenizer

    return CLIPModel.from_pretrained(folder).eval(), CLIPTokenizer.from_pretrained(folder)


def reference_cosines(folder, image, captions) -> np.ndarray:
    """Cosines of one image against its options, with the model's own towers, independent of runners/.

    Options whose token ids equal another's get that option's value: ARO embeds every option in
    the same 77-token shape, so token-identical captions have bit-identical embeddings.
    """
    import torch

    model, tokenizer = reference_model(str(folder))
    with torch.no_grad():
        tokens = tokenizer(list(captions), return_tensors="pt", padding=True)
        text = model.get_text_features(**tokens)
        pixels = model.get_image_features(pixel_values=torch.from_numpy(hand_pixels(image, 32)[None]))
    text = getattr(text, "pooler_output", text).numpy()
    pixels = getattr(pixels, "pooler_output", pixels).numpy()[0]
    cosines = (text / np.linalg.norm(text, axis=1, keepdims=True)) @ (pixels / np.linalg.norm(pixels))
    ids = [tuple(tokenizer(c)["input_ids"]) for c in captions]
    return np.array([cosines[ids.index(seq)] for seq in ids])


def open_image(path, box=None):
    from PIL import Image

    image = Image.open(path).convert("RGB")
    return image if box is None else image.crop((box[0], box[1], box[0] + box[2], box[1] + box[3]))


def aro_right(scores, correct):
    return float(int(np.argmax(scores)) == correct)


def mteb_right(scores, correct):
    others = np.delete(scores, correct)
    return float(scores[correct] >= others.max())


def check_gaps(rows, min_gap=1e-5):
    """No near-tie that float noise could flip, other than the exact token ties."""
    for scores in rows:
        gaps = np.abs(scores[:, None] - scores[None, :])
        assert np.all((gaps == 0) | (gaps > min_gap)), scores


def expected_vg(folder, data, records, kind):
    crop_rows, whole_rows, groups = [], [], []
    for item in records:
        path = data / "aro" / "vg" / "images" / item["image_path"]
        box = (item["bbox_x"], item["bbox_y"], item["bbox_w"], item["bbox_h"])
        options = [item["false_caption"], item["true_caption"]]
        crop_rows.append(reference_cosines(folder, open_image(path, box), options))
        whole_rows.append(reference_cosines(folder, open_image(path), options))
        groups.append(item["relation_name"] if kind == "relation" else "_".join(item["attributes"][:2]))
    check_gaps(crop_rows + whole_rows)
    paper = [aro_right(row, 1) for row in crop_rows]
    members: dict[str, list[float]] = {}
    for group, right in zip(groups, paper, strict=True):
        members.setdefault(group, []).append(right)
    if kind == "relation":
        kept = {g: v for g, v in members.items() if g not in EXCLUDED_RELATIONS}
    else:
        kept = {g: v for g, v in members.items() if len(v) >= MIN_ATTRIBUTE_PAIR_ITEMS}
    return {
        "macro_accuracy": float(np.mean([np.mean(v) for v in kept.values()])),
        "text_acc": float(np.mean([mteb_right(row, 1) for row in whole_rows])),
        "text_acc_cropped": float(np.mean([mteb_right(row, 1) for row in crop_rows])),
    }, paper


def expected_order(folder, data, task):
    root, name = {"aro/coco-order": ("coco", "coco_order_test.json"), "aro/flickr30k-order": ("flickr30k", "flickr30k_order_test.json")}[
        task
    ]
    cases = json.loads((data / "aro" / task.split("/")[1] / name).read_text())
    rows = [reference_cosines(folder, open_image(data / "aro" / root / case["image"]), case["caption_options"]) for case in cases]
    check_gaps(rows)
    paper = [aro_right(row, 0) for row in rows]
    return {"precision_at_1": float(np.mean(paper)), "text_acc": float(np.mean([mteb_right(row, 0) for row in rows]))}, paper, cases


def test_all_four_aro_tasks_end_to_end_on_release_format_files(tmp_path, monkeypatch, tiny_clip):
    """The tiny CLIP through `leaderboard run <config> --tasks aro`, the path a real CLIP takes (weights.path)."""
    data = tmp_path / "data"
    counts = write_all_aro(data, monkeypatch)
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    result = invoke("run", str(config), "--tasks", "aro")
    assert result.exit_code == 0, result.output
    for task in counts:
        assert f"tiny-clip {task} " in result.output

    for task, records, kind in (
        ("aro/vg-relation", VG_RELATION_RECORDS, "relation"),
        ("aro/vg-attribution", VG_ATTRIBUTION_RECORDS, "attribution"),
    ):
        expected, paper = expected_vg(tiny_clip, data, records, kind)
        scores = stored(task)
        assert set(scores) == set(expected)
        for metric, value in expected.items():
            assert scores[metric].value == pytest.approx(value), (task, metric)
        assert set(scores["text_acc"].per_query) == {str(i) for i in range(len(records))}
        manifest = manifest_of(task)
        assert manifest["counts"]["items"] == len(records) and manifest["counts"]["whole_images"] == len({r["image_path"] for r in records})
        assert "round((h - 32) / 2)" in manifest["model"]["image_preprocessing"]["crop"]
        assert manifest["model"]["image_preprocessing"]["libraries"]["Pillow"]
    # VG-Relation: the item whose true and false captions are one string is a tie, counted wrong
    same = next(i for i, r in enumerate(VG_RELATION_RECORDS) if r["true_caption"] == r["false_caption"])
    relation = stored("aro/vg-relation")
    assert relation["macro_accuracy"].per_query[str(same)] == 0.0
    assert relation["text_acc"].per_query[str(same)] == 1.0  # MTEB's rule counts the same tie right
    assert "next to" in {r["relation_name"] for r in VG_RELATION_RECORDS}
    assert (
        str(next(i for i, r in enumerate(VG_RELATION_RECORDS) if r["relation_name"] == "next to"))
        not in relation["macro_accuracy"].per_query
    )
    attribution = stored("aro/vg-attribution")
    assert len(attribution["macro_accuracy"].per_query) == MIN_ATTRIBUTE_PAIR_ITEMS  # red_blue (3) and white_white (1) dropped

    for task in ("aro/coco-order", "aro/flickr30k-order"):
        expected, paper, cases = expected_order(tiny_clip, data, task)
        scores = stored(task)
        assert {m: s.value for m, s in scores.items()} == pytest.approx(expected)
        assert [scores["precision_at_1"].per_query[str(i)] for i in range(len(cases))] == paper
        manifest = manifest_of(task)
        record = manifest["order_options"]["record"]
        name = task.split("/")[1]  # the provenance file named relative to the data dir: no server path in public
        assert manifest["order_options"]["file"] == f"aro/{name}/{name.replace('-', '_')}_test.provenance.json"
        assert record["seed"] == 1 and record["tagger"] == "tests.aro_fixture.stub_tagger"
        assert set(record) >= {"spacy", "en_core_web_sm", "nltk", "numpy", "cases_sha256", "source_sha256"}
        assert manifest["counts"]["caption_token_sequences"] < manifest["counts"]["captions"]  # token-identical options met
    # the raw caption "A man, riding." meets "a man , riding" among its options: one token sequence, a tie, right
    coco_cases = json.loads((data / "aro" / "coco-order" / "coco_order_test.json").read_text())
    spaced = next(i for i, c in enumerate(coco_cases) if c["caption_options"][0] == "a man, riding")
    assert "a man , riding" in coco_cases[spaced]["caption_options"]
    assert stored("aro/coco-order")["precision_at_1"].per_query[str(spaced)] == 1.0
    assert count(schema.Run) == 4 and "coco-order" in invoke("results", "--benchmark", "aro").output


def test_options_that_differ_only_in_spacing_tie_and_count_right(tmp_path, monkeypatch, tiny_clip):
    """Issue: captions deduplicated by string and encoded in differently padded batches moved in the last
    bits, so "man ," vs "man," was a coin flip; one token sequence, one embedding, one score makes it a tie."""
    import dataclasses

    from benchmarks.registry import all_tasks

    nouns = ["man", "dog", "cat", "bus", "kite", "cake", "road", "bike", "boat", "tree", "sign", "cup"]
    cases = []
    for i, noun in enumerate(nouns):
        tail = " on a red road" * (i % 4)  # lengths differ, so the two spellings land in different batches
        cases.append(
            {"image": f"val2014/COCO_val2014_{i:012d}.jpg", "caption_options": [f"a {noun}, riding{tail}", f"a {noun} , riding{tail}"]}
        )
    write_order_cases(tmp_path / "data", "coco-order", cases)
    monkeypatch.setitem(
        all_tasks(),
        "aro/coco-order",
        dataclasses.replace(all_tasks()["aro/coco-order"], expected_counts={"items": len(cases), "images": len(cases)}),
    )
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip, batch_size=5)
    result = invoke("run", str(config), "--tasks", "aro/coco-order")
    assert result.exit_code == 0, result.output
    scores = stored("aro/coco-order")
    assert scores["precision_at_1"].per_query == {str(i): 1.0 for i in range(len(cases))}
    assert scores["precision_at_1"].value == 1.0 and scores["text_acc"].value == 1.0
    manifest = manifest_of("aro/coco-order")
    assert manifest["counts"]["captions"] == 2 * len(cases) and manifest["counts"]["caption_token_sequences"] == len(cases)
    assert manifest["order_options"]["record"] is None and "unknown" in manifest["order_options"]["note"]  # no provenance file


def test_aro_fp16_variant_is_stored_beside_the_float32_scores(tmp_path, monkeypatch, tiny_clip):
    """aro_fp16: the float32 scores stay the run's main scores; ARO's arithmetic is the variant "fp16-aro".

    No GPU here: the device rule is lifted and CPU half-precision kernels stand in for CUDA's, so this
    checks the path (float16 towers, numpy float16 normalisation and products, storage), not CUDA's bits.
    """
    import runners.clip
    from runners.run_image_text import ARO_FP16_VARIANT

    data = tmp_path / "data"
    write_all_aro(data, monkeypatch)
    plain = clip_config_yaml(tmp_path / "plain.yaml", tiny_clip, name="tiny-clip")
    assert invoke("run", str(plain), "--tasks", "aro/vg-relation,aro/coco-order").exit_code == 0
    baseline = {task: {m: s.value for m, s in stored(task).items()} for task in ("aro/vg-relation", "aro/coco-order")}

    monkeypatch.setattr(runners.clip, "aro_fp16_supported", lambda device: True)
    fp16 = clip_config_yaml(tmp_path / "fp16.yaml", tiny_clip, name="tiny-clip-fp16", extra="aro_fp16: true\n")
    result = invoke("run", str(fp16), "--tasks", "aro/vg-relation,aro/coco-order")
    assert result.exit_code == 0, result.output
    for task, float32 in baseline.items():
        assert {m: s.value for m, s in stored(task).items()} == float32  # the main cell is the float32 one
        variant = stored(task, ARO_FP16_VARIANT)
        assert set(variant) == set(float32) and all(0.0 <= s.value <= 1.0 for s in variant.values())
        manifest = manifest_of(task)
        assert list(manifest["variants"]) == [ARO_FP16_VARIANT]
        assert "numpy float16" in manifest["model"]["aro_fp16"]["normalisation"] and manifest["dtype"] == "float32"
    # the item whose captions are one string ties in float16 too: wrong under ARO's VG rule
    same = next(i for i, r in enumerate(VG_RELATION_RECORDS) if r["true_caption"] == r["false_caption"])
    assert stored("aro/vg-relation", ARO_FP16_VARIANT)["macro_accuracy"].per_query[str(same)] == 0.0
    body = json.loads(invoke("export", "--format", "json").output)
    assert {r["variant"] for r in body if r["model"] == "tiny-clip-fp16"} == {"", ARO_FP16_VARIANT}
    from web import create_app

    client = create_app().test_client()
    run_id = next(r["run_id"] for r in body if r["model"] == "tiny-clip-fp16" and r["task"] == "aro/coco-order")
    assert ARO_FP16_VARIANT in client.get(f"/runs/{run_id}").get_data(as_text=True)  # the run page shows the variant
    assert 'id="plot-dims"' not in client.get("/benchmarks/aro").get_data(as_text=True)  # not a Matryoshka size


def test_aro_fp16_without_a_gpu_is_one_line_and_writes_nothing(tmp_path, monkeypatch, tiny_clip):
    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    write_vg_relation(tmp_path / "data")
    config = clip_config_yaml(tmp_path / "fp16.yaml", tiny_clip, extra="aro_fp16: true\n")
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "aro_fp16 needs a CUDA GPU" in errors[0] and "device cpu" in errors[0]
    assert count(schema.Run) == 0


def test_stale_order_provenance_is_one_line(tmp_path, monkeypatch, tiny_clip):
    data = tmp_path / "data"
    write_all_aro(data, monkeypatch)
    path = data / "aro" / "coco-order" / "coco_order_test.json"
    cases = json.loads(path.read_text())
    cases[0]["caption_options"][1] = "a hand edited option"
    path.write_text(json.dumps(cases))
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    result = invoke("run", str(config), "--tasks", "aro/coco-order")
    assert result.exit_code == 1
    assert "coco_order_test.provenance.json describes another coco_order_test.json" in result.output
    assert "rerun python -m benchmarks.aro.perturb aro/coco-order" in result.output
    assert count(schema.Run) == 0


def test_reproduce_grades_aro_against_both_published_sources_with_its_tolerance(tmp_path, monkeypatch, tiny_clip):
    """Two reported sources for one metric, each graded with the ARO rule; the grades record the rule."""
    data = tmp_path / "data"
    write_all_aro(data, monkeypatch)
    probe = clip_config_yaml(tmp_path / "probe.yaml", tiny_clip, name="tiny-probe")
    assert invoke("run", str(probe), "--tasks", "aro/coco-order").exit_code == 0
    local = stored("aro/coco-order")["precision_at_1"].value
    reported = (
        "reported:\n"
        f"  - {{task: aro/coco-order, metric: precision_at_1, value: {round(local - 0.01, 2)}, source: 'paper (2 decimals)'}}\n"
        f"  - {{task: aro/coco-order, metric: precision_at_1, value: {round(local + 0.004, 3)}, source: 'official code rerun'}}\n"
    )
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip, extra=reported)
    result = invoke("reproduce", str(config), "--tasks", "aro/coco-order", "--report", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("aro/coco-order") and "precision_at_1" in line]
    assert len(rows) == 2 and all("(aro-order-published)" in row and row.rstrip().endswith("OKish") for row in rows)
    with session_factory(make_engine())() as session:
        grades = list(session.scalars(select(schema.Grade).order_by(schema.Grade.id)))
    assert [(g.against, g.source, g.grade, g.tolerance, g.tolerance_rule) for g in grades] == [
        ("reported", "paper (2 decimals)", "OKish", 0.02, "aro-order-published"),
        ("reported", "official code rerun", "OKish", 0.02, "aro-order-published"),
    ]
    assert all("spaCy" in g.tolerance_reason for g in grades)
    report = (tmp_path / "r.html").read_text()
    assert "aro-order-published" in report and "ARO pins none of" in report


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
    write_all_aro(data, monkeypatch)
    annotation = data / "aro" / "vg-relation" / "visual_genome_relation.json"
    config = clip_config_yaml(tmp_path / "tiny-clip.yaml", tiny_clip)
    (data / "aro" / "vg" / "images" / "2410050.jpg").write_bytes(b"not a jpeg")
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "cannot read image" in result.output and "2410050.jpg" in result.output
    (data / "aro" / "vg" / "images" / "2410051.jpg").unlink()
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "1 of 3 images" in result.output and "2410051.jpg" in result.output

    items = json.loads(annotation.read_text())
    del items[2]["true_caption"]
    annotation.write_text(json.dumps(items))
    result = invoke("run", str(config), "--tasks", "aro/vg-relation")
    assert result.exit_code == 1 and "item 2: field 'true_caption' is missing" in result.output
    assert count(schema.Run) == 0


def test_data_list_shows_aro_tasks(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_all_aro(data, monkeypatch)
    (data / "aro" / "flickr30k-order" / "flickr30k_order_test.json").unlink()
    output = invoke("data", "list", "--all").output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("aro/")}
    assert set(lines) == {"aro/vg-relation", "aro/vg-attribution", "aro/coco-order", "aro/flickr30k-order"}
    assert "verified" in lines["aro/vg-relation"] and f"{len(VG_RELATION_RECORDS)} items" in lines["aro/vg-relation"]
    assert (
        "verified" in lines["aro/coco-order"] and f"{sum(len(e['caption']) for e in COCO_KARPATHY_TEST)} items" in lines["aro/coco-order"]
    )
    assert "missing" in lines["aro/flickr30k-order"] and "benchmarks.aro.perturb" in lines["aro/flickr30k-order"]


def test_freeze_fixture_is_the_release_karpathy_format(tmp_path):
    """The Karpathy file the order fixture starts from is as BLIP hosts it: image paths and raw caption lists."""
    data = tmp_path / "data"
    freeze_order(data, "coco-order", COCO_KARPATHY_TEST)
    karpathy = json.loads((data / "aro" / "coco-order" / "coco_karpathy_test.json").read_text())
    assert all(set(entry) == {"image", "caption"} and entry["image"].startswith("val2014/COCO_val2014_") for entry in karpathy)
    raw = [c for entry in karpathy for c in entry["caption"]]
    assert any(c.endswith(". ") for c in raw) and any("'s" in c for c in raw) and any("-" in c for c in raw) and any("," in c for c in raw)
