"""STS scores exactly as MTEB computes them (``mteb.abstasks.sts.AbsTaskSTS`` + ``AnySTSEvaluator``).

For each pair the two sentence embeddings are compared four ways, and each comparison is
correlated with the gold scores over *all pairs of the task at once* (a year's sub-files are
pooled, as MTEB does; this is not SemEval's per-subset weighted mean):

=====================  ==================================================================
cosine                 ``1 - sklearn.metrics.pairwise.paired_cosine_distances``
manhattan              ``- paired_manhattan_distances``  (negated: larger = more similar)
euclidean              ``- paired_euclidean_distances``
dot                    ``x · y``  (MTEB v1 reported it; v2 folds it into the model's own)
model (no prefix)      the model config's ``similarity`` (cosine or dot) computed as MTEB's
                       ``similarity_pairwise`` does, as MTEB v2's ``pearson``/``spearman``
=====================  ==================================================================

All four are computed in the embeddings' own precision (float32), exactly as MTEB computes them.

Pearson is ``scipy.stats.pearsonr`` and Spearman ``scipy.stats.spearmanr`` (average ranks for
ties), the functions MTEB calls.  Gold scores are normalised to ``(score − min) / (max − min)``
as MTEB does (0-5 for every set here); correlations do not depend on it.

Per-item values: a correlation is not a mean of per-pair values, so each score's ``per_query``
holds, per pair id, the model's similarity under that score's function, and the run's item data
``gold`` (table ``run_items``) the normalised gold per pair.  A bootstrap or paired test resamples
pair ids and recomputes the correlation from these two maps.  :func:`evaluate_sts` still hands the
gold back under :data:`GOLD_SCORE` for the runner written before item data: ``StsBenchmark.evaluate``
takes it out as ``Evaluation.item_data``, and ``leaderboard.store`` takes it out of that runner's
scores, so it is never stored as a score.  The entry goes once every runner calls
``BENCHMARK.evaluate`` (issue 13, the runners' part).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import pearsonr, spearmanr

from benchmarks.contract import DATA_DIFFERENCE_KEY
from benchmarks.metrics.definition import MetricDefinition
from benchmarks.metrics.retrieval import MetricResult

SIMILARITIES = ("cosine", "manhattan", "euclidean", "dot")
STS_METRICS: tuple[str, ...] = (
    "cosine_spearman",
    "cosine_pearson",
    "spearman",
    "pearson",
    "manhattan_spearman",
    "manhattan_pearson",
    "euclidean_spearman",
    "euclidean_pearson",
    "dot_spearman",
    "dot_pearson",
)
MAIN_STS_METRIC = "cosine_spearman"
GOLD_SCORE = "gold_score"  # not a metric: the per-pair gold, handed back for item data (see the module docstring)

_SIMILARITY_WORDS = {
    "cosine": ("cos", "cosine similarity"),
    "": ("", "the model config's own similarity (cosine or dot), as MTEB v2"),
    "manhattan": ("manhattan", "negated L1 distance"),
    "euclidean": ("euclidean", "negated L2 distance"),
    "dot": ("dot", "dot product of the raw embeddings"),
}


def _sts_definition(metric: str) -> MetricDefinition:
    prefix, _, kind = metric.rpartition("_") if "_" in metric else ("", "", metric)
    short, words = _SIMILARITY_WORDS[prefix]
    correlation = "Spearman" if kind == "spearman" else "Pearson"
    label = f"{correlation} ({short})" if short else correlation
    what = "rank correlation (Spearman rho, average ranks)" if kind == "spearman" else "linear correlation (Pearson r)"
    return MetricDefinition(
        metric, label, f"{what} of the per-pair {words} with the normalised gold scores, over all pairs", "correlation", kind
    )


STS_DEFINITIONS: dict[str, MetricDefinition] = {metric: _sts_definition(metric) for metric in STS_METRICS}


def _as_float(matrix: np.ndarray) -> np.ndarray:
    """The embeddings in their own precision (float32 from our encoders), half precision upcast as MTEB does."""
    array = np.asarray(matrix)
    if not np.issubdtype(array.dtype, np.floating) or array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    return array


def pair_similarities(embeddings1: np.ndarray, embeddings2: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pair cosine, negated manhattan, negated euclidean (scikit-learn's paired functions, as MTEB) and dot.

    Computed in the embeddings' own precision, as MTEB does: in float32, nearly equal
    similarities collapse into ties that float64 would separate, and Spearman sees the difference.
    """
    # imported here, not at the top: the task registry (leaderboard data list) must not need scikit-learn
    from sklearn.metrics.pairwise import paired_cosine_distances, paired_euclidean_distances, paired_manhattan_distances

    x, y = _as_float(embeddings1), _as_float(embeddings2)
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"embeddings must be two (pairs × dim) arrays of one shape, got {x.shape} and {y.shape}")
    return {
        "cosine": 1 - paired_cosine_distances(x, y),
        "manhattan": -paired_manhattan_distances(x, y),
        "euclidean": -paired_euclidean_distances(x, y),
        "dot": np.sum(x * y, axis=1),
    }


