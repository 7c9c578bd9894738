"""STS: the three release formats, MTEB's scoring, the tasks and the runner on tiny fixtures."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics.pairwise import paired_cosine_distances, paired_euclidean_distances, paired_manhattan_distances
from sqlalchemy import select

from benchmarks.metrics.sts import GOLD_SCORE, MAIN_STS_METRIC, STS_METRICS, evaluate_sts
from benchmarks.sts.benchmark import BENCHMARK, sts_task
from benchmarks.sts.catalog import STS_DATASETS, StsDataset
from benchmarks.sts.loader import load_sts, missing_files
from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model

# ---------------------------------------------------------------- fixtures in the release formats
SEMEVAL = StsDataset(
    name="tiny12",
    folder="sts/tiny12",
    layout="semeval",
    num_pairs=5,
    mteb_name="-",
    license="test",
    source_url="http://127.0.0.1:9/tiny.zip",
    subsets=("alpha", "beta"),
)
STSB = replace(SEMEVAL, name="tinyb", folder="sts/tinyb", layout="stsbenchmark", num_pairs=3, subsets=())
SICK = replace(SEMEVAL, name="tiny-sick", folder="sts/tinysick", layout="sick", num_pairs=3, subsets=())

SENTENCES = [
    ("the cell and the bone", "the bone of the cell"),
    ("vitamin deficiency", "calcium and vitamin"),
    ("sleep and memory", "the immune tumour"),
    ("measles vaccine", "the vaccine of measles"),
    ("cancer cell", "cancer"),
    ("memory of the sleep", "sleep"),
]


def write_semeval(folder: Path) -> Path:
    """Two subsets; blank gold lines (unscored pairs) as in 2015/2016; a 2016-style 4-field input line."""
    folder.mkdir(parents=True, exist_ok=True)
    alpha = SENTENCES[:4]
    (folder / "STS.input.alpha.txt").write_text(
        "".join(f"{a}\t{b}\n" for a, b in alpha[:3]) + f"{alpha[3][0]}\t{alpha[3][1]}\tsrc1\tsrc2\n"
    )
    (folder / "STS.gs.alpha.txt").write_text("4.2\n\n1.0\n5\n")
    (folder / "STS.input.beta.txt").write_text("".join(f"{a}\t{b}\n" for a, b in SENTENCES[4:]))
    (folder / "STS.gs.beta.txt").write_text("3.25\n0.000\n")
    return folder


def write_stsb(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        'main-captions\tMSRvid\t2012test\t0001\t5.000\tA "quoted" cell.\tThe cell, "quoted".',
        "main-news\theadlines\t2014\t0002\t1.5\tsleep and memory\tthe immune tumour\textra1\textra2",
        "main-forums\tdeft-forum\t2014\t0003\t2.4\tmeasles vaccine\tvaccine",
    ]
    (folder / "sts-test.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def write_sick(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        "pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tentailment_AB\tentailment_BA\t"
        "sentence_A_original\tsentence_B_original\tsentence_A_dataset\tsentence_B_dataset\tSemEval_set"
    )
    rows = [
        "1\tthe cell\tthe bone\tNEUTRAL\t3.3\tA_neutral_B\tB_neutral_A\tx\ty\tFLICKR\tFLICKR\tTRAIN",
        "2\tsleep and memory\tmemory\tNEUTRAL\t4.1\tA_neutral_B\tB_neutral_A\tx\ty\tFLICKR\tFLICKR\tTRIAL",
        "7\tmeasles\tcancer\tCONTRADICTION\t1.2\tA_neutral_B\tB_neutral_A\tx\ty\tSEMEVAL\tSEMEVAL\tTEST",
    ]
    (folder / "SICK.txt").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode())
    return folder


# ---------------------------------------------------------------- loaders
def test_semeval_skips_blank_gold_lines_and_pools_subsets(tmp_path):
    data = load_sts(SEMEVAL, write_semeval(tmp_path / "s"), "sts/tiny12")
    assert [p.id for p in data.pairs] == ["alpha:1", "alpha:3", "alpha:4", "beta:1", "beta:2"]
    assert [p.score for p in data.pairs] == [4.2, 1.0, 5.0, 3.25, 0.0]
    assert data.subsets == {"alpha": 3, "beta": 2}
    assert (data.pairs[2].sentence1, data.pairs[2].sentence2) == SENTENCES[3]  # source-note fields are not model input
    assert data.pairs[1].sentence1 == SENTENCES[2][0]  # line 3 stays line 3 after the blank gold line


def test_stsbenchmark_keeps_literal_quotes_and_extra_fields(tmp_path):
    data = load_sts(STSB, write_stsb(tmp_path / "b"), "sts/tinyb")
    assert [p.score for p in data.pairs] == [5.0, 1.5, 2.4]
    assert data.pairs[0].sentence1 == 'A "quoted" cell.' and data.pairs[0].sentence2 == 'The cell, "quoted".'
    assert data.pairs[1].sentence2 == "the immune tumour"


def test_sick_reads_every_split_crlf(tmp_path):
    data = load_sts(SICK, write_sick(tmp_path / "k"), "sts/tiny-sick")
    assert [p.id for p in data.pairs] == ["1", "2", "7"]
    assert [p.score for p in data.pairs] == [3.3, 4.1, 1.2]
    assert data.pairs[2].sentence2 == "cancer"  # no trailing CR
    assert data.subsets == {"TRAIN": 1, "TRIAL": 1, "TEST": 1}


def test_content_hash_changes_with_content(tmp_path):
    folder = write_semeval(tmp_path / "s")
    first = load_sts(SEMEVAL, folder, "t").sha256
    (folder / "STS.gs.beta.txt").write_text("3.5\n0.000\n")
    assert load_sts(SEMEVAL, folder, "t").sha256 != first


@pytest.mark.parametrize(
    ("file", "content", "fragment"),
    [
        ("STS.gs.alpha.txt", "4.2\n\n1.0\n", "3 lines but STS.input.alpha.txt has 4"),
        ("STS.gs.alpha.txt", "4.2\n\nhigh\n5\n", "STS.gs.alpha.txt line 3: gold score 'high' is not a number"),
        ("STS.gs.alpha.txt", "4.2\n\n7.5\n5\n", "line 3: gold score 7.5 is outside 0-5"),
        ("STS.input.beta.txt", "only one sentence\nsleep\tmemory\n", "STS.input.beta.txt line 1: expected two tab-separated sentences"),
    ],
)
def test_bad_semeval_files_are_one_line_errors(tmp_path, file, content, fragment):
    folder = write_semeval(tmp_path / "s")
    (folder / file).write_text(content)
    with pytest.raises(UserError) as err:
        load_sts(SEMEVAL, folder, "sts/tiny12")
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_not_utf8_and_not_sick_are_refused(tmp_path):
    folder = write_semeval(tmp_path / "s")
    (folder / "STS.input.beta.txt").write_bytes(b"caf\xe9\tcafe\nsleep\tmemory\n")
    with pytest.raises(UserError, match=r"STS\.input\.beta\.txt: not UTF-8"):
        load_sts(SEMEVAL, folder, "t")
    sick = write_sick(tmp_path / "k")
    (sick / "SICK.txt").write_text("a\tb\n")
    with pytest.raises(UserError, match="header"):
        load_sts(SICK, sick, "t")


def test_missing_files_are_named_with_the_source(tmp_path):
    assert missing_files(SEMEVAL, tmp_path) == ["STS.input.alpha.txt", "STS.gs.alpha.txt", "STS.input.beta.txt", "STS.gs.beta.txt"]
    with pytest.raises(UserError) as err:
        load_sts(SEMEVAL, tmp_path / "nowhere", "sts/tiny12")
    assert "STS.gs.beta.txt" in str(err.value) and "http://127.0.0.1:9/tiny.zip" in str(err.value)


# ---------------------------------------------------------------- the catalogue
def test_tasks_match_mteb_and_reference_counts():
    by_id = {task.id: task for task in BENCHMARK.tasks()}
    assert {tid: task.expected_counts["pairs"] for tid, task in by_id.items()} == {
        "sts/sts12": 3108,
        "sts/sts13": 1500,
        "sts/sts14": 3750,
        "sts/sts15": 3000,
        "sts/sts16": 1186,
        "sts/stsb": 1379,
        "sts/sick-r": 9840,
    }
    assert all(task.main_score == "cosine_spearman" and task.benchmark == "sts" for task in by_id.values())
    assert by_id["sts/sts13"].info.subsets == ("FNWN", "headlines", "OnWN")  # no LDC-only SMT, as SentEval and MTEB
    assert "87" in by_id["sts/sick-r"].metric_spec["data_difference_vs_mteb"]
    assert by_id["sts/sick-r"].split == "all"


def test_pair_counts_equal_mteb_descriptive_statistics():
    """MTEB ships the statistics of the data it scores; every count but SICK-R's must be ours (SICK-R: 87 pairs more)."""
    mteb = pytest.importorskip("mteb")
    stats_dir = Path(mteb.__file__).parent / "descriptive_stats" / "STS"
    for entry in STS_DATASETS:
        stats = json.loads((stats_dir / f"{entry.mteb_name}.json").read_text())["test"]
        expected = entry.num_pairs + (87 if entry.name == "sick-r" else 0)
        assert stats["num_samples"] == expected, entry.name


