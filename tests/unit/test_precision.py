"""Precision variants: ``precisions: [bf16, int8]`` beside the fp32 main cell, each from its own encoding pass."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from common.errors import UserError
from common.variants import Variant, parse_variant, variant_dim, variant_name, variant_order, variant_precision
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from runners import precision as precision_module
from runners.dense import DenseEncoder
from runners.execute import run_model_on_task
from runners.precision import Machine, check_precisions, refusal
from submissions.schema import ConfigError, ModelConfig, parse_config
from tests.tiny_models import make_tiny_st_model

THIS_CPU = Machine("cpu", frozenset({"avx2", "avx512_vnni", "avx512_bf16"}), "AVX512", ("x86", "fbgemm"))
OLD_CPU = Machine("cpu", frozenset({"avx2"}), "AVX2", ("x86", "fbgemm"))


def dense_config(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny-prec", family=["dense"], backend="dense", weights={"path": str(folder)}, batch_size=2, **overrides)


@pytest.fixture
def can_run_all(monkeypatch):
    """This test's machine offers bf16 and int8 on CPU, whatever the CI runner's CPU is."""
    monkeypatch.setattr(precision_module, "probe", lambda device: THIS_CPU)


@pytest.fixture
def passes(monkeypatch):
    """(texts, precision) of every DenseEncoder encoding pass."""
    calls: list[tuple[int, str | None]] = []
    original = DenseEncoder.encode_counted

    def counted(self, texts, prompt="", desc="encoding"):
        calls.append((len(texts), self.precision))
        return original(self, texts, prompt, desc)

    monkeypatch.setattr(DenseEncoder, "encode_counted", counted)
    return calls


# ------------------------------------------------------------------ names and the config
def test_one_module_names_and_parses_sizes_precisions_and_their_combination():
    assert variant_name(precision="int8") == "int8" and variant_name(128, precision="int8") == "int8,dim=128"
    assert parse_variant("int8,dim=128") == Variant("int8", 128) and parse_variant("bf16") == Variant("bf16")
    assert parse_variant("dim=64") == Variant(None, 64) and parse_variant("") == Variant()
    assert parse_variant("fp16-aro") is None and parse_variant("int4") is None and parse_variant("dim=64,int8") is None
    assert parse_variant("int8,dim=0") is None and parse_variant("int8,bf16") is None
    assert variant_dim("int8,dim=64") is None and variant_dim("dim=64") == 64  # the dims plot's fp32 line only
    assert variant_precision("int8,dim=64") == "int8" and variant_precision("dim=64") is None
    ordered = sorted(["int8,dim=64", "fp16-aro", "dim=64", "int8", "", "bf16", "dim=128"], key=variant_order)
    assert ordered == ["", "dim=128", "dim=64", "bf16", "int8", "int8,dim=64", "fp16-aro"]
    with pytest.raises(ValueError):
        variant_name(64, precision="int4")


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("precisions: [int4]\n", "precisions: unknown precision 'int4'; known: bf16, fp16, int8"),
        ("precisions: [int8, int8]\n", "int8 listed more than once"),
        ("precisions: [fp32]\n", "fp32 is the run as configured"),
        ("precisions: []\n", "precisions: List should have at least 1 item"),
        ("precisions: [bf16, int8]\ndtype: float16\n", "precisions need dtype: float32"),
    ],
)
def test_bad_precision_lists_are_one_line_config_errors(tmp_path, extra, fragment):
    text = f"name: p\nfamily: [dense]\nbackend: dense\nweights: {{path: {tmp_path}}}\n{extra}"
    with pytest.raises(ConfigError) as err:
        parse_config(text, "p.yaml")
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_precisions_are_for_the_dense_backend():
    with pytest.raises(ValueError, match=r"precisions .* apply to backend dense only"):
        ModelConfig(
            name="b",
            family=["sparse"],
            backend="bm25",
            bm25={"engine": "bm25s", "k1": 0.9, "b": 0.4, "fields": "flat"},
            precisions=["int8"],
        )
    assert dense_config("/tmp", precisions=["bf16", "int8", "fp16"]).precisions == ["bf16", "int8", "fp16"]


# ------------------------------------------------------------------ what the machine can run
@pytest.mark.parametrize(
    ("precision", "machine", "named"),
    [
        ("bf16", OLD_CPU, "avx512_bf16"),
        ("fp16", THIS_CPU, "CUDA only"),
        ("int8", Machine("cuda:0", cuda_bf16=True), "runs on CPU only"),
        ("int8", Machine("cpu", frozenset(), "DEFAULT", ("qnnpack",)), "lacks avx2"),
        ("bf16", Machine("cuda:0", cuda_bf16=False), "compute capability 8.0"),
        ("bf16", Machine("mps"), "not on mps"),
    ],
)
def test_a_precision_the_machine_cannot_run_names_the_missing_feature_or_device(precision, machine, named):
    assert named in (refusal(precision, machine) or "")
    with pytest.raises(UserError) as err:
        check_precisions("m", [precision], machine.device, machine)
    assert str(err.value).startswith(f"model m: precisions: cannot run {precision} here: ") and "\n" not in str(err.value)


def test_what_a_machine_can_run_is_not_refused():
    for precision in ("bf16", "int8"):
        assert refusal(precision, THIS_CPU) is None
    for precision in ("bf16", "fp16"):
        assert refusal(precision, Machine("cuda:0", cuda_bf16=True)) is None


def test_the_cli_refuses_an_unrunnable_precision_before_anything_runs(tiny_task, tmp_path, monkeypatch, passes):
    monkeypatch.setattr(precision_module, "probe", lambda device: OLD_CPU)
    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "p.yaml"
    config.write_text(f"name: tiny-prec\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nprecisions: [int8, bf16]\n")
    result = CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id])
    assert result.exit_code == 1
    assert "error: model tiny-prec: precisions: cannot run bf16 here: bf16 on CPU needs AVX512-BF16 or AMX" in result.output
    assert passes == []  # nothing was encoded
    with session_factory(make_engine())() as session:
        assert session.scalars(select(schema.Run)).all() == []


# ------------------------------------------------------------------ runs
def test_each_precision_is_its_own_pass_and_the_fp32_main_cell_is_unchanged(tiny_task, tmp_path, can_run_all, passes):
    folder = make_tiny_st_model(tmp_path / "m", normalize=True)
    plain = run_model_on_task(dense_config(folder, dims=[8]), tiny_task)
    assert passes == [(5, None), (3, None)]
    passes.clear()
    outcome = run_model_on_task(dense_config(folder, dims=[8], precisions=["int8", "bf16"]), tiny_task)
    # the fp32 pass came from the cache (same key as before); int8 and bf16 each encoded corpus and queries
    assert passes == [(5, "int8"), (3, "int8"), (5, "bf16"), (3, "bf16")]
    assert list(outcome.variant_scores) == ["dim=8", "int8", "int8,dim=8", "bf16", "bf16,dim=8"]
    for metric, result in plain.scores.items():  # the main cell is the fp32 run, bit for bit
        assert outcome.scores[metric].value == result.value and outcome.scores[metric].per_query == result.per_query
    assert outcome.variant_scores["dim=8"]["ndcg_at_10"].value == plain.variant_scores["dim=8"]["ndcg_at_10"].value
    assert outcome.manifest["dtype"] == "float32"


def test_the_cache_key_includes_the_precision(tiny_task, tmp_path, can_run_all, passes):
    from common.settings import cache_dir

    folder = make_tiny_st_model(tmp_path / "m")
    config = dense_config(folder, precisions=["int8"])
    run_model_on_task(config, tiny_task)
    keys = {path.name for path in (cache_dir() / "embeddings").iterdir()}
    assert len(keys) == 2  # fp32 and int8 (no prompts: queries and documents share a key)
    passes.clear()
    warm = run_model_on_task(config, tiny_task)
    assert passes == []  # a rerun reads each precision's own rows
    assert warm.manifest["precision_variants"]["int8"]["measured"] == "all cached"
    assert warm.manifest["precision_variants"]["int8"]["docs_per_s"] is None  # no throughput claimed for cache reads


def test_int8_and_bf16_embeddings_really_are_other_arithmetic(tmp_path, can_run_all):
    import torch

    from runners.dense import load_sentence_encoder

    encoder = load_sentence_encoder(dense_config(make_tiny_st_model(tmp_path / "m")))
    texts = ["the cell divides", "sleep helps memory", "proteins fold"]
    fp32 = encoder.encode(texts)
    int8, bf16 = encoder.at_precision("int8"), encoder.at_precision("bf16")
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in int8.encoder.model.modules())
    assert next(bf16.encoder.model.parameters()).dtype == torch.bfloat16
    assert next(encoder.encoder.model.parameters()).dtype == torch.float32  # the fp32 model is untouched
    for variant in (int8, bf16):
        values = variant.encode(texts)
        assert values.dtype == np.float32 and values.shape == fp32.shape
        assert not np.array_equal(values, fp32) and np.allclose(values, fp32, atol=0.1)
    assert np.array_equal(encoder.encode(texts), fp32)


def test_the_manifest_records_each_variant_numerics_throughput_and_its_own_peak_memory(tiny_task, tmp_path, can_run_all):
    outcome = run_model_on_task(dense_config(make_tiny_st_model(tmp_path / "m"), dims=[8], precisions=["int8", "bf16"]), tiny_task)
    records = outcome.manifest["precision_variants"]
    assert list(records) == ["int8", "bf16"]
    assert records["int8"]["numerics"]["dtype"] == "int8" and records["int8"]["numerics"]["vnni"] == ["avx512_vnni"]
    assert records["bf16"]["numerics"]["dtype"] == "bfloat16" and records["bf16"]["numerics"]["cpu_bf16"] == ["avx512_bf16"]
    for record in records.values():
        assert record["measured"] == "cold pass" and record["encoding_passes"] == 1 and record["matryoshka_dims"] == [8]
        assert record["docs_per_s"] > 0 and record["tokens_per_s"] > 0 and record["tokens"] <= record["padded_tokens"]
        assert record["peak_rss_mb"] >= record["start_rss_mb"] > 0
    main_pass = outcome.manifest["model"]["encode_pass"]  # the fp32 pass measured the same way
    assert main_pass["texts"] == 5 and main_pass["docs_per_s"] > 0


def test_sentence_tasks_get_the_same_variants(tmp_path, can_run_all, passes, monkeypatch):
    from benchmarks.registry import all_tasks
    from tests.unit.test_sts import SEMEVAL, sts_task, write_semeval

    write_semeval(tmp_path / "data" / SEMEVAL.folder)
    task = sts_task(SEMEVAL)
    monkeypatch.setitem(all_tasks(), task.id, task)
    outcome = run_model_on_task(dense_config(make_tiny_st_model(tmp_path / "m"), dims=[8], precisions=["int8"]), task)
    assert [precision for _, precision in passes] == [None, "int8"]
    assert list(outcome.variant_scores) == ["dim=8", "int8", "int8,dim=8"]
    assert outcome.manifest["precision_variants"]["int8"]["numerics"]["dtype"] == "int8"
    assert outcome.manifest["encode_pass"]["texts"] == passes[0][0]


def test_variants_are_stored_beside_the_main_cell_and_never_replace_it(tiny_task, tmp_path, can_run_all):
    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "p.yaml"
    config.write_text(f"name: tiny-prec\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nprecisions: [int8]\n")
    result = CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with session_factory(make_engine())() as session:
        scores = session.scalars(select(schema.Score).where(schema.Score.metric == "ndcg_at_10")).all()
        current = session.scalars(select(schema.CurrentResult)).all()
    assert {score.variant for score in scores} == {"", "int8"} and len(current) == 1


# ------------------------------------------------------------------ measuring a pass
def test_peak_memory_is_the_pass_own_not_the_process_high_water_mark():
    """ru_maxrss never goes down; a pass after a big one must still report its own, lower peak."""
    import time

    from runners.pass_meter import PassMeter

    with PassMeter(interval_s=0.002) as big:
        block = np.ones(160 * 2**20 // 8)  # 160 MiB, touched
        time.sleep(0.05)
        del block
    with PassMeter(interval_s=0.002) as small:
        time.sleep(0.05)
    assert big.stats.peak_rss_mb - big.stats.start_rss_mb > 120
    assert small.stats.peak_rss_mb < big.stats.peak_rss_mb - 120


# ------------------------------------------------------------------ grading
def test_variants_are_graded_with_their_own_numerics():
    from leaderboard.grading import Numerics, tolerance_rule

    manifest = {"model": {"dtype": "float32"}, "precision_variants": {"int8": {"numerics": {"dtype": "int8"}}}}
    assert Numerics.of_variant({}, manifest, "int8").dtype == "int8"
    assert Numerics.of_variant({}, manifest, "bf16,dim=64").dtype == "bfloat16"  # no record: the precision's own dtype
    assert Numerics.of_variant({}, manifest, "dim=64").dtype == "float32"
    rule = tolerance_rule("ndcg_at_10", task="beir/scifact", against="board", numerics=Numerics.of_variant({}, manifest, "int8"))
    assert rule.rule == "int8-dynamic-quantisation" and rule.value == 0.002 and "8 bits" in rule.reason
    assert tolerance_rule("ndcg_at_10", numerics=Numerics.of_run({}, manifest)).rule == "default"  # the main cell stays fp32's


def test_reproduce_grades_each_precision_against_the_board_variant_and_stores_only_the_fp32_grades(tiny_task, tmp_path, can_run_all):
    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "p.yaml"
    config.write_text(f"name: tiny-prec\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nprecisions: [int8]\ndims: [8]\n")
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False).exit_code == 0
    result = runner.invoke(main, ["reproduce", str(config), "--tasks", tiny_task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("beir/tiny [int8]"))
    assert "int8-dynamic-quantisation" in line and line.rstrip().endswith("OK")
    assert not any(line.startswith("beir/tiny [int8,dim=8]") for line in result.output.splitlines())
    with session_factory(make_engine())() as session:
        grades = session.scalars(select(schema.Grade)).all()
    assert [(g.metric, g.against, g.tolerance_rule) for g in grades] == [("ndcg_at_10", "board", "default")]


# ------------------------------------------------------------------ the site
def test_the_model_page_shows_quality_vs_throughput_per_precision_and_the_plot_joins_variants_to_fp32(tiny_task, tmp_path, can_run_all):
    from leaderboard.views.board import board_table
    from leaderboard.views.precision import precision_points
    from leaderboard.views.snapshot import load_snapshot
    from web import create_app

    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "p.yaml"
    config.write_text(f"name: tiny-prec\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nprecisions: [int8, bf16]\n")
    assert CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False).exit_code == 0
    client = create_app().test_client()
    html = client.get("/models/tiny-prec").get_data(as_text=True)
    table = html.split('id="precision-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'data-task="beir/tiny" data-precision="([^"]+)"', table)
    assert rows == ["fp32", "bf16", "int8"]
    int8_row = table.split('data-precision="int8"', 1)[1].split("</tr>", 1)[0]
    assert ">int8<" in int8_row and " MB<" in int8_row and "cores)<" in int8_row  # computes in int8, its peak, the hardware
    with session_factory(make_engine())() as session:
        board = board_table(load_snapshot(session), "beir")
        points = precision_points(session, board)
    (model_id,) = points
    assert [p.precision for p in points[model_id]] == ["bf16", "int8"] and all(p.docs_per_s > 0 for p in points[model_id])
    assert client.get("/plots/throughput.png?benchmark=beir").status_code == 200


def test_a_model_without_precision_variants_has_no_precision_section(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "m")
    config = tmp_path / "p.yaml"
    config.write_text(f"name: tiny-plain\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\ndims: [8]\n")
    assert CliRunner().invoke(main, ["run", str(config), "--tasks", tiny_task.id], catch_exceptions=False).exit_code == 0
    from web import create_app

    assert 'id="precision-table"' not in create_app().test_client().get("/models/tiny-plain").get_data(as_text=True)
