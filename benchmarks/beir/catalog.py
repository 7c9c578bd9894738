"""Catalogue of the public, English BEIR datasets, as BEIR itself publishes them.

What is in here
---------------
The 15 datasets that BEIR's README marks as public (✅) and downloadable from the UKP server,
with CQADupStack expanded into its 12 StackExchange forums, i.e. 14 + 12 = 26 entries:

    msmarco, trec-covid, nfcorpus, nq, hotpotqa, fiqa, arguana, webis-touche2020,
    cqadupstack-{android, english, gaming, gis, mathematica, physics, programmers, stats,
    tex, unix, webmasters, wordpress}, quora, dbpedia-entity, scidocs, fever, climate-fever,
    scifact

Left out: the four sets BEIR marks as not public (❌, they need a licence or a rebuild from
sources): bioasq, signal1m, trec-news, robust04; and the non-English derivatives (mMARCO,
GermanQuAD, ...), which are not rows of the README table.

"18" in the BEIR paper abstract ("18 publicly available datasets") counts the zero-shot
evaluation sets, i.e. the 19 rows of the README table minus MS MARCO (which is the in-domain
training set); it *includes* the four licence-restricted sets and counts CQADupStack once.  The
public English subset is therefore 14 datasets without MS MARCO or 15 with it; Pyserini's BEIR
2CR page (``pyserini/2cr/beir.yaml``) runs 14 public + 4 restricted = 18 datasets (29 rows, with
CQADupStack as 12 forums) and has no MS MARCO row.  MS MARCO is kept here because BEIR ships it
in the same format and evaluates it on ``dev``.

Identical-id removal
--------------------
``remove_identical_ids`` is True for every entry.  Pyserini's 2CR commands for BEIR
(``pyserini/2cr/beir.yaml``: every condition, e.g. ``bm25-flat``, ``bm25-multifield``,
``splade-pp-ed``, ``contriever``) pass ``--remove-query``, which drops a hit whose doc id equals
the query id; BEIR's own ``EvaluateRetrieval.evaluate(..., ignore_identical_ids=True)`` does the
same by default ("For evaluation, we ignore identical query and document ids (default)").  The
reference scores we compare against are therefore computed with the rule on, and we must use it
too.  It only changes results where query ids and doc ids share one namespace -- ArguAna and
Quora, where a query is itself a corpus document (see ``notes``); MTEB likewise sets
``ignore_identical_ids = True`` on ArguAna, Quora, FiQA2018, FEVER and MSMARCO.  For the other
sets no shared ids are known, so the flag should be a no-op there.

Sources (every number below was read from one of these)
-------------------------------------------------------
[README]  beir-cellar/beir README.md, section "Available Datasets": dataset table with
          BEIR-Name, Public?, Type (qrels splits), Queries, Corpus (rounded), download link and
          md5 for every zip, incl. cqadupstack.zip ``4e41456d7df8ee7760a7f866133bda78``.  Also the
          older README "Benchmarking" table, which groups the datasets by domain.
[IRDS]    allenai/ir_datasets ``ir_datasets/etc/metadata.json`` (exact docs / queries / qrels
          counts for every ``beir/...`` id, incl. each ``beir/cqadupstack/<forum>``) and
          ``ir_datasets/datasets/beir.py`` (the qrels splits read from each zip:
          ``{ds}/qrels/{split}.tsv``).  Doc and query counts match the BEIR paper's Table 1 (e.g.
          scifact 5,183 / 300; the 12 forums sum to 457,199 docs and 13,145 queries, the README's
          CQADupStack row).
[MTEB]    embeddings-benchmark/mteb ``mteb/tasks/Retrieval/eng/*Retrieval.py`` task metadata
          (``license`` and ``descriptive_stats`` num_documents / num_queries, which agree with
          [IRDS] wherever both give them).
[2CR]     castorini/pyserini ``pyserini/2cr/beir.yaml`` (dataset list; ``--remove-query``).
[PAPER-E] BEIR paper (Thakur et al., NeurIPS 2021 D&B, arXiv:2104.08663), Appendix E: the
          authors of NFCorpus, FiQA-2018, Quora and Climate-FEVER "do not report the dataset
          license in the paper or a repository" (quoted from a summary of the paper; the
          appendix's per-dataset licence table itself was not available to read).
[SCIFACT] allenai/scifact LICENSE.md: claims/evidence annotations CC BY 4.0; corpus abstracts
          (S2ORC) ODC-By 1.0.

Licences: BEIR grants no licence of its own ("we do not vouch ... or claim that you have license
to use the dataset", README disclaimer).  Each ``license`` string says where it came from; where
no source read states one, it says "unverified".  Check upstream terms before redistributing.
"""

