"""Read a BEIR-format dataset folder.

Layout (as in the official BEIR zips)::

    <data_dir>/beir/<name>/corpus.jsonl      (or corpus.jsonl.gz)
    <data_dir>/beir/<name>/queries.jsonl     (or queries.jsonl.gz)
    <data_dir>/beir/<name>/qrels/<split>.tsv

Tolerances, because the official files have them: CRLF line endings, a header row in the
qrels (``query-id corpus-id score``), gzipped or plain JSONL.  Anything else that is wrong
(a line that is not JSON, a doc without ``_id``, a qrels row that is not ``qid docid int``)
is a :class:`~common.errors.UserError` naming the file and line.

Why hand-written rather than ``beir.datasets.data_loader.GenericDataLoader``: that loader
does not read ``.gz``, raises bare ``KeyError``/``ValueError`` on corrupt lines, and cannot
give the content hash we record in every run manifest.  The semantics are the same:
queries are restricted to those that have qrels in the split, and qrels keep score 0 rows.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.metrics.retrieval import count_not_relevant
from common.errors import UserError


@dataclass
class BeirData:
    """One split of a BEIR dataset, in memory."""

    corpus: dict[str, dict[str, str]]  # doc id -> {"title": ..., "text": ...}
    queries: dict[str, str]  # query id -> text (only queries judged in this split)
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> relevance
    sha256: str  # hash over the decompressed content of the three files
    files: dict[str, str]  # role -> path read


def find_file(folder: Path, stem: str) -> Path | None:
    """``stem`` or ``stem.gz`` inside ``folder``; plain wins when both exist."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def required_files(folder: Path, split: str) -> dict[str, Path | None]:
    """The three files a split needs, or ``None`` where one is missing."""
    qrels = folder / "qrels" / f"{split}.tsv"
    return {
        "corpus": find_file(folder, "corpus.jsonl"),
        "queries": find_file(folder, "queries.jsonl"),
        "qrels": qrels if qrels.is_file() else None,
    }


def _lines(path: Path, digest: hashlib._Hash) -> Iterator[tuple[int, str]]:
    """Numbered text lines of a plain or gzipped file; CR stripped; content fed to ``digest``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as raw:
            for number, line in enumerate(io.BufferedReader(raw), start=1):  # type: ignore[arg-type]
                digest.update(line)
                yield number, line.decode("utf-8").rstrip("\r\n")
    except (OSError, EOFError, zlib.error) as err:  # a damaged gzip raises any of these (BadGzipFile is an OSError)
        raise UserError(f"{path}: cannot be read ({type(err).__name__}: {err}); replace the file (leaderboard data fetch)") from err
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text ({err.reason}); replace the file") from err


def _json_records(path: Path, digest: hashlib._Hash) -> Iterator[tuple[int, dict]]:
    for number, line in _lines(path, digest):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{path} line {number}: not valid JSON ({err.msg}); the file is corrupt, replace it") from err
        if not isinstance(record, dict) or "_id" not in record:
            raise UserError(f'{path} line {number}: a record needs an "_id" field; the file is corrupt')
        yield number, record


def load_corpus(path: Path, digest: hashlib._Hash) -> dict[str, dict[str, str]]:
    """Doc id -> {title, text}; missing title is ''. Duplicate ids are an error."""
    corpus: dict[str, dict[str, str]] = {}
    for number, record in _json_records(path, digest):
        doc_id = str(record["_id"])
        if doc_id in corpus:
            raise UserError(f"{path} line {number}: duplicate document id {doc_id!r}; the file is corrupt")
        text = record.get("text")
        if text is None:
            raise UserError(f'{path} line {number}: document {doc_id!r} has no "text" field')
        corpus[doc_id] = {"title": str(record.get("title") or ""), "text": str(text)}
    return corpus


def load_queries(path: Path, digest: hashlib._Hash) -> dict[str, str]:
    """Query id -> text."""
    queries: dict[str, str] = {}
    for number, record in _json_records(path, digest):
        if "text" not in record:
            raise UserError(f'{path} line {number}: query {record["_id"]!r} has no "text" field')
        queries[str(record["_id"])] = str(record["text"])
    return queries


def load_qrels(path: Path, digest: hashlib._Hash) -> dict[str, dict[str, int]]:
    """Query id -> doc id -> relevance, from BEIR's 3-column TSV (TREC 4-column also accepted).

    The first row is skipped when its score column is not an integer (BEIR's header).
    """
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path, digest):
        if not line.strip():
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) == 4:  # TREC: qid iter docid rel
            fields = [fields[0], fields[2], fields[3]]
        if len(fields) != 3:
            raise UserError(f"{path} line {number}: expected 'query-id<TAB>corpus-id<TAB>score', got {line[:60]!r}")
        query_id, doc_id, score = (field.strip() for field in fields)
        try:
            relevance = int(score)
        except ValueError as err:
            if number == 1:
                continue  # header row
            raise UserError(f"{path} line {number}: score {score!r} is not an integer") from err
        qrels.setdefault(query_id, {})[doc_id] = relevance
    return qrels


def load_split(folder: Path, split: str, task_id: str) -> BeirData:
    """Load corpus, the split's qrels and the queries they judge.

    Raises a one-line :class:`UserError` that names the missing files when the folder is
    incomplete, and names the query ids when qrels refer to queries that do not exist.
    """
    files = required_files(folder, split)
    missing = [role for role, path in files.items() if path is None]
    if missing:
        raise missing_dataset_error(task_id, folder, split, missing)
    digest = hashlib.sha256()
    corpus = load_corpus(files["corpus"], digest)  # type: ignore[arg-type]
    all_queries = load_queries(files["queries"], digest)  # type: ignore[arg-type]
    qrels = load_qrels(files["qrels"], digest)  # type: ignore[arg-type]
    for role, loaded, what in (("corpus", corpus, "documents"), ("queries", all_queries, "queries"), ("qrels", qrels, "judgements")):
        if not loaded:
            raise UserError(f"{files[role]}: holds no {what}; the file is empty or truncated, replace it")
    if count_not_relevant(qrels) == sum(len(docs) for docs in qrels.values()):
        raise UserError(f"{files['qrels']}: no judgement has a grade >= 1, so every score would be 0 whatever the model; replace the file")
    unknown = sorted(set(qrels) - set(all_queries))
    if unknown:
        raise UserError(
            f"{files['qrels']}: {len(unknown)} judged query ids are not in {files['queries']} "
            f"(first: {unknown[0]!r}); the files do not belong together"
        )
    queries = {qid: all_queries[qid] for qid in qrels}
    return BeirData(
        corpus=corpus,
        queries=queries,
        qrels=qrels,
        sha256=digest.hexdigest(),
        files={role: str(path) for role, path in files.items()},
    )


def missing_dataset_error(task_id: str, folder: Path, split: str, missing: list[str]) -> UserError:
    """The offline message: which files to put where, and the command that fetches them."""
    names = {"corpus": "corpus.jsonl (or .jsonl.gz)", "queries": "queries.jsonl", "qrels": f"qrels/{split}.tsv"}
    wanted = ", ".join(names[role] for role in missing)
    return UserError(
        f"{task_id}: dataset not found: put {wanted} in {folder}/ "
        f"(or set LEADERBOARD_DATA_DIR), or run 'leaderboard data fetch {task_id}' when online"
    )
