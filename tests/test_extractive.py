"""The extractive backend: quote the sentence that answers, cite it, or decline.

The passages are given their sentences' closeness to the question as the retriever gives them:
cosines of the real e5 vectors of each sentence and of the question (the store holds the same
vectors; tests/test_sentence_evidence.py reads them back from it)."""

from __future__ import annotations

import functools
import math
from datetime import date

import pytest

from assistant.extractive import answer_span, extractive_answer, pick_sentences
from assistant.models import Passage, SentenceScore
from assistant.questions import asks_age, question_type
from assistant.replies import REPLIES
from core.sentences import split_sentences
from core.settings import Settings
from vectorstore.embeddings import make_embeddings

DECLINE_EN, DECLINE_DE = REPLIES["decline"]["en"], REPLIES["decline"]["de"]

TROOPS = (
    "Erstmals räumte Nordkorea im April ein, Soldaten an der Front eingesetzt zu haben. "
    "Im Juli berichtete die Kyiv Post, Nordkorea plane, weitere 25.000 bis 30.000 Soldaten zu "
    "entsenden. Die Truppen umfassen Ingenieure und Bauarbeiter."
)
EXPECTED = (
    "Putin verstärkt die Front mit Nordkorea. Laut Defense Express befinden sich bereits 11.000 "
    "nordkoreanische Soldaten in der Ukraine – weitere 6000 werden erwartet. Der Schwerpunkt "
    "liege auf Drohnen."
)
SISTER = (
    "Der US-Präsident pries das Verhältnis zu Kim. Ein Hindernis ist wohl die mächtige Schwester "
    "des Nordkoreaners. Noch im vergangenen Monat warnte Kim Yo Jong die USA davor, die "
    "Denuklearisierung voranzutreiben."
)


def passage(number: int, text: str) -> Passage:
    return Passage(
        number=number,
        chunk_id=f"a:{number}",
        article_id="a",
        title="Nordkorea schickt Soldaten",
        date=date(2025, 8, 13),
        source="fr.de",
        language="de",
        text=text,
        start=1000 * number,
        end=1000 * number + len(text),
    )


PASSAGES = [passage(1, TROOPS), passage(2, EXPECTED), passage(3, SISTER)]


@functools.cache
def _embeddings():
    return make_embeddings(Settings(_env_file=None))