# ---------------------------------------------------------------- scoring
def test_scores_equal_sklearn_and_scipy_as_mteb_computes_them():
    rng = np.random.default_rng(3)
    e1, e2 = rng.normal(size=(40, 8)).astype(np.float32), rng.normal(size=(40, 8)).astype(np.float32)
    gold = rng.integers(0, 6, size=40).astype(float)  # integer gold: ties in the ranks, as in real STS data
    ids = [f"p{i}" for i in range(40)]
    scores = evaluate_sts(e1, e2, gold, ids)
    normalised = gold / 5
    expected = {
        "cosine": 1 - paired_cosine_distances(e1, e2),
        "manhattan": -paired_manhattan_distances(e1, e2),
        "euclidean": -paired_euclidean_distances(e1, e2),
        "dot": np.sum(e1.astype(float) * e2, axis=1),
    }
    for name, values in expected.items():
        assert scores[f"{name}_spearman"].value == pytest.approx(spearmanr(normalised, values)[0], abs=1e-9)
        assert scores[f"{name}_pearson"].value == pytest.approx(pearsonr(normalised, values)[0], abs=1e-6)
        assert np.allclose([scores[f"{name}_spearman"].per_query[i] for i in ids], values, atol=1e-6)
    assert scores["spearman"].value == scores["cosine_spearman"].value  # a cosine model's own similarity
    assert list(scores) == [*STS_METRICS, GOLD_SCORE]
    assert scores[GOLD_SCORE].per_query["p3"] == gold[3] / 5 and scores[GOLD_SCORE].value == pytest.approx(normalised.mean())


