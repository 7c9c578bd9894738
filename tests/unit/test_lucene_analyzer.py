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


def test_term_ids_are_the_analysers_terms_in_order():
    from runners.lucene_analyzer import TermIds

    texts = [
        "The patient's blood-pressure rose 3.5 times, e.g. in 1,000 cases.",
        "Patients' pressures: the rise isn't linear; RISES were seen.",
        "",
    ]
    analyze = make_analyzer(stemmer="porter", stopwords="lucene")
    terms = TermIds(stemmer="porter", stopwords="lucene")
    ids = [terms.ids(text) for text in texts]
    words = {i: w for w, i in terms.vocab.items()}
    assert [[words[i] for i in row] for row in ids] == [analyze(text) for text in texts]
    query = terms.ids("rising pressure of unseen zebras", grow=False)
    assert [words[i] for i in query] == [t for t in analyze("rising pressure of unseen zebras") if t in terms.vocab]
    assert "zebra" not in terms.vocab  # queries never grow the vocabulary
