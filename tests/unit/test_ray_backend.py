"""The Ray backend gives the local backend's scores (a local one-node Ray started by the test)."""

import numpy as np
import pytest
import ray

from benchmarks.registry import get_task
from runners.execute import run_model_on_task
from runners.executors import LocalExecutor, RayExecutor, TaskDone, TaskFailed, TaskSkipped
from submissions.registry import resolve_model
from submissions.schema import ModelConfig
from tests.conftest import TINY_DOCS, TINY_QRELS, TINY_QUERIES, write_beir
from tests.tiny_models import make_tiny_st_model


@pytest.fixture(scope="module")
def local_ray():
    from runners.ray_backend import init

    init(num_cpus=2)
    yield
    ray.shutdown()


def test_two_models_two_tasks_match_local(tiny_task, tmp_path, monkeypatch, local_ray):
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks
    from runners.ray_backend import run_matrix

    docs = {k: (t.upper(), x) for k, (t, x) in TINY_DOCS.items()}
    write_beir(tmp_path / "data" / "beir" / "tiny2", docs, TINY_QUERIES, TINY_QRELS)
    extra = tmp_path / "extra2.yaml"
    extra.write_text(
        f"- {{name: tiny, docs: {len(docs)}, queries: {len(TINY_QUERIES)}}}\n- {{name: tiny2, docs: {len(docs)}, queries: 3}}\n"
    )
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    second = beir_task(extra_datasets()[1])
    monkeypatch.setitem(all_tasks(), second.id, second)

    dense = ModelConfig(name="tiny-dense", family=["dense"], backend="dense", weights={"path": str(make_tiny_st_model(tmp_path / "w"))})
    configs = [resolve_model("bm25s-flat")[0], dense]
    jobs = [(config.model_dump(mode="json"), task_id) for config in configs for task_id in ("beir/tiny", "beir/tiny2")]
    remote = run_matrix(jobs)
    for (config_dump, task_id), result in zip(jobs, remote, strict=True):
        assert isinstance(result, TaskDone) and result.task_id == task_id
        outcome = result.outcome
        local = run_model_on_task(ModelConfig.model_validate(config_dump), get_task(task_id))
        for metric, result in local.scores.items():
            assert outcome.scores[metric].value == pytest.approx(result.value, abs=1e-9)
            assert outcome.scores[metric].per_query == pytest.approx(result.per_query, abs=1e-9)


def test_sharded_encoding_equals_one_pass(tmp_path, local_ray):
    from runners.dense import DenseEncoder
    from runners.ray_backend import sharded_encode

    folder = make_tiny_st_model(tmp_path / "w")
    config = ModelConfig(name="tiny-dense", family=["dense"], backend="dense", weights={"path": str(folder)})
    texts = [f"vitamin {'bone ' * (i % 7)} cell {i}" for i in range(50)]
    sharded = sharded_encode(config.model_dump(mode="json"), str(folder), texts, shards=3)
    single = DenseEncoder(config, folder, "cpu").encode(texts)
    assert np.allclose(sharded, single, atol=1e-5)


def test_the_ray_executor_yields_what_the_local_one_yields(tiny_task, tmp_path, monkeypatch, local_ray):
    """Per task, in order: a run, a skip (BM25 cannot embed sentences), a one-line error (a second task's data is gone)."""
    from benchmarks.beir.benchmark import beir_task, extra_datasets
    from benchmarks.registry import all_tasks

    extra = tmp_path / "extra3.yaml"
    extra.write_text(f"- {{name: tiny, docs: {len(TINY_DOCS)}, queries: 3}}\n- {{name: gone, docs: 5, queries: 3}}\n")
    monkeypatch.setenv("LEADERBOARD_BEIR_EXTRA", str(extra))
    gone = beir_task(extra_datasets()[1])
    monkeypatch.setitem(all_tasks(), gone.id, gone)
    config = resolve_model("bm25s-flat")[0]
    tasks = [tiny_task, get_task("sts/stsb"), gone]
    local = list(LocalExecutor().run(config, tasks))
    remote = list(RayExecutor().run(config, tasks))
    for results in (local, remote):
        assert [type(r) for r in results] == [TaskDone, TaskSkipped, TaskFailed]
        assert [r.task_id for r in results] == [t.id for t in tasks]
    assert remote[0].outcome.scores["ndcg_at_10"].per_query == local[0].outcome.scores["ndcg_at_10"].per_query
    # the ranking travels back from the Ray worker, byte for byte what the local run keeps
    assert remote[0].outcome.artifacts["ranking"].data == local[0].outcome.artifacts["ranking"].data
    assert remote[0].outcome.manifest["artifacts"] == local[0].outcome.manifest["artifacts"]
    assert remote[1].reason == local[1].reason
    assert str(remote[2].error) == str(local[2].error)
