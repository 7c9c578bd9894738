"""A small, realistic board for the web tests: real configs and task specs, stored through
:func:`leaderboard.store.record_run` exactly as the CLI stores a run.

The numbers are fixture values (chosen near the real SciFact/NFCorpus/FiQA results so pages
look real); tests read their expectations from :class:`Seeded`, never from literals.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.contract import Task
from benchmarks.metrics.retrieval import MetricResult
from benchmarks.registry import all_tasks
from common.variants import variant_name
from leaderboard.db import make_engine, session_factory
from leaderboard.store import record_run
from runners.manifest import build_manifest
from runners.outcome import RunOutcome
from submissions.registry import reference_configs
from submissions.schema import ModelConfig

BEIR_TASKS = ("beir/scifact", "beir/nfcorpus", "beir/fiqa")
STS_TASK = "sts/sts12"

COMMUNITY = {
    "name": "community-e5-small",
    "family": ["dense", "contrastive"],
    "backend": "dense",
    "description": "A community submission used by the web tests (fixture).",
    "weights": {"path": "/models/e5-small"},
    "pooling": "mean",
    "normalize": True,
    "dims": [64, 128],
    "metadata": {
        "parameters": 118_000_000,
        "embedding_dim": 384,
        "license": "MIT",
        "open_weights": True,
        "training_datasets": ["MS MARCO", "FiQA"],
    },
}
CLOSED = {
    "name": "closed-api-embedder",
    "family": ["contrastive"],
    "backend": "dense",
    "description": "A closed-weights community model (fixture).",
    "weights": {"path": "/models/closed"},
    "metadata": {"parameters": 1_500_000_000, "embedding_dim": 1024, "license": "proprietary", "open_weights": False},
}

# model -> task -> main score (nDCG@10 / Spearman); None = never run
MAIN = {
    "bm25s-flat": {"beir/scifact": 0.6777, "beir/nfcorpus": 0.3218, "beir/fiqa": 0.2361},
    "all-MiniLM-L6-v2": {"beir/scifact": 0.64508, "beir/nfcorpus": 0.3159, STS_TASK: 0.7213},
    "community-e5-small": {"beir/scifact": 0.7021, "beir/nfcorpus": 0.3402, "beir/fiqa": 0.3712},
    "closed-api-embedder": {"beir/scifact": 0.6012, "beir/nfcorpus": 0.3011, "beir/fiqa": 0.2533},
}
OLD_RUN = ("bm25s-flat", "beir/scifact", 0.6601)  # an earlier run, kept as history


@dataclass
class Seeded:
    main: dict[str, dict[str, float]]
    run_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    old_run_id: int | None = None
    configs: dict[str, ModelConfig] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)

    def beir_mean(self, model: str) -> float | None:
        values = [self.main[model].get(t) for t in BEIR_TASKS]
        return None if None in values else sum(values) / len(values)


def _sts_task() -> Task:
    task = all_tasks().get(STS_TASK)
    if task is not None:
        return task
    return Task(
        id=STS_TASK,
        benchmark="sts",
        dataset="sts12",
        split="test",
        main_score="cosine_spearman",
        metrics=("cosine_spearman", "cosine_pearson"),
        metric_spec={"main_score": "cosine_spearman", "metrics": {"cosine_spearman": "Spearman rho of cosine similarity vs gold"}},
    )


def _scores(task: Task, main: float) -> dict[str, MetricResult]:
    """The main score plus the task's other metrics, each with a few per-item values."""
    scores = {}
    for i, metric in enumerate(task.metrics[:4]):
        value = main if metric == task.main_score else round(min(0.999, main + 0.1 + 0.05 * i), 4)
        scores[metric] = MetricResult(value, {f"q{j}": value for j in range(1, 6)})
    return scores


def _outcome(config: ModelConfig, task: Task, main: float, started: datetime, dense: bool) -> RunOutcome:
    described = {"backend": config.backend, "device": "cpu", "weights_sha256": {"model.safetensors": "ab" * 32}}
    if dense:
        described.update({"pooling": "mean", "normalize": True, "corpus_docs_per_s": 180.0 if "MiniLM" in config.name else 95.0})
    finished = started + timedelta(seconds=42)
    manifest = build_manifest(
        config,
        described=described,
        data_sha256="cd" * 32,
        data_files={"corpus.jsonl.gz": "ef" * 32},
        phases={"load_data": 0.8, "encode_corpus": 30.1, "search": 0.4, "evaluate": 0.2},
        started=started,
        finished=finished,
        counts={"docs": 5183, "queries": 300},
    )
    variants = {}
    if config.dims:
        variants = {
            variant_name(d): {task.main_score: MetricResult(round(main - 0.03 * (4 - i), 4), {})} for i, d in enumerate(config.dims)
        }
    return RunOutcome(config.name, task.id, _scores(task, main), manifest, started, finished, task.metric_spec, variants)


def seed(db_url: str | None = None) -> Seeded:
    """Fill the database (default LEADERBOARD_DB) with the fixture board; returns what was stored."""
    references = reference_configs()
    configs = {
        "bm25s-flat": references["bm25s-flat"][0],
        "all-MiniLM-L6-v2": references["all-MiniLM-L6-v2"][0],
        "community-e5-small": ModelConfig.model_validate(COMMUNITY),
        "closed-api-embedder": ModelConfig.model_validate(CLOSED),
    }
    tasks = {task_id: all_tasks()[task_id] for task_id in BEIR_TASKS} | {STS_TASK: _sts_task()}
    engine = make_engine(db_url)
    make_session = session_factory(engine)
    seeded = Seeded(main={m: dict(v) for m, v in MAIN.items()}, configs=configs, tasks=tasks)
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    model, task_id, value = OLD_RUN
    with make_session() as session:
        seeded.old_run_id = record_run(
            session, configs[model], tasks[task_id], _outcome(configs[model], tasks[task_id], value, start, False), is_reference=True
        )
    for n, (name, per_task) in enumerate(MAIN.items()):
        config = configs[name]
        for k, (task_id, main) in enumerate(per_task.items()):
            started = start + timedelta(days=1 + n, minutes=k)
            outcome = _outcome(config, tasks[task_id], main, started, config.backend == "dense")
            with make_session() as session:
                seeded.run_ids[(name, task_id)] = record_run(session, config, tasks[task_id], outcome, is_reference=name in references)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return seeded


_TEMPLATE: tuple[Path, Seeded] | None = None


def seeded_copy(db_url: str) -> Seeded:
    """The fixture board in the database at ``db_url``.

    SQLite: seeded once per test session into a template file, then copied (fast). Any other
    database (the PostgreSQL pass, ``--db postgresql``, which empties it before each test) is
    seeded in place, because a file copy means nothing there.
    """
    global _TEMPLATE
    if not db_url.startswith("sqlite:///"):
        return seed(db_url)
    if _TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="leaderboard-web-seed-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        seeded = seed(f"sqlite:///{folder / 'seed.db'}")
        _TEMPLATE = (folder / "seed.db", seeded)
    template, seeded = _TEMPLATE
    target = Path(db_url.removeprefix("sqlite:///"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, target)
    return seeded
