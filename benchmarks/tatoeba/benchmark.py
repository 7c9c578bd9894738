"""Tatoeba: one task per language pair ``tatoeba/<xxx>-eng``, F1 of xxx -> eng nearest-neighbour search (the contract's ``BENCHMARK``).

The benchmark-level score ``tatoeba`` is not a task of its own (running it would encode every
pair a second time): it is the mean of the 112 per-pair runs, see
:mod:`benchmarks.tatoeba.aggregate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.contract import (
    BatchOrder,
    Capability,
    Evaluation,
    LoadedData,
    MetricDefinition,
    SentenceEmbeddings,
    Task,
    relative_files,
    verify_counts,
)
from benchmarks.metrics.bitext import (
    BITEXT_DEFINITIONS,
    BITEXT_METRICS,
    MAIN_BITEXT_METRIC,
    evaluate_bitext,
    metric_spec,
    nearest_neighbours,
    neighbour_similarities,
)
from benchmarks.tatoeba.catalog import FOLDER, LANGUAGES, LICENSE, MTEB_TASK, SOURCE_URL, SPELLINGS, TatoebaLanguage
from benchmarks.tatoeba.loader import TatoebaPair, load_pair
from benchmarks.tatoeba.loader import missing_files as _missing_files


def task_id(language: str) -> str:
    return f"tatoeba/{language}-eng"


def tatoeba_task(language: str) -> Task[TatoebaLanguage]:
    entry = TatoebaLanguage.of(language)
    return Task(
        id=task_id(language),
        benchmark="tatoeba",
        dataset=f"{language}-eng",
        split="test",
        main_score=MAIN_BITEXT_METRIC,
        metrics=BITEXT_METRICS,
        metric_spec={**metric_spec(language=language, pairs=entry.pairs), "mteb_task": f"Tatoeba ({language}-eng subset)"},
        license=LICENSE,
        source_url=SOURCE_URL,
        relative_folder=FOLDER,
        expected_counts={"pairs": entry.pairs},
        info=entry,
        aliases=SPELLINGS,
        mteb=(MTEB_TASK, f"{language}-eng"),
    )


class TatoebaBenchmark:
    """Bitext mining: a sentence encoder's nearest English sentence for each sentence of the other language."""

    id = "tatoeba"
    name = "Tatoeba"
    description = "bitext mining"
    capability: Capability = "sentence_encoder"
    # one pass holds both languages, whose tokens per character differ: batches by tokens waste a
    # third less padding (runners/batching.py); F1 of all 112 pairs is unchanged by it (README, "Speed")
    batch_order: BatchOrder = "tokens"
    metrics: Mapping[str, MetricDefinition] = BITEXT_DEFINITIONS
    main_metric = MAIN_BITEXT_METRIC
    fetch = None

    def tasks(self) -> list[Task[TatoebaLanguage]]:
        return [tatoeba_task(language) for language in LANGUAGES]

    def missing_files(self, task: Task[TatoebaLanguage]) -> list[str]:
        return _missing_files(task.folder, task.info.code)

    def load(self, task: Task[TatoebaLanguage]) -> LoadedData[TatoebaPair]:
        pair = load_pair(task.folder, task.info.code, task.id)
        counts = {"pairs": len(pair.sentences)}
        verify_counts(task, counts, sha256=pair.sha256)
        return LoadedData(pair, counts, pair.sha256, relative_files(pair.files))

    def texts(self, task: Task[TatoebaLanguage], data: TatoebaPair) -> list[str]:
        """The other language's lines, then the English ones: a sentence on both sides is embedded once."""
        return data.sentences + data.english

    def run_notes(self, task: Task[TatoebaLanguage], data: TatoebaPair) -> dict[str, Any]:
        return {"direction": f"{data.language} -> eng", "search": "exact top-1, numpy float32"}

    def evaluate(self, task: Task[TatoebaLanguage], data: TatoebaPair, predictions: SentenceEmbeddings) -> Evaluation:
        """Each sentence's exact nearest English line under the model's similarity; right when it is line i."""
        queries, english = predictions.of(data.sentences), predictions.of(data.english)
        found = nearest_neighbours(queries, english, similarity=predictions.similarity)
        similarity = neighbour_similarities(queries, english, found, similarity=predictions.similarity)
        # each sentence's neighbour (1-based lines, as the per-item values), kept with the run for the explorer
        neighbours = {str(i + 1): [(str(int(j) + 1), float(s))] for i, (j, s) in enumerate(zip(found, similarity, strict=True))}
        return Evaluation(evaluate_bitext(found), rankings={"neighbours": neighbours})


BENCHMARK = TatoebaBenchmark()
