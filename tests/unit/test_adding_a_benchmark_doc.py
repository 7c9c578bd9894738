"""docs/adding-a-benchmark.md is true: its clustering package, and nothing else, is a working benchmark.

The doc's code blocks are written into a temporary ``benchmarks/clustering/`` (outside the
repository: the ``benchmarks`` package's path is extended for the test), the benchmark is
registered through the contract (:func:`benchmarks.registry.register`) with a catalogue of one
toy task, and ``leaderboard run`` runs a tiny sentence-transformers model on it through the CLI.
The stored V-measure must be scikit-learn's, computed here from the embeddings the runner gave
with mteb's k-means settings written out again; ``results``, ``export``, the site's benchmark
and task pages and the API must show the run.  On other embeddings the evaluator must equal
mteb's own ``AbsTaskClusteringLegacy``.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics.cluster import v_measure_score
from sqlalchemy import select

import benchmarks
from benchmarks import registry
from benchmarks.contract import SentenceEmbeddings
from benchmarks.data_status import data_status
from common.errors import UserError
from leaderboard import schema
from leaderboard.cli import main
from leaderboard.db import make_engine, session_factory
from tests.tiny_models import make_tiny_st_model

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "adding-a-benchmark.md"
PACKAGE = "benchmarks/clustering/"
# a fenced python block whose first line is a comment naming the file it is
BLOCK = re.compile(r"```python\n# (\S+)[^\n]*\n(.*?)```", re.S)

# the toy task: two clustering sets, 12 sentences; words from the tiny model's vocabulary
TOY_SETS = [
    {
        "sentences": ["vitamin bone", "calcium bone", "bone fracture", "sleep memory", "memory sleep", "the sleep"],
        "labels": [0, 0, 0, 1, 1, 1],
    },
    {
        "sentences": ["cancer cell", "tumour cell", "measles vaccine", "vaccine immune", "the calcium", "of vitamin"],
        "labels": ["onc", "onc", "vax", "vax", "diet", "diet"],
    },
]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def doc_files() -> dict[str, str]:
    """File path -> the doc's code for it, every python block that names its file."""
    return {path: code for path, code in BLOCK.findall(DOC.read_text(encoding="utf-8"))}


@pytest.fixture
def clustering(tmp_path, monkeypatch):
    """The doc's package, importable as ``benchmarks.clustering`` from a temp folder; forgotten afterwards."""
    assert not (REPO / PACKAGE).exists(), "benchmarks/clustering/ exists: the doc's example would shadow a real package"
    files = {path.removeprefix(PACKAGE): code for path, code in doc_files().items() if path.startswith(PACKAGE)}
    assert set(files) == {"__init__.py", "catalog.py", "loader.py", "metrics.py", "benchmark.py"}
    root = tmp_path / "src" / "benchmarks"
    (root / "clustering").mkdir(parents=True)
    for name, code in files.items():
        (root / "clustering" / name).write_text(code, encoding="utf-8")
    monkeypatch.setattr(benchmarks, "__path__", [*benchmarks.__path__, str(root)])
    try:
        yield importlib.import_module("benchmarks.clustering.benchmark")
    finally:
        registry.unregister("clustering")
        for name in [m for m in sys.modules if m == "benchmarks.clustering" or m.startswith("benchmarks.clustering.")]:
            del sys.modules[name]
        if hasattr(benchmarks, "clustering"):
            delattr(benchmarks, "clustering")


