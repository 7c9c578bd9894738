"""Freeze COCO-Order / Flickr30k-Order: ARO's word-order perturbations, written to a file once.

ARO (``dataset_zoo/aro_datasets.py`` ``COCO_Order``/``Flickr30k_Order`` with
``dataset_zoo/perturbations.py`` ``TextShuffler``) makes its order test sets at load time:
for every caption of the Karpathy test split, in file order, the options are

    [pre_caption(caption), pre_caption(shuffle_nouns_and_adj(caption)),
     pre_caption(shuffle_allbut_nouns_and_adj(caption)), pre_caption(shuffle_within_trigrams(caption)),
     pre_caption(shuffle_trigrams(caption))]

with ``max_words=30``.  The first two perturbations permute tokens chosen by spaCy's
``en_core_web_sm`` Penn tags (nouns NN/NNS/NNP/NNPS, adjectives JJ/JJR/JJS) with numpy's global
RNG; the last two shuffle NLTK ``word_tokenize`` trigrams with Python's ``random``.  ``main_aro.py``
seeds both with ``seed_all(1)`` before building the set.

We reproduce that procedure with private generators seeded the same way (a fresh
``np.random.RandomState(seed)`` and ``random.Random(seed)`` draw exactly what the seeded global
ones draw), so with the same spaCy model and NLTK the output equals ARO's.  A different spaCy
model can tag differently and so give different options: that is why the result is frozen into
``<name>_order_test.json`` (ARO's ``test_cases`` list: ``{"image", "caption_options"}``, the right
caption first) and the task reads only that file.  A file dumped from ARO's own
``COCO_Order(...).test_cases`` has the same format and can be used instead.

ARO pins none of spaCy, ``en_core_web_sm`` or NLTK, and their versions decide which
perturbations come out (the paper and a rerun of the official code differ by 1-1.5 points on
the order tasks; ARO issue #33).  So beside every file it writes, ``freeze`` records how it was
made in ``<name>_order_test.provenance.json``: the spaCy, ``en_core_web_sm``, NLTK, numpy and
Python versions, the seed, ``max_words``, the sha256 of the Karpathy file it read and of the
file it wrote.  The task's loader checks that the record belongs to the file and puts it in
every run's manifest (``order_options``).

Usage: ``python -m benchmarks.aro.perturb aro/coco-order [--seed 1]`` (needs ``spacy`` with
``en_core_web_sm`` and ``nltk`` with ``punkt``; they are needed only for this step).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.aro.loader import provenance_path
from common.errors import UserError

NOUN_TAGS = ("NN", "NNS", "NNP", "NNPS")
ADJECTIVE_TAGS = ("JJ", "JJR", "JJS")
MAX_WORDS = 30  # ARO's COCO_Order / Flickr30k_Order default

Tagger = Callable[[str], Sequence[tuple[str, str]]]  # text -> [(token, Penn tag)]
Tokenizer = Callable[[str], list[str]]


def pre_caption(caption: str, max_words: int = MAX_WORDS) -> str:
    """BLIP/ARO caption cleaning: lowercase, drop ``.!"()*#:;~``, squeeze spaces, cut to ``max_words``."""
    caption = re.sub(r"([.!\"()*#:;~])", " ", caption.lower())
    caption = re.sub(r"\s{2,}", " ", caption)
    caption = caption.rstrip("\n").strip(" ")
    words = caption.split(" ")
    if len(words) > max_words:
        caption = " ".join(words[:max_words])
    return caption


def trigrams(tokens: Sequence[str]) -> list[list[str]]:
    """Consecutive groups of three tokens, the last one shorter (as in ARO/context-ablations)."""
    return [list(tokens[start : start + 3]) for start in range(0, len(tokens), 3)]


