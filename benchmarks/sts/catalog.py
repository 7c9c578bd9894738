"""The seven English STS test sets that MTEB reports, as their original releases ship them.

Which sub-files make up each year is fixed here, not globbed from the folder: it is part of the
task's definition (STS13 without the LDC-only ``SMT`` subset, as in SentEval and MTEB), and a
stray extra file in the folder must not silently change the task.  The pair counts are MTEB's
``num_samples`` for the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

STS_MIN_SCORE = 0.0
STS_MAX_SCORE = 5.0  # MTEB normalises gold as (score - 0) / (5 - 0) for all seven sets, SICK-R included


@dataclass(frozen=True)
class StsDataset:
    """One STS test set: where its files are, how they are laid out, what MTEB calls it."""

    name: str  # task suffix: the task id is ``sts/<name>``
    folder: str  # under the data dir
    layout: str  # "semeval" | "stsbenchmark" | "sick"
    num_pairs: int  # gold-scored pairs evaluated (MTEB's test num_samples, SICK-R excepted)
    mteb_name: str
    license: str
    source_url: str
    prefix: str = "STS"  # semeval: file names ``<prefix>.input.<subset>.txt`` / ``<prefix>.gs.<subset>.txt``
    subsets: tuple[str, ...] = ()  # semeval sub-files, pooled in this order
    data_note: str = ""  # how our files differ from the copy MTEB scores, if they do
    spellings: tuple[str, ...] = ()  # how model cards write it as training data, beyond MTEB's names


# MTEB's Hugging Face copies of STS12-16 (mteb/sts1x-sts) hold SentEval's Moses-tokenised text:
# their character counts (mteb/descriptive_stats/STS/STS1x.json) are 1.7-2.6% larger than the
# original release's and a few distinct sentences merge.  Gold scores and pair counts are equal.
_TOKENISED_NOTE = (
    "MTEB scores SentEval's Moses-tokenised copy of these sentences (mteb/{hf}); we read the untokenised original release. "
    "Same pairs, same gold scores (MTEB's descriptive statistics: {n:,} pairs, equal mean gold); only the text's tokenisation differs."
)

STS_DATASETS: tuple[StsDataset, ...] = (
    StsDataset(
        name="sts12",
        folder="sts/sts12",
        layout="semeval",
        num_pairs=3108,
        mteb_name="STS12",
        license="research use; MSRpar/MSRvid under the Microsoft Research licence (see 00-readme.txt)",
        source_url="http://ixa2.si.ehu.es/stswiki/images/4/40/STS2012-en-test.zip",
        subsets=("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
        data_note=_TOKENISED_NOTE.format(hf="sts12-sts", n=3108),
    ),
    StsDataset(
        name="sts13",
        folder="sts/sts13",
        layout="semeval",
        num_pairs=1500,
        mteb_name="STS13",
        license="research use (see 00-readme.txt); the SMT subset is LDC-only and not part of the task",
        source_url="http://ixa2.si.ehu.es/stswiki/images/2/2f/STS2013-en-test.zip",
        subsets=("FNWN", "headlines", "OnWN"),
        data_note=_TOKENISED_NOTE.format(hf="sts13-sts", n=1500),
    ),
    StsDataset(
        name="sts14",
        folder="sts/sts14",
        layout="semeval",
        num_pairs=3750,
        mteb_name="STS14",
        license="research use; per-source terms in 00-readme.txt (images: CC BY-SA)",
        source_url="http://ixa2.si.ehu.es/stswiki/images/8/8c/STS2014-en-test.zip",
        subsets=("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
        data_note=_TOKENISED_NOTE.format(hf="sts14-sts", n=3750),
    ),
    StsDataset(
        name="sts15",
        folder="sts/sts15",
        layout="semeval",
        num_pairs=3000,
        mteb_name="STS15",
        license="research use; answers-forums CC BY-SA 3.0 with attribution",
        source_url="http://ixa2.si.ehu.es/stswiki/images/d/da/STS2015-en-test.zip",
        subsets=("answers-forums", "answers-students", "belief", "headlines", "images"),
        data_note=_TOKENISED_NOTE.format(hf="sts15-sts", n=3000),
    ),
    StsDataset(
        name="sts16",
        folder="sts/sts16",
        layout="semeval",
        num_pairs=1186,
        mteb_name="STS16",
        license="research use; StackExchange parts CC BY-SA 3.0 (see LICENSE.txt)",
        source_url="http://ixa2.si.ehu.es/stswiki/images/9/98/STS2016-en-test.zip",
        prefix="STS2016",
        subsets=("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
        data_note=_TOKENISED_NOTE.format(hf="sts16-sts", n=1186),
    ),
    StsDataset(
        name="stsb",
        folder="sts/stsbenchmark",
        layout="stsbenchmark",
        num_pairs=1379,
        mteb_name="STSBenchmark",
        spellings=("STS-B", "STSb", "STS Benchmark"),
        license="CC BY-SA 4.0 (scores); sentences under their sources' licences (see LICENSE.txt)",
        source_url="http://ixa2.si.ehu.es/stswiki/images/4/48/Stsbenchmark.tar.gz",
        data_note="identical to MTEB's copy (mteb/stsbenchmark-sts test): same 1,379 pairs, same characters, same gold.",
    ),
    StsDataset(
        name="sick-r",
        folder="sts/sick",
        layout="sick",
        num_pairs=9840,
        mteb_name="SICK-R",
        spellings=("SICK", "SICK-R"),
        license="CC BY-NC-SA 3.0 (non-commercial)",
        source_url="http://marcobaroni.org/composes/sick.html",
        data_note=(
            "MTEB's SICK-R 'test' (mteb/sickr-sts) is all 9,927 pairs of the SemEval-2014 task files, every split together. "
            "We score all 9,840 pairs of the final SICK.txt release (TRAIN+TRIAL+TEST), which lacks 87 of those pairs "
            "(61 train, 5 trial, 21 test). Expect about +0.0007 against MTEB's cosine Spearman for all-MiniLM-L6-v2 "
            "(0.7765 vs 0.7758); scoring only SICK.txt's TEST split (4,906 pairs) would give a different number (0.7715)."
        ),
    ),
)


# MTEB task name -> the other MTEB tasks mteb counts as the same data (its adapted_from /
# superseded_by closure, ``mteb.models.model_meta._collect_similar_tasks``), frozen so that the
# runtime never imports mteb; tests/unit/test_task_identity.py checks it against the installed mteb.
MTEB_SIMILAR: dict[str, tuple[str, ...]] = {
    "STS12": ("HUMESTS12",),
    "STS13": (),
    "STS14": (),
    "STS15": (),
    "STS16": (),
    "STSBenchmark": ("HUMESTSBenchmark", "STSBenchmark-VN", "STSBenchmark.v2"),
    "SICK-R": ("HUMESICK-R", "SICK-R-VN"),
}