from __future__ import annotations

import difflib

from benchmarks.beir.catalog_types import BeirDataset
from benchmarks.beir.names import COMMON_SPELLINGS, MTEB_SIMILAR

__all__ = [
    "BEIR_BY_NAME",
    "BEIR_DATASETS",
    "COMMON_SPELLINGS",
    "CQADUPSTACK_ALIASES",
    "CQADUPSTACK_FORUMS",
    "CQADUPSTACK_GROUP",
    "MTEB_SIMILAR",
    "get_beir_dataset",
]

_BASE_URL = "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets"

_UNVERIFIED = "unverified (no licence stated in the sources read; check upstream)"
_NOT_REPORTED = "not reported by the dataset authors (BEIR paper, Appendix E)"

_SHARED_ID_NOTE = (
    "Query ids and doc ids share one namespace: each query is itself a corpus document, so "
    "without identical-id removal the query retrieves itself at rank 1. remove_identical_ids "
    "(Pyserini --remove-query / BEIR ignore_identical_ids) is essential here."
)


def _url(zip_name: str) -> str:
    return f"{_BASE_URL}/{zip_name}"


def _ds(
    name: str,
    *,
    md5: str,
    license: str,
    splits: tuple[str, ...],
    num_docs: int,
    num_queries: int,
    domain: str,
    test_split: str = "test",
    mteb_name: str,
    notes: str = "",
    aliases: tuple[str, ...] = (),
) -> BeirDataset:
    zip_name = f"{name}.zip"
    return BeirDataset(
        name=name,
        zip_name=zip_name,
        url=_url(zip_name),
        md5=md5,
        license=license,
        splits=splits,
        test_split=test_split,
        num_docs=num_docs,
        num_queries=num_queries,
        domain=domain,
        remove_identical_ids=True,
        notes=notes,
        aliases=aliases,
        mteb_name=mteb_name,
    )


# md5 of cqadupstack.zip as published in the BEIR README table [README].
_CQADUPSTACK_MD5 = "4e41456d7df8ee7760a7f866133bda78"

# (forum, corpus docs, test queries) -- [IRDS] metadata.json ``beir/cqadupstack/<forum>``.
# Sums: 457,199 docs and 13,145 queries, matching the README's CQADupStack row (457K / 13,145).
_CQADUPSTACK_COUNTS: tuple[tuple[str, int, int], ...] = (
    ("android", 22_998, 699),
    ("english", 40_221, 1_570),
    ("gaming", 45_301, 1_595),
    ("gis", 37_637, 885),
    ("mathematica", 16_705, 804),
    ("physics", 38_316, 1_039),
    ("programmers", 32_176, 876),
    ("stats", 42_269, 652),
    ("tex", 68_184, 2_906),
    ("unix", 47_382, 1_072),
    ("webmasters", 17_405, 506),
    ("wordpress", 48_605, 541),
)

CQADUPSTACK_FORUMS: tuple[str, ...] = tuple(forum for forum, _, _ in _CQADUPSTACK_COUNTS)
CQADUPSTACK_GROUP = "cqadupstack"  # the forums' aggregation group: BEIR and 2CR average them first, as one dataset
CQADUPSTACK_MTEB = "CQADupstackRetrieval"  # MTEB's task for the whole of CQADupStack (the mean over the forums)


def _cqadupstack(forum: str, num_docs: int, num_queries: int) -> BeirDataset:
    return BeirDataset(
        name=f"cqadupstack-{forum}",
        zip_name="cqadupstack.zip",
        url=_url("cqadupstack.zip"),
        md5=_CQADUPSTACK_MD5,
        license="Apache-2.0 (MTEB task metadata, CQADupstack*Retrieval)",
        splits=("test",),
        test_split="test",
        num_docs=num_docs,
        num_queries=num_queries,
        domain=f"duplicate-question retrieval (StackExchange: {forum})",
        subdir=f"cqadupstack/{forum}",
        remove_identical_ids=True,
        notes=("One forum of cqadupstack.zip (md5 is that of the whole zip); Pyserini 2CR scores each forum as its own row."),
        aliases=(f"cqadupstack/{forum}",),
        mteb_name=f"CQADupstack{forum.capitalize()}Retrieval",
        group=CQADUPSTACK_GROUP,
    )