class OrderPerturber:
    """ARO's four text perturbations, drawing from generators seeded like ``seed_all(seed)``."""

    def __init__(self, tagger: Tagger, word_tokenize: Tokenizer, seed: int = 1, provenance: Mapping[str, object] | None = None) -> None:
        self.tagger = tagger
        self.word_tokenize = word_tokenize
        self.seed = seed
        # what made the tagger and tokenizer (library and model versions), written beside the frozen file
        self.provenance = dict(provenance or {"tagger": "not spaCy: a tagger given by the caller", "tokenizer": "given by the caller"})
        self.np_rng = np.random.RandomState(seed)  # what np.random.seed(seed) makes global
        self.py_rng = random.Random(seed)  # what random.seed(seed) makes global

    def _tagged(self, text: str) -> tuple[np.ndarray, list[str]]:
        tagged = list(self.tagger(text))
        return np.array([token for token, _tag in tagged]), [tag for _token, tag in tagged]

    def shuffle_nouns_and_adj(self, text: str) -> str:
        tokens, tags = self._tagged(text)
        nouns = [i for i, tag in enumerate(tags) if tag in NOUN_TAGS]
        adjectives = [i for i, tag in enumerate(tags) if tag in ADJECTIVE_TAGS]
        tokens[nouns] = self.np_rng.permutation(tokens[nouns])
        tokens[adjectives] = self.np_rng.permutation(tokens[adjectives])
        return " ".join(tokens)

    def shuffle_allbut_nouns_and_adj(self, text: str) -> str:
        tokens, tags = self._tagged(text)
        others = np.array([tag not in NOUN_TAGS + ADJECTIVE_TAGS for tag in tags], dtype=bool)
        tokens[others] = self.np_rng.permutation(tokens[others])
        return " ".join(tokens)

    def shuffle_within_trigrams(self, text: str) -> str:
        groups = trigrams(self.word_tokenize(text))
        for group in groups:
            self.py_rng.shuffle(group)
        return " ".join(" ".join(group) for group in groups)

    def shuffle_trigrams(self, text: str) -> str:
        groups = trigrams(self.word_tokenize(text))
        self.py_rng.shuffle(groups)
        return " ".join(" ".join(group) for group in groups)

    def options(self, caption: str, max_words: int = MAX_WORDS) -> list[str]:
        perturbations = (self.shuffle_nouns_and_adj, self.shuffle_allbut_nouns_and_adj, self.shuffle_within_trigrams, self.shuffle_trigrams)
        return [pre_caption(caption, max_words)] + [pre_caption(perturb(caption), max_words) for perturb in perturbations]


def make_order_cases(annotation: list, perturber: OrderPerturber, source: str = "annotation") -> list[dict]:
    """ARO's ``test_cases``: one per caption, in file order, the right caption first."""
    cases = []
    for index, entry in enumerate(annotation):
        if not isinstance(entry, dict) or not isinstance(entry.get("image"), str) or not isinstance(entry.get("caption"), list):
            raise UserError(f"{source} item {index}: needs 'image' (a path) and 'caption' (a list), as the Karpathy split files have")
        for caption in entry["caption"]:
            cases.append({"image": entry["image"], "caption_options": perturber.options(str(caption))})
    return cases


def spacy_tagger() -> tuple[Tagger, dict[str, object]]:
    """spaCy's ``en_core_web_sm`` Penn tagger, as ARO's ``TextShuffler`` loads it, and its versions."""
    try:
        import spacy
    except ImportError as err:
        raise UserError("making an ARO order set needs spaCy: pip install spacy && python -m spacy download en_core_web_sm") from err
    try:
        nlp = spacy.load("en_core_web_sm")
    except OSError as err:
        raise UserError("spaCy's en_core_web_sm model is not installed: python -m spacy download en_core_web_sm") from err
    meta = getattr(nlp, "meta", {}) or {}
    info = {"spacy": str(spacy.__version__), "en_core_web_sm": str(meta.get("version")) if meta.get("version") else None}
    return (lambda text: [(token.text, token.tag_) for token in nlp(text)]), info


