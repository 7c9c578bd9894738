from runners.lucene_analyzer import make_analyzer


def test_standard_tokenizer_like_splits_and_joins():
    analyze = make_analyzer(stemmer="none", stopwords="none")
    assert analyze("COVID-19 reduces p<0.05 in 3.5% of U.S. patients' cells") == [
        "covid",
        "19",
        "reduces",
        "p",
        "0.05",
        "in",
        "3.5",
        "of",
        "u.s",
        "patients",
        "cells",
    ]


def test_possessive_single_chars_and_lucene_stopwords():
    analyze = make_analyzer(stemmer="none", stopwords="lucene")
    assert analyze("The cell's T cell is a B cell") == ["cell", "t", "cell", "b", "cell"]


def test_porter_stemming():
    analyze = make_analyzer(stemmer="porter", stopwords="lucene")
    assert analyze("running fractures generalizations") == ["run", "fractur", "gener"]
