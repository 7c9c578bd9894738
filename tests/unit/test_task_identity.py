"""Task identity lives in the task records: MTEB names, mteb's similar tasks, aliases, groups."""

from __future__ import annotations

import importlib.util

import pytest

from benchmarks import registry
from benchmarks.beir.catalog import CQADUPSTACK_FORUMS
from benchmarks.beir.catalog import MTEB_SIMILAR as BEIR_SIMILAR
from benchmarks.sts.catalog import MTEB_SIMILAR as STS_SIMILAR

pytestmark = pytest.mark.no_db

PUBLIC_BEIR = {
    "arguana": "ArguAna", "climate-fever": "ClimateFEVER", "dbpedia-entity": "DBPedia", "fever": "FEVER",
    "fiqa": "FiQA2018", "hotpotqa": "HotpotQA", "msmarco": "MSMARCO", "nfcorpus": "NFCorpus", "nq": "NQ",
    "quora": "QuoraRetrieval", "scidocs": "SCIDOCS", "scifact": "SciFact", "webis-touche2020": "Touche2020",
    "trec-covid": "TRECCOVID",
}  # fmt: skip


def test_every_registered_task_knows_its_mteb_name_and_aliases():
    tasks = registry.all_tasks()
    for dataset, name in PUBLIC_BEIR.items():
        assert tasks[f"beir/{dataset}"].mteb == (name, "default") and name in tasks[f"beir/{dataset}"].aliases
    for forum in CQADUPSTACK_FORUMS:
        task = tasks[f"beir/cqadupstack-{forum}"]
        assert task.mteb == (f"CQADupstack{forum.capitalize()}Retrieval", "default") and task.group == "cqadupstack"
        assert {"CQADupStack", "CQADupstackRetrieval"} <= set(task.aliases)
    assert tasks["sts/stsb"].mteb == ("STSBenchmark", "default") and {"STS-B", "STSb"} <= set(tasks["sts/stsb"].aliases)
    assert "SICK" in tasks["sts/sick-r"].aliases and "Natural Questions" in tasks["beir/nq"].aliases
    assert tasks["tatoeba/deu-eng"].mteb == ("Tatoeba", "deu-eng") and tasks["tatoeba/deu-eng"].aliases == ("Tatoeba",)
    assert tasks["aro/vg-relation"].mteb == ("AROVisualRelation", "default")
    assert all(task.mteb is not None for task in tasks.values()), "every built-in task exists in MTEB"


def test_mteb_names_go_both_ways_through_the_registry():
    from leaderboard.mteb_io import mteb_name, our_task_id

    for task in registry.all_tasks().values():
        assert our_task_id(*mteb_name(task.id)) == task.id
        assert registry.task_for_mteb(*task.mteb) is task
    assert our_task_id("Tatoeba", "xyz-eng") is None and mteb_name("beir/not-a-task") is None


@pytest.mark.skipif(importlib.util.find_spec("mteb") is None, reason="needs mteb (the test extra)")
def test_the_frozen_similar_tasks_equal_mtebs_closure_today():
    """The catalogues freeze mteb's adapted_from / superseded_by closure so the runtime never imports mteb."""
    from mteb.models.model_meta import _collect_similar_tasks

    frozen = {**BEIR_SIMILAR, **STS_SIMILAR}
    names = {task.mteb[0] for task in registry.all_tasks().values() if task.mteb} | {"CQADupstackRetrieval"}
    for name in sorted(names):
        assert set(frozen.get(name, ())) == _collect_similar_tasks(name, set()) - {name}, name
