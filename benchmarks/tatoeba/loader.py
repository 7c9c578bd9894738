"""Read one LASER Tatoeba pair: two files, line i of one is the translation of line i of the other.

Lines are kept as they are apart from the line end (MTEB's copy, mteb/tatoeba-bitext-mining,
even keeps the trailing newline: its character counts are ours plus one per line; encoders
strip it).  Both files must have the same number of lines, and no line may be empty.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.tatoeba.catalog import RAW_URL, file_names
from benchmarks.text_lines import read_text_lines
from common.errors import UserError


@dataclass
class TatoebaPair:
    language: str
    sentences: list[str]  # the other language: the queries of the search
    english: list[str]  # line i translates sentences[i]: the searched side
    sha256: str  # over both files' bytes, other language first
    files: dict[str, str] = field(default_factory=dict)


def pair_files(folder: Path, language: str) -> dict[str, Path]:
    other, english = file_names(language)
    return {language: folder / other, "eng": folder / english}


def missing_files(folder: Path, language: str) -> list[str]:
    return [path.name for path in pair_files(folder, language).values() if not path.is_file()]


def _lines(path: Path, digest: hashlib._Hash) -> list[str]:
    lines = read_text_lines(path, digest, fix="replace it with LASER's original file")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise UserError(f"{path} line {number}: empty sentence; the LASER release has none, replace the file")
    return lines


def load_pair(folder: Path, language: str, task_id: str) -> TatoebaPair:
    files = pair_files(folder, language)
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        urls = " and ".join(RAW_URL.format(name=name) for name in missing)
        raise UserError(
            f"{task_id}: dataset not found: put {', '.join(missing)} in {folder}/ (or set LEADERBOARD_DATA_DIR); download {urls}"
        )
    digest = hashlib.sha256()
    sentences = _lines(files[language], digest)
    english = _lines(files["eng"], digest)
    if len(sentences) != len(english):
        raise UserError(
            f"{files['eng']}: {len(english):,} lines but {files[language].name} has {len(sentences):,}; "
            "the two files of a pair must align line by line"
        )
    return TatoebaPair(language, sentences, english, digest.hexdigest(), {role: str(path) for role, path in files.items()})
