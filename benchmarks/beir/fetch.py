"""Download, verify (md5, as BEIR publishes) and unpack an official BEIR zip into the data dir.

The zip is streamed to a temporary file beside the target, its md5 checked before anything is
unpacked, then extracted into a temporary folder and moved into place, so an interrupted or
corrupt download never leaves a half-written dataset behind.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from benchmarks.beir.catalog_types import BeirDataset
from common.errors import UserError


def _download(url: str, target: Path, progress: bool) -> str:
    """Stream ``url`` to ``target``; returns the md5 of the bytes received."""
    from tqdm.auto import tqdm

    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=f"downloading {Path(url).name}", disable=not progress, leave=False
            ) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise UserError(f"cannot download {url} ({reason}); check the network, or put the files in place by hand") from err
    return digest.hexdigest()


def fetch_beir(entry: BeirDataset, beir_root: Path, *, url: str | None = None, progress: bool = True) -> Path:
    """Fetch ``entry`` into ``beir_root`` (``<data_dir>/beir``); returns the dataset folder."""
    url = url or entry.url
    beir_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=beir_root, prefix=".fetch-") as scratch:
        archive = Path(scratch) / entry.zip_name
        md5 = _download(url, archive, progress)
        if entry.md5 and md5 != entry.md5:
            raise UserError(
                f"{url}: md5 {md5} does not match BEIR's published {entry.md5} for {entry.zip_name}; "
                "the download is corrupt or not the official file, nothing was unpacked"
            )
        unpacked = Path(scratch) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise UserError(f"{url}: unsafe path {member!r} inside the zip; refusing to unpack")
                zipped.extractall(unpacked)
        except zipfile.BadZipFile as err:
            raise UserError(f"{url}: not a valid zip ({err})") from err
        top = entry.zip_name.removesuffix(".zip")
        source = unpacked / top
        if not source.is_dir():
            raise UserError(f"{url}: the zip has no top-level folder {top!r}; is this the right file?")
        destination = beir_root / top
        if destination.exists():
            shutil.rmtree(destination)
        shutil.move(str(source), destination)
    return beir_root / (entry.subdir or entry.name)
