"""Bad model configs and bad weights stop `leaderboard run` with one `error:` line and write nothing."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model


def run_config(tmp_path, text: str, task_id: str):
    path = tmp_path / "model.yaml"
    path.write_text(text)
    return CliRunner().invoke(main, ["run", str(path), "--tasks", task_id], catch_exceptions=False), path


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    with session_factory(make_engine())() as session:
        assert session.scalar(select(func.count()).select_from(schema.Run)) == 0
        assert session.scalar(select(func.count()).select_from(schema.Model)) == 0
    return errors[0]


def test_hash_mismatch_names_the_file_and_both_hashes(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "weights")
    actual = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    wrong = "f" * 64
    text = f"name: pinned\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}, sha256: {{model.safetensors: '{wrong}'}}}}\n"
    result, _ = run_config(tmp_path, text, tiny_task.id)
    assert_one_line_error(result, "pinned", f"model.safetensors in {folder} has", actual, wrong)  # the file, relative to the folder


def test_missing_weights_file_is_named(tiny_task, tmp_path):
    folder = make_tiny_st_model(tmp_path / "weights")
    text = f"name: pinned\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}, sha256: {{pytorch_model.bin: '{'a' * 64}'}}}}\n"
    result, _ = run_config(tmp_path, text, tiny_task.id)
    assert_one_line_error(result, "pytorch_model.bin", "missing", str(folder))


def test_splade_hash_mismatch_too(tiny_task, tmp_path):
    from tests.unit.test_splade import make_tiny_mlm

    folder = make_tiny_mlm(tmp_path / "mlm")
    text = f"name: sp\nfamily: [sparse]\nbackend: splade\nweights: {{path: {folder}, sha256: {{model.safetensors: '{'0' * 64}'}}}}\n"
    result, _ = run_config(tmp_path, text, tiny_task.id)
    assert_one_line_error(result, "model.safetensors", "0" * 64)


def test_unknown_backend(tiny_task, tmp_path):
    result, path = run_config(tmp_path, "name: x\nfamily: [dense]\nbackend: colbert\nweights: {path: /tmp}\n", tiny_task.id)
    assert_one_line_error(result, str(path), "backend: Input should be 'bm25', 'dense', 'splade', 'clip' or 'fusion'")


def test_unknown_config_key(tiny_task, tmp_path):
    result, path = run_config(tmp_path, "name: x\nfamily: [dense]\nbackend: dense\nweights: {path: /tmp}\npoolng: mean\n", tiny_task.id)
    assert_one_line_error(result, str(path), "poolng: unknown key")


def test_unknown_key_inside_a_section(tiny_task, tmp_path):
    result, _ = run_config(tmp_path, "name: x\nfamily: [dense]\nbackend: dense\nweights: {path: /tmp, sha: abc}\n", tiny_task.id)
    assert_one_line_error(result, "weights.sha: unknown key")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("batch_size: many\n", "batch_size: Input should be a valid integer"),
        ("normalize: sometimes\n", "normalize: Input should be a valid boolean"),
        ("family: dense\n", "family: Input should be a valid list"),
        ("max_length: [512]\n", "max_length: Input should be a valid integer"),
    ],
)
def test_wrong_type(tiny_task, tmp_path, line, fragment):
    base = {"family": "family: [dense]\n"}
    text = "name: x\nbackend: dense\nweights: {path: /tmp}\n" + (line if line.startswith("family") else base["family"] + line)
    result, path = run_config(tmp_path, text, tiny_task.id)
    assert_one_line_error(result, str(path), fragment)
