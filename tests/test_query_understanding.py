"""Query understanding: clinical shorthand spelled out for the sentence model, and the speller leaving real words
that the corpus lacks alone (they count against scope instead)."""
from __future__ import annotations

import pytest

from index.spelling import Speller, count_terms, english
from index.vocabulary import Vocabulary, _norm


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


# ---------------------------------------------------------------- shorthand spelled out (no model)


def test_abbreviations_clippings_and_brands_are_spelled_out(vocab):
    out = vocab.spelled_out("bup micro induction from 90 MME oxy")
    assert out.startswith("bup (buprenorphine) micro induction")
    assert "MME (morphine milligram equivalent" in out and out.endswith("oxy (oxycodone)")
    assert vocab.spelled_out("switch Percocet to Dilaudid") == \
        "switch Percocet (oxycodone) to Dilaudid (hydromorphone)"
    assert "(urine drug test)" in vocab.spelled_out("UDS positive for fentanyl")
    assert "(opioid agonist therapy)" in vocab.spelled_out("OAT options")
    assert "(methadone)" in vocab.spelled_out("MMT dose check")
    assert "(hydromorphone)" in vocab.spelled_out("oxy to hydromorph")
    assert vocab.spelled_out("seen in the ER") == "seen in the ER"  # emergency room, not extended-release
    assert "(extended-release)" in vocab.spelled_out("oxycodone CR") and \
        "(immediate-release)" in vocab.spelled_out("oxycodone IR")


def test_ordinary_words_and_words_already_spelled_out_are_left_alone(vocab):
    for q in ("oat milk allergy", "cows milk protein", "med review for a new patient", "knee pain exercise",
              "taper plan for long-term opioids", "sleep hygiene"):
        assert vocab.spelled_out(q) == q
    # the full name is in the question already: nothing is added
    assert vocab.spelled_out("buprenorphine (Suboxone) dosing") == "buprenorphine (Suboxone) dosing"
    # one insertion per full name, however often the shorthand is repeated
    assert vocab.spelled_out("bup or bupe").count("buprenorphine") == 1


def test_every_shorthand_expands_within_its_own_group(vocab):
    """A property of the data file: the full name a term expands to is a term of a group the term belongs to."""
    groups = [{_norm(t) for t in g} for g in vocab.groups]
    table = vocab.shorthand()
    assert len(table) > 60
    for term, pattern, full in table:
        assert pattern.search(f"about {term} today"), term
        assert any(_norm(full) in g and _norm(term) in g for g in groups), (term, full)


def test_shorthand_table_comes_from_the_vocabulary_file(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("groups:\n  - [ZQX, Zorvex, zorvanil sodium, zorv]\n  - [zv, zorvanil]\n")
    v = Vocabulary.load(path)
    assert v.spelled_out("ZQX dose") == "ZQX (zorvanil sodium) dose"
    assert v.spelled_out("ZQX or Zorvex or zorv").count("zorvanil sodium") == 1  # one insertion per full name
    assert v.spelled_out("zorv dosing") == "zorv (zorvanil sodium) dosing"
    assert v.spelled_out("zv dosing") == "zv dosing"  # not a clipping of zorvanil: left to the keyword leg


# ---------------------------------------------------------------- the speller and real English words


CORPUS = ("Cannabis and hydromorphone, buprenorphine and OxyContin: opioid withdrawal is managed in steps with a "
          "taper. Oxycodone, methadone, naloxone and acetaminophen doses are listed. A threat to function, an acme "
          "of pain, and asthenia are discussed.")


def test_real_words_outside_the_corpus_are_never_corrected_into_corpus_words():
    terms = count_terms([CORPUS], [t for g in Vocabulary.load().groups for t in g])
    sp = Speller(terms)
    for word in ("strep", "throat", "acne", "asthma", "eczema", "amoxicillin"):
        assert word not in terms and english(word), word
        assert sp.suggest(word) is None, word
    assert sp.correct("amoxicillin dose for strep throat").changes == []
    # misspellings that are not English words are still corrected
    for typed, meant in (("canabis", "cannabis"), ("hydromorphine", "hydromorphone"),
                         ("buprenorpine", "buprenorphine"), ("oxycotin", "oxycontin"), ("opiod", "opioid"),
                         ("withdrawl", "withdrawal")):
        assert not english(typed) and sp.suggest(typed) == meant, typed


def test_english_list_knows_plurals_and_not_typos():
    assert english("throats") and english("step") and english("eczema")
    assert not english("opiod") and not english("withdrawl") and not english("canabis")
