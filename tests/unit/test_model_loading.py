"""One loading prologue for every neural backend: one dtype rule, one max_length rule, one-line errors (runners/model_loading.py)."""

from __future__ import annotations

import pytest

from common.errors import UserError
from leaderboard.grading import Numerics
from runners.model_loading import FALLBACK_MAX_LENGTH, resolve_max_length
from submissions.schema import ModelConfig
from tests.tiny_models import make_tiny_st_model


def dense(folder, **overrides) -> ModelConfig:
    return ModelConfig(name="tiny", family=["dense"], backend="dense", weights={"path": str(folder)}, batch_size=2, **overrides)


def test_max_length_comes_from_the_config_then_the_files_then_the_model_then_512():
    assert resolve_max_length(64, files=256, model_limit=512) == (64, "config")
    assert resolve_max_length(None, files=256, model_limit=512) == (256, "sentence-transformers files")
    assert resolve_max_length(None, files=None, model_limit=512) == (512, "model files")
    assert resolve_max_length(None) == (FALLBACK_MAX_LENGTH, "default") == (512, "default")


def test_a_hard_context_caps_the_max_length_and_says_so():
    """CLIP's 77 text positions: a longer configured length runs at 77 (clip.tokenize's fixed context)."""
    assert resolve_max_length(None, model_limit=77, context=77) == (77, "model files")
    assert resolve_max_length(50, model_limit=77, context=77) == (50, "config")
    value, origin = resolve_max_length(300, model_limit=77, context=77)
    assert value == 77 and origin.startswith("config") and "77" in origin


def test_dense_and_splade_resolve_the_files_max_length_alike(tmp_path):
    """A sentence-transformers folder with max_seq_length: both backends take it, and name the same origin."""
    import json
    import shutil

    from runners.dense import DenseEncoder
    from runners.splade import SpladeRetriever
    from tests.unit.test_splade import make_tiny_mlm, splade_config

    st = make_tiny_st_model(tmp_path / "st", max_length=20)
    encoder = DenseEncoder(dense(st), st, "cpu")
    mlm = tmp_path / "mlm"
    shutil.copytree(make_tiny_mlm(tmp_path / "src"), mlm)
    (mlm / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 20}))
    splade = SpladeRetriever(splade_config(mlm))
    assert (encoder.settings.max_length, encoder.settings.origin["max_length"]) == (20, "sentence-transformers files")
    assert (splade.max_length, splade.max_length_origin) == (20, "sentence-transformers files")


def test_a_float16_config_on_cpu_is_recorded_as_the_float32_it_ran_in(tiny_task, tmp_path, monkeypatch, caplog):
    """The manifest (and so the grading's tolerance) says what ran, not what the config asked for."""
    from runners.execute import run_model_on_task

    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    config = dense(make_tiny_st_model(tmp_path / "m"), dtype="float16")
    outcome = run_model_on_task(config, tiny_task)
    assert "using float32" in caplog.text
    assert outcome.manifest["dtype"] == "float32" and outcome.manifest["model"]["dtype"] == "float32"
    assert Numerics.of_run(config, outcome.manifest).dtype == "float32"


def test_splade_manifest_records_the_dtype_it_ran_in(tmp_path, monkeypatch):
    from runners.splade import SpladeRetriever
    from tests.unit.test_splade import make_tiny_mlm, splade_config

    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    assert SpladeRetriever(splade_config(make_tiny_mlm(tmp_path / "mlm"), dtype="bfloat16")).describe()["dtype"] == "float32"


def test_half_precision_is_for_cuda_only_on_every_device_but_cuda(tmp_path, monkeypatch):
    """One rule for all three backends: not only 'cpu' falls back (an MPS or other device does too)."""
    import torch

    from runners.model_loading import torch_dtype

    for device in ("cpu", "mps", "xpu:0"):
        assert torch_dtype(dense("/x", dtype="float16"), device) == torch.float32
    assert torch_dtype(dense("/x", dtype="float16"), "cuda:0") == torch.float16
    assert torch_dtype(dense("/x", dtype="bfloat16"), "cuda") == torch.bfloat16


@pytest.mark.parametrize("backend", ["dense", "splade", "clip"])
def test_weights_that_will_not_load_are_one_line_naming_the_weights_by_their_source(tmp_path, monkeypatch, backend):
    """A package folder with garbage weights: the message says package:<spec>, never the server path."""
    site = tmp_path / "site"
    folder = site / "junk_weights_pkg" / "model"
    folder.mkdir(parents=True)
    (site / "junk_weights_pkg" / "__init__.py").write_text("")
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"\x00not safetensors")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("LEADERBOARD_DEVICE", "cpu")
    family = {"dense": "dense", "splade": "sparse", "clip": "contrastive"}[backend]
    config = ModelConfig(name="junk", family=[family], backend=backend, weights={"package": "junk_weights_pkg/model"})
    from runners.session import ModelSession

    session = ModelSession(config)
    with pytest.raises(UserError) as err:
        _ = session.image_text_scorer if backend == "clip" else session.retriever
    message = str(err.value)
    assert message.startswith("model junk: cannot load ") and "package:junk_weights_pkg/model" in message
    assert str(site) not in message and "\n" not in message
