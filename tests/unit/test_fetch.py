"""``leaderboard data fetch`` against a local HTTP server on 127.0.0.1 serving a zip built here."""

import functools
import hashlib
import http.server
import io
import threading
import zipfile
from dataclasses import replace

import pytest
from click.testing import CliRunner

from benchmarks.beir.fetch import fetch_beir
from benchmarks.registry import all_tasks
from common.errors import UserError
from leaderboard.cli import main
from tests.conftest import TINY_DOCS, TINY_QRELS, TINY_QUERIES, write_beir


@pytest.fixture
def served_zip(tmp_path):
    """An official-layout zip (top folder ``tiny/``) served from 127.0.0.1; yields (url, md5)."""
    source = write_beir(tmp_path / "src" / "tiny", TINY_DOCS, TINY_QUERIES, TINY_QRELS, gz=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*")):
            archive.write(path, path.relative_to(source.parent).as_posix())
    payload = buffer.getvalue()
    root = tmp_path / "www"
    root.mkdir()
    (root / "tiny.zip").write_bytes(payload)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tiny.zip", hashlib.md5(payload).hexdigest()
    server.shutdown()


def test_fetch_downloads_verifies_and_unpacks(served_zip, tiny_task, tmp_path, monkeypatch):
    url, md5 = served_zip
    monkeypatch.setitem(all_tasks(), tiny_task.id, replace(tiny_task, info=replace(tiny_task.info, url=url, md5=md5, zip_name="tiny.zip")))
    monkeypatch.setenv("LEADERBOARD_DATA_DIR", str(tmp_path / "fresh"))
    result = CliRunner().invoke(main, ["data", "fetch", "beir/tiny"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    assert (tmp_path / "fresh" / "beir" / "tiny" / "qrels" / "test.tsv").is_file()


def test_wrong_md5_unpacks_nothing(served_zip, tiny_task, tmp_path):
    url, _md5 = served_zip
    entry = replace(tiny_task.info, url=url, md5="0" * 32, zip_name="tiny.zip")
    with pytest.raises(UserError, match=r"md5 .* does not match BEIR's published 0{32}"):
        fetch_beir(entry, tmp_path / "out" / "beir", progress=False)
    assert not (tmp_path / "out" / "beir" / "tiny").exists()
    assert not any(p.name.startswith(".fetch-") for p in (tmp_path / "out" / "beir").iterdir())


def test_unreachable_server_is_one_line(tiny_task, tmp_path):
    entry = replace(tiny_task.info, url="http://127.0.0.1:9/none.zip", zip_name="none.zip")
    with pytest.raises(UserError, match=r"cannot download http://127\.0\.0\.1:9/none\.zip"):
        fetch_beir(entry, tmp_path / "beir", progress=False)
