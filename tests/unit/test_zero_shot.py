"""One zero-shot rule, tri-state (benchmarks/zero_shot.py): the table of MTEB's spellings from issue 13."""

from __future__ import annotations

import pytest

from benchmarks.registry import get_task
from benchmarks.zero_shot import ZeroShot, normalize, trained_columns, training_match

pytestmark = pytest.mark.no_db

# (training_datasets, task, expected state, expected matched entry); the site used to call the
# first three zero-shot (its prefix rule did not know MTEB's names) and every model listing
# nothing zero-shot too
TABLE = [
    (["STSBenchmark"], "sts/stsb", False, "STSBenchmark"),
    (["FiQA2018"], "beir/fiqa", False, "FiQA2018"),
    (["QuoraRetrieval"], "beir/quora", False, "QuoraRetrieval"),
    (["NQ"], "beir/nq", False, "NQ"),
    (["MSMARCO"], "beir/msmarco", False, "MSMARCO"),
    (["CQADupstackRetrieval"], "beir/cqadupstack-android", False, "CQADupstackRetrieval"),
    (["CQADupstackRetrieval"], "beir/cqadupstack-wordpress", False, "CQADupstackRetrieval"),
    (["FEVER"], "beir/fever", False, "FEVER"),
    (["FEVER"], "beir/climate-fever", True, None),  # no prefix rule: FEVER is not Climate-FEVER
    (["SICK-R"], "sts/sick-r", False, "SICK-R"),
    (None, "beir/scifact", None, None),  # lists no training data: unknown, not zero-shot
    ([], "beir/msmarco", True, None),  # declares none (BM25): zero-shot
]


@pytest.mark.parametrize(("training", "task_id", "state", "matched"), TABLE)
def test_the_issue_13_table_of_mteb_spellings(training, task_id, state, matched):
    assert training_match(training, get_task(task_id)) == ZeroShot(state, matched)


@pytest.mark.parametrize(
    ("entry", "task_id"),
    [
        ("NQHardNegatives", "beir/nq"),
        ("NanoNQRetrieval", "beir/nq"),  # mteb's similar tasks, frozen in the catalogue
        ("MS MARCO", "beir/msmarco"),
        ("Natural Questions", "beir/nq"),
        ("STS-B", "sts/stsb"),
        ("STSb", "sts/stsb"),
        ("SICK", "sts/sick-r"),
        ("CQADupStack", "beir/cqadupstack-tex"),  # the group covers every forum
        ("CQADupstackTexRetrieval", "beir/cqadupstack-tex"),
        ("Tatoeba", "tatoeba/deu-eng"),
        ("beir/scifact", "beir/scifact"),
        ("SciDocsRR", "beir/scidocs"),
        ("AROVisualRelation", "aro/vg-relation"),
    ],
)
def test_common_and_mteb_spellings_name_their_task(entry, task_id):
    assert training_match(["SQuAD", entry], get_task(task_id)) == ZeroShot(False, entry)


@pytest.mark.parametrize(
    ("entry", "task_id"),
    [
        ("Climate", "beir/climate-fever"),  # no leading-token rule
        ("CQADupstackTexRetrieval", "beir/cqadupstack-android"),  # one forum is not another
        ("STS12", "sts/sts13"),
        ("Retrieval", "beir/nq"),  # a bare suffix names nothing
        ("SQuAD", "beir/nq"),
        ("MSMARCO", "beir/scifact"),
        ("SICK-E", "sts/sick-r"),
    ],
)
def test_names_of_other_data_do_not_match(entry, task_id):
    assert training_match([entry], get_task(task_id)) == ZeroShot(True)


def test_normalisation_folds_case_punctuation_and_mteb_suffixes():
    assert normalize("MS MARCO") == normalize("ms-marco") == "msmarco"
    assert normalize("QuoraRetrievalHardNegatives") == "quora"
    assert normalize("Retrieval") == "retrieval" and normalize("--") == ""


def test_a_board_row_gets_the_same_answers_column_by_column():
    columns = [get_task(t) for t in ("beir/fever", "beir/climate-fever", "beir/cqadupstack-gis", "beir/nq")]
    assert trained_columns(None, columns) is None
    assert trained_columns([], columns) == {}
    assert trained_columns(["FEVER", "CQADupStack", "NQHardNegatives", "NQ"], columns) == {
        0: "FEVER",
        2: "CQADupStack",
        3: "NQHardNegatives",
    }
    for training in (["FEVER"], ["CQADupStack", "Climate-FEVER"], ["nothing"]):
        by_row = trained_columns(training, columns)
        assert by_row == {i: m.matched for i, t in enumerate(columns) if (m := training_match(training, t)).state is False}


def test_bm25_declares_no_training_data_and_a_dense_config_without_it_is_unknown():
    from submissions.schema import parse_config

    bm25 = parse_config("name: b\nfamily: [sparse]\nbackend: bm25\nbm25: {engine: bm25s}\n", "c")
    dense = parse_config("name: d\nfamily: [dense]\nbackend: dense\nweights: {path: /x}\n", "c")
    assert bm25.metadata.training_datasets == [] and dense.metadata.training_datasets is None
    assert training_match(bm25.metadata.training_datasets, get_task("beir/msmarco")).state is True
    assert training_match(dense.metadata.training_datasets, get_task("beir/msmarco")).state is None