BEIR_DATASETS: tuple[BeirDataset, ...] = (
    _ds(
        "msmarco",
        mteb_name="MSMARCO",
        md5="444067daf65d982533ea17ebd59501e4",
        license=_UNVERIFIED,
        splits=("train", "dev", "test"),
        test_split="dev",
        num_docs=8_841_823,
        num_queries=6_980,
        domain="web search (passage retrieval)",
        notes=(
            "In-domain training set of BEIR; evaluated on dev (6,980 queries). qrels/test.tsv "
            "has only 43 queries with graded qrels [IRDS]. Not on Pyserini's BEIR 2CR page."
        ),
        aliases=("ms-marco",),
    ),
    _ds(
        "trec-covid",
        mteb_name="TRECCOVID",
        md5="ce62140cb23feb9becf6270d0d1fe6d1",
        license=_UNVERIFIED,
        splits=("test",),
        num_docs=171_332,
        num_queries=50,
        domain="bio-medical (CORD-19 scientific articles)",
        notes=(
            "Pyserini's flat Lucene index (beir-v1.0.0-trec-covid.flat) reports 171,331 "
            "documents, one fewer than the 171,332 in corpus.jsonl."
        ),
        aliases=("treccovid",),
    ),
    _ds(
        "nfcorpus",
        mteb_name="NFCorpus",
        md5="a89dba18a62ef92f7d323ec890a0d38d",
        license=_NOT_REPORTED,
        splits=("train", "dev", "test"),
        num_docs=3_633,
        num_queries=323,
        domain="bio-medical (nutrition / medical IR)",
        notes="Graded relevance (1, 2).",
    ),
    _ds(
        "nq",
        mteb_name="NQ",
        md5="d4d3d2e48787a744b6f6e691ff534307",
        license="CC BY-NC-SA 3.0 (MTEB task metadata, NQ)",
        splits=("test",),
        num_docs=2_681_468,
        num_queries=3_452,
        domain="question answering (Wikipedia)",
        notes=(
            "The BEIR README lists train+test for NQ, but ir_datasets reads only "
            "qrels/test.tsv from nq.zip; no train qrels are assumed in this zip."
        ),
        aliases=("natural-questions",),
    ),
    _ds(
        "hotpotqa",
        mteb_name="HotpotQA",
        md5="f412724f78b0d91183a0e86805e16114",
        license="CC BY-SA 4.0 (MTEB task metadata, HotpotQA)",
        splits=("train", "dev", "test"),
        num_docs=5_233_329,
        num_queries=7_405,
        domain="multi-hop question answering (Wikipedia)",
    ),
    _ds(
        "fiqa",
        mteb_name="FiQA2018",
        md5="17918ed23cd04fb15047f73e6c3bd9d9",
        license=_NOT_REPORTED,
        splits=("train", "dev", "test"),
        num_docs=57_638,
        num_queries=648,
        domain="finance (opinion QA, FiQA-2018)",
        aliases=("fiqa-2018", "fiqa2018"),
    ),
    _ds(
        "arguana",
        mteb_name="ArguAna",
        md5="8ad3e3c2a5867cdced806d6503f29b99",
        license=_UNVERIFIED,
        splits=("test",),
        num_docs=8_674,
        num_queries=1_406,
        domain="argument retrieval (counter-arguments)",
        notes=_SHARED_ID_NOTE,
    ),
    _ds(
        "webis-touche2020",
        mteb_name="Touche2020",
        md5="46f650ba5a527fc69e0a6521c5a23563",
        license="CC BY-SA 4.0 (MTEB task metadata, Touche2020)",
        splits=("test",),
        num_docs=382_545,
        num_queries=49,
        domain="argument retrieval (args.me, controversial questions)",
        notes=(
            "md5 is the one in the current BEIR README. ir_datasets knows two versions "
            "(beir/webis-touche2020 and .../v2, same 382,545 docs and 49 queries, different "
            "qrels); which one this md5 is was not verified. Graded relevance."
        ),
        aliases=("touche2020", "touche-2020", "webis-touche-2020"),
    ),
    *(_cqadupstack(forum, docs, queries) for forum, docs, queries in _CQADUPSTACK_COUNTS),
    _ds(
        "quora",
        mteb_name="QuoraRetrieval",
        md5="18fb154900ba42a600f84b839c173167",
        license=_NOT_REPORTED,
        splits=("dev", "test"),
        num_docs=522_931,
        num_queries=10_000,
        domain="duplicate-question retrieval (Quora)",
        notes=_SHARED_ID_NOTE,
    ),
    _ds(
        "dbpedia-entity",
        mteb_name="DBPedia",
        md5="c2a39eb420a3164af735795df012ac2c",
        license=_UNVERIFIED,
        splits=("dev", "test"),
        num_docs=4_635_922,
        num_queries=400,
        domain="entity retrieval (DBpedia-Entity v2)",
        notes="Graded relevance (0, 1, 2).",
        aliases=("dbpedia",),
    ),
    _ds(
        "scidocs",
        mteb_name="SCIDOCS",
        md5="38121350fc3a4d2f48850f6aff52e4a9",
        license="CC BY-SA 4.0 (MTEB task metadata, SCIDOCS)",
        splits=("test",),
        num_docs=25_657,
        num_queries=1_000,
        domain="scientific (citation prediction)",
    ),
    _ds(
        "fever",
        mteb_name="FEVER",
        md5="5a818580227bfb4b35bb6fa46d9b6c03",
        license=_UNVERIFIED,
        splits=("train", "dev", "test"),
        num_docs=5_416_568,
        num_queries=6_666,
        domain="claim verification (Wikipedia)",
    ),
    _ds(
        "climate-fever",
        mteb_name="ClimateFEVER",
        md5="8b66f0a9126c521bae2bde127b4dc99d",
        license=_NOT_REPORTED,
        splits=("test",),
        num_docs=5_416_593,
        num_queries=1_535,
        domain="claim verification (climate change, Wikipedia)",
        notes=("Licence: BEIR paper Appendix E says the authors report none; MTEB's ClimateFEVER.v2 task metadata states CC BY-SA 4.0."),
        aliases=("climate_fever", "climatefever"),
    ),
    _ds(
        "scifact",
        mteb_name="SciFact",
        md5="5f7d1de60b170fc8027bb7898e2efca1",
        license=("claims/qrels CC BY 4.0; corpus (S2ORC abstracts) ODC-By 1.0 (allenai/scifact LICENSE.md)"),
        splits=("train", "test"),
        num_docs=5_183,
        num_queries=300,
        domain="scientific claim verification (bio-medical abstracts)",
        notes=(
            "Licence: some third parties cite CC BY-NC 2.0 for SciFact; the upstream "
            "LICENSE.md read here says CC BY 4.0 (claims) + ODC-By 1.0 (corpus)."
        ),
    ),
)

