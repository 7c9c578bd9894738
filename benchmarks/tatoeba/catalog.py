"""The 112 LASER Tatoeba pairs ``<xxx>-eng`` (Artetxe & Schwenk, 2019) and their sizes.

Sizes are those of the release (``data/tatoeba/v1`` in facebookresearch/LASER): 1,000 sentence
pairs each, except the 40 listed in :data:`SHORT_PAIRS` ("1,000 English sentences and their
translations, if available").  They equal MTEB's per-subset ``num_samples`` for its Tatoeba task
(88,877 in all).
"""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
LANGUAGES: tuple[str, ...] = (
    "afr", "amh", "ang", "ara", "arq", "arz", "ast", "awa", "aze", "bel", "ben", "ber", "bos", "bre",
    "bul", "cat", "cbk", "ceb", "ces", "cha", "cmn", "cor", "csb", "cym", "dan", "deu", "dsb", "dtp",
    "ell", "epo", "est", "eus", "fao", "fin", "fra", "fry", "gla", "gle", "glg", "gsw", "heb", "hin",
    "hrv", "hsb", "hun", "hye", "ido", "ile", "ina", "ind", "isl", "ita", "jav", "jpn", "kab", "kat",
    "kaz", "khm", "kor", "kur", "kzj", "lat", "lfn", "lit", "lvs", "mal", "mar", "max", "mhr", "mkd",
    "mon", "nds", "nld", "nno", "nob", "nov", "oci", "orv", "pam", "pes", "pms", "pol", "por", "ron",
    "rus", "slk", "slv", "spa", "sqi", "srp", "swe", "swg", "swh", "tam", "tat", "tel", "tgl", "tha",
    "tuk", "tur", "tzl", "uig", "ukr", "urd", "uzb", "vie", "war", "wuu", "xho", "yid", "yue", "zsm",
)

SHORT_PAIRS: dict[str, int] = {
    "amh": 168, "ang": 134, "arq": 911, "arz": 477, "ast": 127, "awa": 231, "bos": 354, "ceb": 600,
    "cha": 137, "csb": 253, "cym": 575, "dsb": 479, "fao": 262, "fry": 173, "gla": 829, "gsw": 117,
    "hsb": 483, "hye": 742, "jav": 205, "kat": 746, "kaz": 575, "khm": 722, "kur": 410, "mal": 687,
    "max": 284, "mon": 440, "nov": 257, "orv": 835, "pms": 525, "slv": 823, "swg": 112, "swh": 390,
    "tam": 307, "tel": 234, "tha": 548, "tuk": 203, "tzl": 104, "uzb": 428, "xho": 142, "yid": 848,
}
# fmt: on

TOTAL_PAIRS = 88_877
FOLDER = "tatoeba/v1"
LICENSE = "CC BY 2.0 FR (Tatoeba terms of use)"
SOURCE_URL = "https://github.com/facebookresearch/LASER/tree/main/data/tatoeba/v1"
RAW_URL = "https://raw.githubusercontent.com/facebookresearch/LASER/main/data/tatoeba/v1/{name}"


def num_pairs(language: str) -> int:
    return SHORT_PAIRS.get(language, 1000)


def file_names(language: str) -> tuple[str, str]:
    """(the other language's file, the English file) of one pair, LASER's names."""
    return f"tatoeba.{language}-eng.{language}", f"tatoeba.{language}-eng.eng"


@dataclass(frozen=True)
class TatoebaLanguage:
    """One pair's catalogue entry: the other language's ISO 639-3 code and the pair's size."""

    code: str  # "deu": the task is tatoeba/deu-eng, searching deu -> eng
    pairs: int

    @classmethod
    def of(cls, code: str) -> TatoebaLanguage:
        return cls(code, num_pairs(code))


MTEB_TASK = "Tatoeba"  # MTEB's one task; each pair is its subset "<xxx>-eng"
# mteb's similar-task closure of Tatoeba is empty (tests/unit/test_task_identity.py checks it); the
# name itself is how model cards write the training set, and it covers every pair
SPELLINGS: tuple[str, ...] = ("Tatoeba",)