def test_model_similarity_follows_the_config_and_gold_scale_does_not_matter():
    rng = np.random.default_rng(4)
    e1, e2 = rng.normal(size=(30, 6)), rng.normal(size=(30, 6))
    gold = rng.uniform(0, 5, size=30)
    ids = [str(i) for i in range(30)]
    dot = evaluate_sts(e1, e2, gold, ids, similarity="dot")
    assert dot["spearman"].value == dot["dot_spearman"].value != dot["cosine_spearman"].value
    rescaled = evaluate_sts(e1, e2, gold * 2 + 1, ids, min_score=1, max_score=11)
    assert rescaled[MAIN_STS_METRIC].value == pytest.approx(dot[MAIN_STS_METRIC].value, abs=1e-12)
    assert rescaled[GOLD_SCORE].per_query["0"] == pytest.approx(gold[0] / 5)


def test_bootstrap_can_recompute_the_correlation_from_per_query_values():
    rng = np.random.default_rng(5)
    e1, e2 = rng.normal(size=(25, 4)), rng.normal(size=(25, 4))
    gold = rng.uniform(0, 5, size=25)
    ids = [f"x{i}" for i in range(25)]
    scores = evaluate_sts(e1, e2, gold, ids)
    sims = scores[MAIN_STS_METRIC].per_query
    golds = scores[GOLD_SCORE].per_query
    assert spearmanr([golds[i] for i in ids], [sims[i] for i in ids])[0] == pytest.approx(scores[MAIN_STS_METRIC].value, abs=1e-12)


