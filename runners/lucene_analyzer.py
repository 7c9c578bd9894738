"""A pure-Python approximation of Anserini's default English analyzer, for bm25s.

Lucene (``DefaultEnglishAnalyzer``): StandardTokenizer (Unicode UAX#29 word boundaries) →
EnglishPossessiveFilter → LowerCaseFilter → StopFilter (Lucene's 33 English stop words) →
PorterStemFilter.  We reproduce each step:

- tokens follow UAX#29's main rules: runs of letters/digits/underscore, joined across ``.``,
  ``'``, ``’`` or ``:`` between letters ("e.g", "don't") and across ``.``, ``,``, ``'`` or ``;``
  between digits ("3.5", "1,000"); single-character tokens are kept (bm25s' default pattern
  drops them, Lucene does not);
- a trailing ``'s`` is removed, then lower-casing;
- Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` (below), not NLTK's longer list;
- Porter stemming through PyStemmer's ``porter`` (Snowball's rendering of the original Porter
  algorithm, as Lucene's PorterStemmer).

Known remaining differences from Lucene: UAX#29's rarer rules (Katakana, Hebrew letters,
emoji, ``WB13`` extend-num-let across scripts); Lucene's 255-char token limit; and, in scoring,
Lucene's lossy one-byte encoding of document lengths, which bm25s does not imitate.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LUCENE_ENGLISH_STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    }
)

_TOKEN = re.compile(
    r"\w+(?:(?:(?<=[^\W\d_])[.'’:](?=[^\W\d_])|(?<=\d)[.,'’;](?=\d))\w+)*",
    re.UNICODE,
)
_POSSESSIVE = re.compile(r"['’][sS]$")


def _token_analyser(stemmer: str, stopwords: str) -> Callable[[str], str | None]:
    """One surface form -> its analysed term, or None when the stop list drops it."""
    stem = None
    if stemmer != "none":
        import Stemmer

        stem = Stemmer.Stemmer(stemmer).stemWord
    if stopwords == "lucene":
        stops = LUCENE_ENGLISH_STOP_WORDS
    elif stopwords == "en":
        import bm25s.stopwords

        stops = frozenset(bm25s.stopwords.STOPWORDS_EN)
    else:
        stops = frozenset()

    def analyse_token(raw: str) -> str | None:
        token = _POSSESSIVE.sub("", raw).lower()
        if not token or token in stops:
            return None
        return stem(token) if stem else token

    return analyse_token


def make_analyzer(stemmer: str = "porter", stopwords: str = "lucene") -> Callable[[str], list[str]]:
    """A function text -> analysed tokens, with the chosen stemmer and stop list."""
    analyse_token = _token_analyser(stemmer, stopwords)
    # the same surface form always analyses the same way: memoise it (most tokens repeat)
    analysed: dict[str, str | None] = {}

    def analyze(text: str) -> list[str]:
        tokens = []
        for raw in _TOKEN.findall(text):
            token = analysed.get(raw, "")
            if token == "":
                token = analysed[raw] = analyse_token(raw)
            if token is not None:
                tokens.append(token)
        return tokens

    return analyze


class TermIds:
    """Text -> term ids over a vocabulary, the analyser's output as bm25s indexes it.

    The hot loop of BM25 indexing in pure Python, so it does as little per token as it can:
    each new surface form is analysed once (found with a set difference, in C), and a text
    becomes ids by one dict lookup per token.  The terms and their order are exactly those of
    :func:`make_analyzer`.  Index first (``grow=True``), then queries (``grow=False``: a term
    the corpus lacks is dropped, as it could not score).
    """

    def __init__(self, stemmer: str = "porter", stopwords: str = "lucene") -> None:
        self._analyse_token = _token_analyser(stemmer, stopwords)
        self.vocab: dict[str, int] = {}
        self._ids: dict[str, int] = {}  # surface form -> term id; -1 = dropped

    def ids(self, text: str, *, grow: bool = True) -> list[int]:
        forms = _TOKEN.findall(text)
        known = self._ids
        for form in set(forms).difference(known):
            term = self._analyse_token(form)
            if term is None:
                known[form] = -1
            elif grow:
                known[form] = self.vocab.setdefault(term, len(self.vocab))
            else:
                known[form] = self.vocab.get(term, -1)
        return [i for i in map(known.__getitem__, forms) if i >= 0]