def nltk_tokenizer() -> tuple[Tokenizer, dict[str, object]]:
    """NLTK's ``word_tokenize`` (punkt), as ARO's trigram shuffles use it, and its version."""
    try:
        import nltk
    except ImportError as err:
        raise UserError("making an ARO order set needs NLTK: pip install nltk && python -m nltk.downloader punkt punkt_tab") from err
    try:
        nltk.word_tokenize("a test")
    except LookupError as err:
        raise UserError("NLTK's punkt tokenizer data is missing: python -m nltk.downloader punkt punkt_tab") from err
    return nltk.word_tokenize, {"nltk": str(nltk.__version__)}


def default_perturber(seed: int = 1) -> OrderPerturber:
    """ARO's perturbations with spaCy's en_core_web_sm and NLTK, their versions in the provenance."""
    tagger, tagger_info = spacy_tagger()
    tokenizer, tokenizer_info = nltk_tokenizer()
    return OrderPerturber(tagger, tokenizer, seed, provenance={**tagger_info, **tokenizer_info})


def provenance_record(perturber: OrderPerturber, source: Path, source_bytes: bytes, cases_bytes: bytes, task_id: str) -> dict:
    """What is written beside a frozen order file: every version and input that decides its options."""
    return {
        "task": task_id,
        "made_by": f"python -m benchmarks.aro.perturb {task_id} --seed {perturber.seed}",
        "procedure": (
            "ARO dataset_zoo/aro_datasets.py COCO_Order / Flickr30k_Order with dataset_zoo/perturbations.py TextShuffler "
            "(mertyg/vision-language-models-are-bows, compared at commit 81fdd20)"
        ),
        "seed": perturber.seed,
        "max_words": MAX_WORDS,
        "spacy": None,
        "en_core_web_sm": None,
        "nltk": None,
        **perturber.provenance,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "source": source.name,
        "source_sha256": hashlib.sha256(source_bytes).hexdigest(),
        "cases_sha256": hashlib.sha256(cases_bytes).hexdigest(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def freeze(task_id: str, *, seed: int = 1, perturber: OrderPerturber | None = None) -> Path:
    """Write the task's ``*_order_test.json`` from its Karpathy split file; returns the path."""
    from benchmarks.registry import get_task

    task = get_task(task_id)
    entry = task.info
    if task.benchmark != "aro" or entry.kind != "order":
        raise UserError(f"{task_id}: only aro/coco-order and aro/flickr30k-order are made from perturbations")
    source = task.folder / entry.source_annotation
    if not source.is_file():
        raise UserError(f"{task_id}: {source} is missing; download it from {entry.source_annotation_url}")
    try:
        source_bytes = source.read_bytes()
        annotation = json.loads(source_bytes)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{task_id}: cannot read {source} as JSON ({err}); download it again") from err
    if not isinstance(annotation, list):
        raise UserError(f"{source}: expected a JSON list of images with captions (the Karpathy split format)")
    perturber = perturber or default_perturber(seed)
    cases_bytes = json.dumps(make_order_cases(annotation, perturber, str(source))).encode("utf-8")
    record = provenance_record(perturber, source, source_bytes, cases_bytes, task_id)
    target = task.folder / entry.cases_file
    beside = provenance_path(target)
    # the cases file last: a crash in between leaves a record that the loader finds stale, never an unexplained file
    for path, payload in ((beside, json.dumps(record, indent=1).encode("utf-8")), (target, cases_bytes)):
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(payload)
        tmp.replace(path)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", help="aro/coco-order or aro/flickr30k-order")
    parser.add_argument("--seed", type=int, default=1, help="ARO's main_aro.py default: 1")
    args = parser.parse_args(argv)
    try:
        path = freeze(args.task, seed=args.seed)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{args.task}: wrote {path} and {provenance_path(path).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