def model_similarity(embeddings1: np.ndarray, embeddings2: np.ndarray, similarity: str) -> np.ndarray:
    """The model's own pairwise similarity as MTEB's ``similarity_pairwise`` computes it (float32).

    Cosine is ``pairwise_cos_sim``: each row divided by max(‖row‖, 1e-12), then the dot product;
    it can differ from scikit-learn's cosine in the last bits, hence its own function.  MTEB sums
    with torch, numpy sums in another order: the last bit can differ, which moves a Spearman
    over a few hundred pairs by ~1e-6 when two pairs are that close.
    """
    x, y = _as_float(embeddings1), _as_float(embeddings2)
    if similarity == "cosine":
        eps = np.asarray(1e-12, dtype=x.dtype)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)
        y = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), eps)
    return np.sum(x * y, axis=1)


def _correlations(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():  # a constant input gives nan, as in MTEB; the warning adds nothing
        warnings.simplefilter("ignore")
        return float(pearsonr(gold, predicted)[0]), float(spearmanr(gold, predicted)[0])


def evaluate_sts(
    embeddings1: np.ndarray,
    embeddings2: np.ndarray,
    gold: Sequence[float],
    pair_ids: Sequence[str],
    *,
    similarity: str = "cosine",
    min_score: float = 0.0,
    max_score: float = 5.0,
    own_similarity: np.ndarray | None = None,
) -> dict[str, MetricResult]:
    """Pearson and Spearman of every similarity against the gold scores; see the module docstring.

    ``own_similarity``: the model's own per-pair similarity when the caller computed it (the
    runner does, with torch exactly as MTEB, so that even float32 rounding agrees); otherwise
    :func:`model_similarity`'s numpy equivalent.
    """
    if similarity not in ("cosine", "dot"):
        raise ValueError(f"similarity must be cosine or dot, not {similarity!r}")
    if not len(pair_ids) == len(gold) == len(embeddings1):
        raise ValueError("embeddings, gold scores and pair ids must have one entry per pair")
    if len(set(pair_ids)) != len(pair_ids):
        raise ValueError("pair ids must be unique")
    if len(pair_ids) < 2:
        raise ValueError("a correlation needs at least two pairs")
    normalised = (np.asarray(gold, dtype=np.float64) - min_score) / (max_score - min_score)
    sims = pair_similarities(embeddings1, embeddings2)
    own = model_similarity(embeddings1, embeddings2, similarity) if own_similarity is None else np.asarray(own_similarity)
    if own.shape != (len(pair_ids),):
        raise ValueError("own_similarity must hold one value per pair")
    ids = [str(pair_id) for pair_id in pair_ids]

    def per_pair(values: np.ndarray) -> dict[str, float]:
        return dict(zip(ids, values.tolist(), strict=True))

    results: dict[str, MetricResult] = {}
    for prefix, values in (*sims.items(), ("", own)):
        values = np.asarray(values, dtype=np.float64)  # float32 values, exactly; MTEB passes them as Python floats
        pearson, spearman = _correlations(normalised, values)
        name = f"{prefix}_" if prefix else ""
        per_query = per_pair(values)
        results[f"{name}spearman"] = MetricResult(spearman, per_query)
        results[f"{name}pearson"] = MetricResult(pearson, per_query)
    ordered = {metric: results[metric] for metric in STS_METRICS}
    ordered[GOLD_SCORE] = MetricResult(float(normalised.mean()), per_pair(normalised))
    return ordered


def metric_spec(*, split: str, pairs: int, subsets: list[str] | dict[str, int], data_note: str) -> dict[str, object]:
    """The exact definition recorded with every STS score."""
    return {
        "library": "scipy.stats.pearsonr / spearmanr over per-pair similarities (MTEB AbsTaskSTS semantics)",
        "main_score": MAIN_STS_METRIC,
        "metrics": {
            "cosine_spearman": "Spearman rho of cosine similarity vs gold (main)",
            "cosine_pearson": "Pearson r of cosine similarity vs gold",
            "spearman / pearson": "the same with the model config's similarity function (cosine or dot), as MTEB v2",
            "manhattan_*": "with the negated L1 distance",
            "euclidean_*": "with the negated L2 distance",
            "dot_*": "with the dot product of the raw embeddings",
        },
        "cosine": "1 - scikit-learn paired_cosine_distances; distances with paired_manhattan/euclidean_distances; float32 as MTEB",
        "correlation": "one correlation over all pairs of the split; sub-files pooled (MTEB), not SemEval's weighted mean per subset",
        "ties": "Spearman uses average ranks (scipy)",
        "gold": "only gold-scored pairs (a blank gold line = unscored, skipped); normalised (score - 0) / (5 - 0) as MTEB",
        "split": split,
        "pairs": pairs,
        "subsets": subsets,  # sub-files pooled (the run's copy holds the pairs read from each)
        "encoding": (
            "every distinct sentence of the task encoded once, both sides with the model config's query_prompt "
            "(a symmetric task: MTEB encodes both sides alike with prompt_type None; e5-style models use their 'query: ' prefix)"
        ),
        "per_query": (
            "per pair id, the model's similarity under each score's function; the run's item data 'gold' holds the normalised gold "
            "per pair. "
            "Confidence intervals resample pairs and recompute the correlation from the two maps."
        ),
        DATA_DIFFERENCE_KEY: data_note,
    }
