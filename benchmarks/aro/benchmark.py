"""ARO: one task per test set, scored under the ARO paper's definition (main) and MTEB's (the contract's ``BENCHMARK``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchmarks.aro.catalog import ARO_DATASETS, AroDataset
from benchmarks.aro.loader import AroData, load_aro, missing
from benchmarks.aro.metrics import ARO_DEFINITIONS, evaluate_aro, main_metric, metric_names, metric_spec
from benchmarks.contract import Capability, Evaluation, LoadedData, MetricDefinition, Task, relative_files, verify_counts

# our task name -> MTEB's (its image-text pair classification tasks; mteb's similar-task closure of each is empty)
MTEB_NAMES: dict[str, str] = {
    "vg-relation": "AROVisualRelation",
    "vg-attribution": "AROVisualAttribution",
    "coco-order": "AROCocoOrder",
    "flickr30k-order": "AROFlickrOrder",
}


def aro_task(entry: AroDataset) -> Task[AroDataset]:
    counts = {"items": entry.num_items}
    if entry.num_images is not None:
        counts["images"] = entry.num_images
    mteb_name = MTEB_NAMES.get(entry.name)
    return Task(
        id=f"aro/{entry.name}",
        benchmark="aro",
        dataset=entry.name,
        split="test",
        main_score=main_metric(entry.kind),
        metrics=metric_names(entry.kind),
        metric_spec=metric_spec(entry.kind, num_items=entry.num_items),
        license=entry.license,
        source_url=entry.cases_url if entry.kind != "order" else entry.source_annotation_url,
        relative_folder=f"aro/{entry.name}",
        expected_counts=counts,
        info=entry,
        aliases=(mteb_name,) if mteb_name else (),
        mteb=(mteb_name, "default") if mteb_name else None,
    )


@dataclass(frozen=True)
class CaptionScores:
    """What an image-text scorer gives ARO: per case, one score per caption option (``cases[i].captions`` order).

    ``scores`` use the image as ARO shows it (the bounding-box crop for VG); ``whole_image_scores``
    (VG only) the whole image, as MTEB's copy holds it.
    """

    scores: Sequence[Sequence[float]]
    whole_image_scores: Sequence[Sequence[float]] | None = None


class AroBenchmark:
    """Vision-language compositionality: which caption an image-text model scores highest."""

    id = "aro"
    name = "ARO"
    description = "vision-language compositionality"
    capability: Capability = "image_text_scorer"
    metrics: Mapping[str, MetricDefinition] = ARO_DEFINITIONS
    main_metric = "macro_accuracy"  # VG sets; the order sets' main score is precision_at_1 (Task.main_score)
    fetch = None

    def tasks(self) -> list[Task[AroDataset]]:
        return [aro_task(entry) for entry in ARO_DATASETS]

    def missing_files(self, task: Task[AroDataset]) -> list[str]:
        return missing(task.info, task.folder)

    def load(self, task: Task[AroDataset]) -> LoadedData[AroData]:
        data = load_aro(task.info, task.folder, task.id)
        verify_counts(task, data.counts, sha256=data.sha256)
        return LoadedData(data, data.counts, data.sha256, relative_files(data.files))

    def evaluate(self, task: Task[AroDataset], data: AroData, predictions: CaptionScores) -> Evaluation:
        return Evaluation(evaluate_aro(task.info.kind, data.cases, predictions.scores, predictions.whole_image_scores))


BENCHMARK = AroBenchmark()
