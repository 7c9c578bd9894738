"""Read the STS test sets in their original release formats.

Three layouts, read as their releases ship them:

- **SemEval 2012-2016**: per subset ``<prefix>.input.<subset>.txt`` (tab-separated; sentence 1
  and 2 are the first two fields, 2016 adds two source-note fields that are not model input) and
  ``<prefix>.gs.<subset>.txt`` (one gold score per line, 0-5).  A blank gold line means the pair
  was not scored (2015, 2016) and is skipped, as the official scorer and MTEB do.  The subsets are
  pooled into one list of pairs (MTEB evaluates each year as one dataset).
- **STS Benchmark**: ``sts-test.csv``, tab-separated, no header, *no quoting* (quotes are literal
  characters, so ``csv`` must not be used with its default dialect); fields 4, 5, 6 are score,
  sentence 1, sentence 2; some lines carry two extra source fields.
- **SICK**: ``SICK.txt``, tab-separated with a header row and CRLF endings; every row is a pair
  (TRAIN, TRIAL and TEST together, as MTEB's SICK-R does), relatedness in column 5.

Why hand-written: no maintained library reads these release files (MTEB and sentence-transformers
read re-packaged Hugging Face copies), and we need a content hash and one-line errors naming the
file and line.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.sts.catalog import STS_MAX_SCORE, STS_MIN_SCORE, StsDataset
from benchmarks.text_lines import read_text_lines
from common.errors import UserError


@dataclass(frozen=True)
class StsPair:
    id: str  # "<subset>:<line>" (SemEval), "sts-test:<line>" (STS-B), "<pair_ID>" (SICK)
    sentence1: str
    sentence2: str
    score: float  # gold, on the release's 0-5 scale


@dataclass
class StsData:
    pairs: list[StsPair]
    sha256: str  # over the bytes of every file read, in reading order
    files: dict[str, str] = field(default_factory=dict)  # role -> path
    subsets: dict[str, int] = field(default_factory=dict)  # subset -> scored pairs


def required_files(entry: StsDataset, folder: Path) -> dict[str, Path]:
    """Role -> path of every file the set needs."""
    if entry.layout == "semeval":
        files = {}
        for subset in entry.subsets:
            files[f"{subset} input"] = folder / f"{entry.prefix}.input.{subset}.txt"
            files[f"{subset} gold"] = folder / f"{entry.prefix}.gs.{subset}.txt"
        return files
    if entry.layout == "stsbenchmark":
        return {"test": folder / "sts-test.csv"}
    if entry.layout == "sick":
        return {"pairs": folder / "SICK.txt"}
    raise ValueError(f"unknown STS layout {entry.layout!r}")


def missing_files(entry: StsDataset, folder: Path) -> list[str]:
    return [path.name for path in required_files(entry, folder).values() if not path.is_file()]


def _read_lines(path: Path, digest: hashlib._Hash) -> list[str]:
    return read_text_lines(path, digest, fix="replace the file with the original release", strip_bom=True)


def _score(text: str, path: Path, number: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{path} line {number}: gold score {text!r} is not a number; replace the file with the original release") from None
    if not math.isfinite(value) or not STS_MIN_SCORE <= value <= STS_MAX_SCORE:
        raise UserError(f"{path} line {number}: gold score {value} is outside {STS_MIN_SCORE:g}-{STS_MAX_SCORE:g}; wrong file?")
    return value


def _sentences(fields: list[str], path: Path, number: int, first: int = 0) -> tuple[str, str]:
    if len(fields) < first + 2:
        raise UserError(f"{path} line {number}: expected two tab-separated sentences, found {len(fields) - first} field(s)")
    return fields[first], fields[first + 1]


def _load_semeval(entry: StsDataset, files: dict[str, Path], digest: hashlib._Hash) -> tuple[list[StsPair], dict[str, int]]:
    pairs: list[StsPair] = []
    subsets: dict[str, int] = {}
    for subset in entry.subsets:
        input_path, gold_path = files[f"{subset} input"], files[f"{subset} gold"]
        inputs = _read_lines(input_path, digest)
        golds = _read_lines(gold_path, digest)
        if len(inputs) != len(golds):
            raise UserError(
                f"{gold_path}: {len(golds):,} lines but {input_path.name} has {len(inputs):,}; "
                "gold and input files must have one line per pair (blank gold = unscored)"
            )
        before = len(pairs)
        for number, (line, gold) in enumerate(zip(inputs, golds, strict=True), start=1):
            if not gold.strip():
                continue  # a pair the organisers did not score
            sentence1, sentence2 = _sentences(line.split("\t"), input_path, number)
            pairs.append(StsPair(f"{subset}:{number}", sentence1, sentence2, _score(gold.strip(), gold_path, number)))
        subsets[subset] = len(pairs) - before
    return pairs, subsets


def _load_stsbenchmark(files: dict[str, Path], digest: hashlib._Hash) -> list[StsPair]:
    path = files["test"]
    pairs = []
    for number, line in enumerate(_read_lines(path, digest), start=1):
        fields = line.split("\t")
        if len(fields) < 7:
            raise UserError(f"{path} line {number}: expected at least 7 tab-separated fields (genre … score, sentence1, sentence2)")
        pairs.append(StsPair(f"sts-test:{number}", fields[5], fields[6], _score(fields[4].strip(), path, number)))
    return pairs


def _load_sick(files: dict[str, Path], digest: hashlib._Hash) -> tuple[list[StsPair], dict[str, int]]:
    path = files["pairs"]
    lines = _read_lines(path, digest)
    if not lines or not lines[0].startswith("pair_ID\t"):
        raise UserError(f"{path}: the first line must be SICK's header (pair_ID, sentence_A, …); is this SICK.txt?")
    header = lines[0].split("\t")
    try:
        score_col = header.index("relatedness_score")
        split_col = header.index("SemEval_set")
    except ValueError:
        raise UserError(f"{path}: header lacks relatedness_score or SemEval_set; is this the final SICK.txt release?") from None
    pairs = []
    splits: dict[str, int] = {}
    seen: set[str] = set()
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) < len(header):
            raise UserError(f"{path} line {number}: {len(fields)} fields, the header has {len(header)}")
        pair_id = fields[0]
        if pair_id in seen:
            raise UserError(f"{path} line {number}: duplicate pair_ID {pair_id!r}")
        seen.add(pair_id)
        pairs.append(StsPair(pair_id, fields[1], fields[2], _score(fields[score_col].strip(), path, number)))
        splits[fields[split_col]] = splits.get(fields[split_col], 0) + 1
    return pairs, splits


def load_sts(entry: StsDataset, folder: Path, task_id: str) -> StsData:
    """All gold-scored pairs of the set, pooled over its sub-files, in file order."""
    files = required_files(entry, folder)
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        raise UserError(
            f"{task_id}: dataset not found: put {', '.join(missing)} in {folder}/ (or set LEADERBOARD_DATA_DIR); "
            f"the original release is at {entry.source_url}"
        )
    digest = hashlib.sha256()
    subsets: dict[str, int] = {}
    if entry.layout == "semeval":
        pairs, subsets = _load_semeval(entry, files, digest)
    elif entry.layout == "stsbenchmark":
        pairs = _load_stsbenchmark(files, digest)
    else:
        pairs, subsets = _load_sick(files, digest)
    return StsData(pairs=pairs, sha256=digest.hexdigest(), files={role: str(path) for role, path in files.items()}, subsets=subsets)