def write_toy(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "clustering" / "toy"
    folder.mkdir(parents=True)
    (folder / "test.jsonl").write_text("".join(json.dumps(s) + "\n" for s in TOY_SETS), encoding="utf-8")


def toy_benchmark(module, seen: list[SentenceEmbeddings]):
    """The doc's benchmark over a one-task catalogue, keeping what the runner handed ``evaluate``."""
    from benchmarks.clustering.catalog import ClusteringDataset

    class Recorded(module.ClusteringBenchmark):
        def evaluate(self, task, data, predictions):
            seen.append(predictions)
            return super().evaluate(task, data, predictions)

    return Recorded([ClusteringDataset("toy", 12, None, "CC0-1.0", "")])


def mteb_v_measure(embeddings: np.ndarray, labels: list) -> float:
    """mteb's ClusteringEvaluator + AbsTaskClusteringLegacy on one set, written out from their source."""
    k = len(set(labels))
    clusters = MiniBatchKMeans(n_clusters=k, batch_size=500, n_init="auto", compute_labels=True, random_state=42).fit(embeddings).labels_
    return float(v_measure_score(labels, clusters))


def test_the_registry_line_in_the_doc_is_todays_builtin_plus_one():
    [statement] = ast.parse(doc_files()["benchmarks/registry.py"]).body
    assert isinstance(statement, ast.AnnAssign) and statement.target.id == "BUILTIN"
    assert ast.literal_eval(statement.value) == (*registry.BUILTIN, "clustering")


def test_the_doc_package_satisfies_the_contract_as_written(clustering):
    bench = clustering.BENCHMARK
    assert (bench.id, bench.capability, bench.main_metric) == ("clustering", "sentence_encoder", "v_measure")
    [task] = bench.tasks()
    assert (task.id, task.expected_counts) == ("clustering/twentynewsgroups", {"sentences": 59_545})
    assert task.mteb == ("TwentyNewsgroupsClustering", "default")
    assert task.main_score in bench.metrics and set(task.metrics) <= set(bench.metrics)
    assert bench.missing_files(task) == ["test.jsonl"]


def test_a_clustering_run_through_the_cli_is_stored_and_shown(clustering, tmp_path):
    write_toy(tmp_path)
    seen: list[SentenceEmbeddings] = []
    registry.register(toy_benchmark(clustering, seen))
    assert registry.expand_task_ids("clustering") == ["clustering/toy"]
    assert data_status(registry.get_task("clustering/toy"), use_cache=False).state == "verified"

    weights = make_tiny_st_model(tmp_path / "weights")
    config = tmp_path / "tiny.yaml"
    config.write_text(f"name: tiny-dense\nfamily: [dense]\nbackend: dense\nweights: {{path: {weights}}}\n")
    assert invoke("data", "verify", "clustering/toy").exit_code == 0
    result = invoke("run", str(config), "--tasks", "clustering")
    assert result.exit_code == 0, result.output

    [embeddings] = seen  # no Matryoshka dims in the config: one evaluation
    expected = {str(n): mteb_v_measure(embeddings.of(s["sentences"]), s["labels"]) for n, s in enumerate(TOY_SETS, start=1)}
    with session_factory(make_engine())() as session:
        run = session.scalars(select(schema.Run)).one()
        score = session.scalars(select(schema.Score).where(schema.Score.run_id == run.id, schema.Score.variant == "")).one()
        assert (run.task_id, score.metric) == ("clustering/toy", "v_measure")
        assert score.per_query == expected
        assert score.value == float(np.mean(list(expected.values())))
        assert run.metric_spec["kmeans"]["random_state"] == 42 and run.manifest["clustering_sets"] == 2
        assert run.manifest["counts"]["sentences"] == 12
    assert 0 < score.value < 1 and len(set(expected.values())) > 1  # a case where the clusters and the mean matter

    shown = f"{score.value:.4f}"
    table = invoke("results", "--benchmark", "clustering").output
    assert "tiny-dense" in table and shown in table, table
    exported = [r for r in json.loads(invoke("export", "--format", "json").output) if r.get("task") == "clustering/toy"]
    assert [(r["model"], r["metric"], r["value"]) for r in exported] == [("tiny-dense", "v_measure", score.value)]

    from web import create_app

    client = create_app().test_client()
    page = client.get("/benchmarks/clustering")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Clustering" in html and "tiny-dense" in html and "clustering/toy" in html and shown in html
    task_page = client.get("/tasks/clustering/toy")
    assert task_page.status_code == 200 and "tiny-dense" in task_page.get_data(as_text=True)
    api = client.get("/api/v1/benchmarks/clustering")
    [row] = api.get_json()["rows"]
    assert (row["model"], row["scores"], row["mean"]) == ("tiny-dense", {"clustering/toy": score.value}, score.value)
    # the metric's "mean" aggregation gives a bootstrap interval over the clustering sets
    assert (row["ci_low"]["clustering/toy"], row["ci_high"]["clustering/toy"]) == (min(expected.values()), max(expected.values()))


def test_the_evaluator_is_v_measure_where_the_clusters_are_unambiguous(clustering):
    """Two far-apart blobs are found exactly (1.0); three points per blob with a label swapped is sklearn's value."""
    from benchmarks.clustering.loader import ClusteringData, ClusteringSet

    bench = clustering.BENCHMARK
    texts = [f"s{i}" for i in range(6)]
    matrix = np.array([[0, 0], [0, 0.1], [0.1, 0], [10, 10], [10, 10.1], [10.1, 10]], dtype=np.float32)
    embeddings = SentenceEmbeddings(matrix, {t: i for i, t in enumerate(texts)})
    gold = ["a", "a", "a", "b", "b", "b"]
    swapped = ["a", "a", "b", "b", "b", "a"]
    data = ClusteringData([ClusteringSet(texts, gold), ClusteringSet(texts, swapped), ClusteringSet(texts[:2], ["x", "x"])], "", {})
    task = bench.tasks()[0]
    assert bench.texts(task, data) == texts + texts + texts[:2]
    scores = bench.evaluate(task, data, embeddings).scores["v_measure"]
    wrong = v_measure_score(swapped, [0, 0, 0, 1, 1, 1])
    assert scores.per_query == {"1": 1.0, "2": pytest.approx(wrong), "3": 1.0}  # a one-label set is 1.0, as in mteb
    assert 0 < wrong < 1 and scores.value == pytest.approx((2 + wrong) / 3)


def test_the_v_measure_equals_mteb_clustering_legacy_on_the_same_embeddings(clustering):
    """mteb's own AbsTaskClusteringLegacy (what scores TwentyNewsgroupsClustering), fed the same embeddings."""
    pytest.importorskip("mteb")
    from benchmarks.clustering.loader import ClusteringData, ClusteringSet
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.clustering_legacy import AbsTaskClusteringLegacy
    from mteb.abstasks.task_metadata import TaskMetadata

    from tests.unit.test_sts_mteb_parity import _TASK_ARGS, HashEncoder, LookupEncoder

    rng = np.random.default_rng(3)
    sets = [
        ClusteringSet([f"s{n}-{i}" for i in range(size)], [str(label) for label in rng.integers(0, k, size=size)])
        for n, (size, k) in enumerate([(40, 3), (25, 5), (60, 2)])
    ]
    texts = [text for s in sets for text in s.sentences]
    matrix = HashEncoder().encode(texts)
    bench = clustering.BENCHMARK
    ours = bench.evaluate(bench.tasks()[0], ClusteringData(sets, "", {}), SentenceEmbeddings(matrix, {t: i for i, t in enumerate(texts)}))

    class ParityClustering(AbsTaskClusteringLegacy):
        metadata = TaskMetadata(type="Clustering", name="LeaderboardParityClustering", main_score="v_measure", **_TASK_ARGS)

        def load_data(self, num_proc=None, **kwargs):
            columns = {"sentences": [s.sentences for s in sets], "labels": [s.labels for s in sets]}
            self.dataset = DatasetDict({"test": Dataset.from_dict(columns)})
            self.data_loaded = True

    table = dict(zip(texts, matrix, strict=True))
    theirs = ParityClustering().evaluate(LookupEncoder(table), "test", encode_kwargs={"batch_size": 16})["default"]
    assert list(ours.scores["v_measure"].per_query.values()) == pytest.approx(theirs["v_measures"], abs=1e-12)
    assert ours.scores["v_measure"].value == pytest.approx(theirs["v_measure"], abs=1e-12)
    assert 0 < ours.scores["v_measure"].value < 1


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("not json", "line 1: not valid JSON"),
        ('{"sentences": ["a", "b"], "labels": [0]}', "line 1: 'labels' must hold one string or integer per sentence"),
        ('{"sentences": [], "labels": []}', "line 1: 'sentences' must be a non-empty list of strings"),
    ],
)
def test_a_bad_line_is_one_error_naming_the_file_and_line(clustering, tmp_path, line, fragment):
    folder = tmp_path / "data" / "clustering" / "toy"
    folder.mkdir(parents=True)
    (folder / "test.jsonl").write_text(line + "\n", encoding="utf-8")
    registry.register(toy_benchmark(clustering, []))
    with pytest.raises(UserError, match=re.escape(fragment)) as caught:
        registry.get_benchmark("clustering").load(registry.get_task("clustering/toy"))
    assert "test.jsonl" in str(caught.value)
    assert data_status(registry.get_task("clustering/toy"), use_cache=False).state == "corrupt"