def test_bad_inputs_to_the_evaluator():
    e = np.ones((3, 2))
    with pytest.raises(ValueError, match="unique"):
        evaluate_sts(e, e, [1, 2, 3], ["a", "a", "b"])
    with pytest.raises(ValueError, match="cosine or dot"):
        evaluate_sts(e, e, [1, 2, 3], ["a", "b", "c"], similarity="manhattan")
    with pytest.raises(ValueError, match="one entry per pair"):
        evaluate_sts(e, e, [1, 2], ["a", "b", "c"])


# ---------------------------------------------------------------- the runner, through the CLI
@pytest.fixture
def tiny_sts_task(tmp_path, monkeypatch):
    from benchmarks.registry import all_tasks

    write_semeval(tmp_path / "data" / SEMEVAL.folder)
    task = sts_task(SEMEVAL)
    monkeypatch.setitem(all_tasks(), task.id, task)
    return task


@pytest.fixture
def tiny_dense_config(tmp_path):
    folder = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "tiny.yaml"
    config.write_text(
        f"name: tiny-dense\nfamily: [dense]\nbackend: dense\nweights: {{path: {folder}}}\nquery_prompt: 'memory '\ndims: [8]\n"
    )
    return config


def test_run_stores_scores_per_pair_values_and_provenance(tiny_sts_task, tiny_dense_config, monkeypatch):
    from runners.dense import DenseEncoder

    calls: list[tuple[list[str], str]] = []
    original = DenseEncoder.encode_counted

    def spy(self, texts, prompt="", desc=""):
        calls.append((list(texts), prompt))
        return original(self, texts, prompt, desc)

    monkeypatch.setattr(DenseEncoder, "encode_counted", spy)
    result = CliRunner().invoke(main, ["run", str(tiny_dense_config), "--tasks", tiny_sts_task.id], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "cosine_spearman=" in result.output

    assert len(calls) == 1  # one encoding pass for both sides …
    texts, prompt = calls[0]
    assert len(texts) == len(set(texts)) == 10 and prompt == "memory "  # … every sentence once, with the query prompt
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        scores = {(s.metric, s.variant): s for s in session.scalars(select(schema.Score))}
        items = {item.name: item.values for item in session.scalars(select(schema.RunItem))}
    assert run.manifest["counts"] == {"pairs": 5, "sentences_encoded": 10}
    assert run.metric_spec["subsets"] == {"alpha": 3, "beta": 2}
    assert run.manifest["data_sha256"] == load_sts(SEMEVAL, tiny_sts_task.folder, "t").sha256
    assert "load_model" in run.manifest["timings_s"] and run.manifest["model"]["pooling"] == "mean"
    assert run.manifest["model"]["batch_order"] == "characters"  # sentence-transformers' batches
    main_score = scores[("cosine_spearman", "")]
    assert set(main_score.per_query) == {"alpha:1", "alpha:3", "alpha:4", "beta:1", "beta:2"}
    assert items["gold"]["beta:1"] == pytest.approx(3.25 / 5)  # the gold per pair is the run's item data, not a score
    assert not any(metric == GOLD_SCORE for metric, _ in scores)
    gold = items["gold"]
    assert main_score.value == pytest.approx(spearmanr([gold[k] for k in gold], [main_score.per_query[k] for k in gold])[0])
    assert ("cosine_spearman", "dim=8") in scores  # Matryoshka variant from the same embeddings


def test_bm25_is_skipped_and_a_run_of_nothing_exits_1(tiny_sts_task):
    result = CliRunner().invoke(main, ["run", "bm25s-flat", "--tasks", tiny_sts_task.id], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert f"skipping {tiny_sts_task.id}" in result.output
    assert "error: bm25s-flat (bm25) can run none of the tasks asked for" in result.output


def test_wrong_pair_count_is_refused_before_encoding(tiny_sts_task, tiny_dense_config, monkeypatch):
    from benchmarks.registry import all_tasks

    task = replace(tiny_sts_task, expected_counts={"pairs": 6})
    monkeypatch.setitem(all_tasks(), task.id, task)
    result = CliRunner().invoke(main, ["run", str(tiny_dense_config), "--tasks", task.id])
    assert result.exit_code != 0
    assert "5 pairs" in result.output and "6 pairs" in result.output
