import gzip

import pytest

from benchmarks.beir.loader import load_split
from common.errors import UserError
from tests.conftest import TINY_DOCS, TINY_QRELS, TINY_QUERIES, write_beir


def test_reads_gzipped_corpus_crlf_qrels_with_header(tiny_beir):
    data = load_split(tiny_beir, "test", "beir/tiny")
    assert set(data.corpus) == set(TINY_DOCS)
    assert data.corpus["d1"] == {"title": "Vitamin D", "text": TINY_DOCS["d1"][1]}
    assert data.qrels == {"q1": {"d1": 1, "d4": 1}, "q2": {"q2": 1}, "q3": {"d3": 2}}
    assert set(data.queries) == {"q1", "q2", "q3"}


def test_plain_and_gzipped_corpus_hash_the_same(tmp_path):
    plain = write_beir(tmp_path / "plain", TINY_DOCS, TINY_QUERIES, TINY_QRELS, gz=False, crlf=True)
    zipped = write_beir(tmp_path / "zipped", TINY_DOCS, TINY_QUERIES, TINY_QRELS, gz=True, crlf=True)
    assert load_split(plain, "test", "t").sha256 == load_split(zipped, "test", "t").sha256


def test_queries_are_limited_to_the_judged_ones(tmp_path):
    folder = write_beir(tmp_path / "x", TINY_DOCS, {**TINY_QUERIES, "q9": "unjudged"}, TINY_QRELS)
    assert "q9" not in load_split(folder, "test", "t").queries


def test_missing_dataset_names_the_files(tmp_path):
    with pytest.raises(UserError) as err:
        load_split(tmp_path / "nowhere", "test", "beir/nowhere")
    message = str(err.value)
    assert "corpus.jsonl" in message and "queries.jsonl" in message and "qrels/test.tsv" in message
    assert str(tmp_path / "nowhere") in message and "leaderboard data fetch beir/nowhere" in message
    assert "\n" not in message


def test_corrupt_corpus_line_names_file_and_line(tiny_beir):
    corpus = tiny_beir / "corpus.jsonl.gz"
    lines = gzip.decompress(corpus.read_bytes()).decode().splitlines(keepends=True)
    lines[2] = '{"_id": "d3", "title": broken\n'
    corpus.write_bytes(gzip.compress("".join(lines).encode()))
    with pytest.raises(UserError, match=r"corpus\.jsonl\.gz line 3: not valid JSON"):
        load_split(tiny_beir, "test", "beir/tiny")


def test_truncated_gzip_is_a_user_error(tiny_beir):
    corpus = tiny_beir / "corpus.jsonl.gz"
    corpus.write_bytes(corpus.read_bytes()[:20])
    with pytest.raises(UserError, match="cannot be read"):
        load_split(tiny_beir, "test", "beir/tiny")


def test_qrels_for_unknown_queries_are_refused(tmp_path):
    folder = write_beir(tmp_path / "x", TINY_DOCS, {"q1": "only one"}, TINY_QRELS)
    with pytest.raises(UserError, match="not in"):
        load_split(folder, "test", "t")


def test_bad_score_after_header_is_refused(tmp_path):
    folder = write_beir(tmp_path / "x", TINY_DOCS, TINY_QUERIES, [("q1", "d1", "high")])  # type: ignore[list-item]
    with pytest.raises(UserError, match="line 2: score 'high'"):
        load_split(folder, "test", "t")
