"""ARO: one task per test set, scored under the ARO paper's definition (main) and MTEB's (the contract's ``BENCHMARK``).

What the image-text runner scores is described here (:meth:`AroBenchmark.views`): every case's
caption options against its image as ARO shows it (the bounding-box crop on the VG sets, the
whole image on the order sets), and on the VG sets against the whole image as well, which is
what MTEB's copy holds (``text_acc``).  The runner embeds each distinct image of every view once
and hands the option scores back per view (:class:`benchmarks.contract.CaptionScores`).
"""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks.aro.catalog import ARO_DATASETS, AroDataset
from benchmarks.aro.loader import AroData, load_aro, missing
from benchmarks.aro.metrics import ARO_DEFINITIONS, evaluate_aro, main_metric, metric_names, metric_spec
from benchmarks.contract import (
    SHOWN,
    WHOLE,
    Capability,
    CaptionScores,
    Evaluation,
    ImageView,
    LoadedData,
    MetricDefinition,
    Task,
    relative_files,
    verify_counts,
)

__all__ = ["BENCHMARK", "CaptionScores", "ImageView", "aro_task"]

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

    def views(self, task: Task[AroDataset]) -> tuple[ImageView, ...]:
        """The views each case is scored in, the one ARO shows first: the VG sets add the whole image."""
        return (SHOWN,) if task.info.kind == "order" else (SHOWN, WHOLE)

    def load(self, task: Task[AroDataset]) -> LoadedData[AroData]:
        data = load_aro(task.info, task.folder, task.id)
        verify_counts(task, data.counts, sha256=data.sha256)
        return LoadedData(data, data.counts, data.sha256, relative_files(data.files))

    def evaluate(self, task: Task[AroDataset], data: AroData, predictions: CaptionScores) -> Evaluation:
        return Evaluation(evaluate_aro(task.info.kind, data.cases, predictions.scores, predictions.whole_image_scores))


BENCHMARK = AroBenchmark()