BEIR_BY_NAME: dict[str, BeirDataset] = {ds.name: ds for ds in BEIR_DATASETS}

# Names of CQADupStack as a whole: a model trained on it is not zero-shot on any forum.
CQADUPSTACK_ALIASES: tuple[str, ...] = ("CQADupStack", CQADUPSTACK_MTEB, *MTEB_SIMILAR[CQADUPSTACK_MTEB])

_BY_ALIAS: dict[str, BeirDataset] = {alias: ds for ds in BEIR_DATASETS for alias in ds.aliases}


def get_beir_dataset(name: str) -> BeirDataset:
    """Return the catalogue entry for ``name`` (a BEIR name, an alias, or ``beir/<name>``).

    Raises ``KeyError`` with close-match suggestions when nothing matches.
    """
    key = name.strip().lower()
    key = key.removeprefix("beir/")
    if key in BEIR_BY_NAME:
        return BEIR_BY_NAME[key]
    if key in _BY_ALIAS:
        return _BY_ALIAS[key]
    candidates = [*BEIR_BY_NAME, *_BY_ALIAS]
    close = difflib.get_close_matches(key, candidates, n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown BEIR dataset {name!r}{hint}")


def _check_catalogue() -> None:
    names = [ds.name for ds in BEIR_DATASETS]
    if len(names) != len(set(names)):
        raise AssertionError("duplicate BEIR dataset names")
    clash = set(_BY_ALIAS) & set(BEIR_BY_NAME)
    if clash:
        raise AssertionError(f"aliases shadow names: {sorted(clash)}")
    for ds in BEIR_DATASETS:
        if ds.test_split not in ds.splits:
            raise AssertionError(f"{ds.name}: test_split {ds.test_split!r} not in {ds.splits}")


_check_catalogue()