def scored(question: str, passages: list[Passage] = PASSAGES) -> list[Passage]:
    """The passages with each sentence's cosine to `question`, as retrieval hands them over."""
    model = _embeddings()
    query = model.embed_query(question)
    out = []
    for p in passages:
        spans = split_sentences(p.text)
        vectors = model.embed_documents([p.text[a:b] for a, b in spans])
        units = [
            SentenceScore(start=p.start + a, end=p.start + b, similarity=_cosine(query, v))
            for (a, b), v in zip(spans, vectors, strict=True)
        ]
        out.append(p.model_copy(update={"sentences": units}))
    return out


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def answer(question: str, query: str | None = None) -> str:
    return extractive_answer(question, scored(query or question), query=query)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many soldiers are expected?", "number"),
        ("Wie viele Soldaten sind bereits dort?", "number"),
        ("What is the population of Pyongyang?", "number"),
        ("Who is Kim Yo Jong?", "person"),
        ("When did the summit take place?", "date"),
        ("What did Putin discuss?", "other"),
    ],
)
def test_the_question_says_what_kind_of_answer_it_wants(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_how_many_expected_quotes_the_sentence_with_the_expected_number() -> None:
    first = answer("How many soldiers are expected?").splitlines()[0]
    assert "6000 werden erwartet" in first
    assert first.endswith("[2]")


def test_an_english_short_answer_writes_the_figure_the_english_way_and_quotes_the_source() -> None:
    lines = answer("How many North Korean soldiers are already in Ukraine?").splitlines()
    assert lines[0] == "11,000 nordkoreanische Soldaten [2]"
    assert "bereits **11.000 nordkoreanische Soldaten** in der Ukraine" in lines[1]


def test_a_german_question_is_answered_from_the_same_sentence() -> None:
    reply = answer("Wie viele Soldaten befinden sich bereits in der Ukraine?")
    assert "11.000" in reply.splitlines()[0]


def test_who_is_includes_the_sentence_that_introduces_the_person() -> None:
    reply = answer("Who is Kim Yo Jong?")
    assert "Schwester" in reply and "Kim Yo Jong" in reply
    assert reply.endswith("[3]")
    assert reply.count("[") == 1  # one quotation, one citation


def test_the_answer_is_a_verbatim_quote_of_the_passage() -> None:
    question = "How many soldiers are expected?"
    pick = pick_sentences(question, scored(question))[0]
    quoted = answer(question).splitlines()[0]
    assert pick.passage.text[pick.start : pick.end] in quoted


def test_a_number_question_with_no_number_about_it_is_declined() -> None:
    question = "What is the population of Pyongyang?"
    assert pick_sentences(question, scored(question)) == []
    assert answer(question) == DECLINE_EN


def test_a_question_about_someone_never_named_is_declined() -> None:
    assert answer("Who is Olaf Scholz?") == DECLINE_EN


def test_a_question_sharing_nothing_with_the_passages_is_declined() -> None:
    assert answer("What does the recipe recommend for dessert?") == DECLINE_EN


def test_a_german_question_is_declined_in_german() -> None:
    assert answer("Wer ist Olaf Scholz?") == DECLINE_DE


def test_the_follow_up_query_decides_what_is_picked() -> None:
    reply = answer("What did she warn about?", query="What did she warn about? (Kim Yo Jong)")
    assert "warnte Kim Yo Jong" in reply


CUP = (
    "Der SV Nordheim schied schon im Viertelfinale aus. Im Halbfinale schlug der FC Hafenstadt "
    "den Titelverteidiger Südwald nach Verlängerung. Das Finale findet am Samstag statt."
)
CAPITAL = (
    "Die Stadtverwaltung veröffentlichte am Montag neue Zahlen. München zählt heute rund 1,6 "
    "Millionen Einwohner. Die Mieten stiegen im Jahresvergleich um acht Prozent."
)


def test_the_answer_may_name_the_subject_only_in_the_sentence_before_it() -> None:
    # The sentence that answers does not repeat the name it is asked about.
    question = "When does FC Hafenstadt play the final?"
    reply = extractive_answer(question, scored(question, [passage(1, CUP)]))
    assert reply.splitlines()[0] == "Samstag [1]"


def test_a_name_spelt_otherwise_in_the_passages_language_is_left_to_the_vectors() -> None:
    # "Munich" is nowhere in the German text: the sentence closest to the question answers.
    question = "How many people live in Munich?"
    reply = extractive_answer(question, scored(question, [passage(1, CAPITAL)]))
    assert reply.splitlines()[0] == "1.6 Millionen [1]"
    assert "München zählt heute rund **1,6 Millionen** Einwohner" in reply


def test_a_name_no_passage_in_the_questions_language_holds_is_declined() -> None:
    english = passage(1, "The city council met on Monday. The budget grew by 4 percent.")
    english = english.model_copy(update={"language": "en", "title": "Council meeting"})
    question = "How much did the budget of Olaf Scholz grow?"
    assert extractive_answer(question, scored(question, [english])) == DECLINE_EN


def english(number: int, text: str, title: str = "Quiz of the week") -> Passage:
    return passage(number, text).model_copy(update={"language": "en", "title": title})


def test_a_sentence_that_only_restates_the_question_is_not_the_answer() -> None:
    # A quiz question that opens with the article's own lead sentence: quoting that sentence
    # back would answer nothing.
    lead = english(
        1,
        "Starbucks reintroduced one of its most popular drinks this week, commonly known as "
        "the PSL. The PSL, short for Pumpkin Spice Latte, returns to menus on Tuesday.",
    )
    question = (
        "Starbucks reintroduced one of its most popular drinks this week, commonly known as "
        "the PSL. What does PSL stand for?"
    )
    reply = extractive_answer(question, scored(question, [lead]))
    assert "Pumpkin Spice Latte" in reply
    assert "reintroduced" not in reply


def test_a_figure_written_in_words_is_the_short_answer_in_digits() -> None:
    court = english(
        1,
        "A Russian judge sentenced the basketball player to nine years in a penal colony. "
        "Her lawyers said they would appeal.",
    )
    question = "The basketball player was sentenced to how many years in a Russian prison?"
    lines = extractive_answer(question, scored(question, [court])).splitlines()
    assert lines[0] == "9 years [1]"
    assert "to **nine years** in a penal colony" in lines[1]


def test_the_short_answer_keeps_the_figures_signs_and_its_units_abbreviation() -> None:
    budget = english(
        1,
        "Most of the increase goes to the schools. The first phase of the bridge repair "
        "costs $11 million, and the parade starts at 5 p.m. on Monday.",
    )
    question = "How much does the first phase of the bridge repair cost?"
    lines = extractive_answer(question, scored(question, [budget])).splitlines()
    assert lines[0] == "$11 million [1]"
    assert "costs **$11 million**, and" in lines[1]

    rents = english(1, "The parade starts on Monday. Rents rose 19% this year.")
    question = "How many percent did rents rise?"
    assert extractive_answer(question, scored(question, [rents])).splitlines()[0] == "19% [1]"

    # Cut at its first point, "5 p.m." read "5 p".
    sentence = "The open-top bus parade will take place on Monday at 5 p.m. in the old town."
    start, end = answer_span("How long until the parade?", sentence)
    assert sentence[start:end] == "5 p.m."


KREMLIN = (
    "Der 72-jährige Kremlchef lobte die Truppen aus Nordkorea. Bereits 11.000 Soldaten sind "
    "in der Region Kursk im Einsatz. Kim Yo Jong warnte, ihr 41-jähriger Bruder werde nicht "
    "nachgeben."
)


def test_how_old_is_answered_by_a_figure_written_as_an_age() -> None:
    question = "How old is the Kremlin chief?"
    lines = extractive_answer(question, scored(question, [passage(1, KREMLIN)])).splitlines()
    assert lines[0] == "72 [1]"
    assert "Der **72**-jährige Kremlchef" in lines[1]


def test_an_age_does_not_answer_how_many() -> None:
    question = "How many soldiers has Russia lost?"
    reply = extractive_answer(question, scored(question, [passage(1, KREMLIN)]))
    assert "72" not in reply.splitlines()[0]
    # Nothing but ages: no figure of the kind asked for, so no answer.
    ages_only = passage(1, "Der 72-jährige Kremlchef lobte die Truppen aus Nordkorea.")
    assert extractive_answer(question, scored(question, [ages_only])) == DECLINE_EN


@pytest.mark.parametrize(
    ("question", "age"),
    [
        ("How old is the Kremlin chief?", True),
        ("At what age did Elway win?", True),
        ("Wie alt ist Kim Jong-un?", True),
        ("In welchem Alter gewann Elway?", True),
        ("Quel âge a le président ?", True),
        ("How many soldiers are expected?", False),
        ("How old are the fossils?", True),
    ],
)
def test_the_question_says_when_it_asks_for_an_age(question: str, age: bool) -> None:
    assert asks_age(question) is age


def test_of_two_reports_alike_the_one_the_retrieval_ranked_higher_is_quoted() -> None:
    # Last month's report and this week's say the same in the same words but for the figures;
    # the retrieval ranked this week's higher (its age against the day asked), and the quote
    # follows it, not the sentence that happens to sit in the first passage.
    last_month = passage(1, EXPECTED.replace("11.000", "9000").replace("6000", "4000"))
    this_week = passage(2, EXPECTED)
    question = "How many soldiers are expected?"
    older, newer = scored(question, [last_month, this_week])
    ranked = [older.model_copy(update={"score": 0.5}), newer.model_copy(update={"score": 0.9})]
    text = extractive_answer(question, ranked)
    assert "weitere 6000 werden erwartet" in text and "[2]" in text
    assert "4000" not in text and "[1]" not in text


def test_a_when_question_is_answered_by_a_sentence_with_a_time_of_day() -> None:
    # XQuAD: the sentence with the clock's time was no candidate for lack of a year or a month,
    # and the question was declined.
    game = passage(
        4,
        "Mit 4:51 verbleibenden Minuten in der regulären Spielzeit brachte Carolina den Ball auf "
        "die eigene 24-Yard-Linie. Danach warf Newton einen Pass.",
    )
    question = "What was the time on the clock when Carolina got the ball to their 24-yard line?"
    shown = extractive_answer(question, scored(question, [game]))
    assert "4:51 verbleibenden Minuten" in shown, shown
