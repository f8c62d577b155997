"""The citation check on hand-made answers: number formats, bad markers, added markers, flags."""

from __future__ import annotations

import functools
import math
from datetime import date

import pytest

from assistant.citations import Given, check_answer, is_decline, split_answer
from assistant.models import Passage, SentenceScore
from core.numbers import number_values
from core.sentences import split_sentences
from core.settings import Settings
from vectorstore.embeddings import make_embeddings

GERMAN = (
    "Unter Berufung auf ukrainische Geheimdienste berichtet das Fachportal Defense Express, "
    "dass sich bereits 11.000 nordkoreanische Soldaten in der Ukraine befinden – weitere 6000 "
    "werden erwartet. Der Schwerpunkt liege auf Drohnenkriegführung."
)
SISTER = (
    "Ein Hindernis ist wohl die mächtige Schwester des Nordkoreaners. Noch im vergangenen Monat "
    "warnte Kim Yo Jong die USA davor, die Denuklearisierungsbemühungen voranzutreiben."
)


def passage(number: int, text: str, start: int = 100, title: str = "Nordkorea") -> Passage:
    return Passage(
        number=number,
        chunk_id=f"a{number}:0",
        article_id=f"a{number}",
        title=title,
        date=date(2025, 8, 13),
        source="fr.de",
        text=text,
        start=start,
        end=start + len(text),
    )


PASSAGES = [passage(1, GERMAN), passage(2, SISTER, start=5000, title="Kim Yo Jong")]


@pytest.mark.parametrize(
    "text", ["6000", "6,000", "6.000", "6 000", "six thousand", "sechstausend", "Six Thousand"]
)
def test_every_spelling_of_a_number_has_the_same_value(text: str) -> None:
    assert 6000.0 in number_values(text)


def test_decimals_stay_decimals() -> None:
    assert number_values("growth of 2.5 percent") == {2.5}
    assert number_values("Wachstum von 2,5 Prozent") == {2.5}


def test_markers_are_not_numbers() -> None:
    assert number_values("6,000 more [1][2]") == {6000.0}


@pytest.mark.parametrize("answer", ["6,000 more are expected [1].", "Another 6.000 [1].",
                                    "Six thousand more are expected [1]."])  # fmt: skip
def test_a_number_in_any_format_is_supported_by_the_passage(answer: str) -> None:
    checked = check_answer(answer, PASSAGES)
    assert checked.checks[0].supported, checked.checks[0].reason
    assert [c.marker for c in checked.citations] == [1]


def test_a_number_missing_from_the_cited_passage_is_flagged_with_the_reason() -> None:
    checked = check_answer("About 8,000 soldiers are expected [1].", PASSAGES)
    check = checked.checks[0]
    assert not check.supported
    assert check.reason == "8,000 appears in no cited passage"
    assert checked.citations[0].supported is False


def test_a_marker_on_the_wrong_passage_moves_to_the_one_that_holds_the_fact() -> None:
    checked = check_answer("6,000 soldiers are expected [2].", PASSAGES)
    check = checked.checks[0]
    assert (check.removed_markers, check.added_markers) == ([2], [1])
    assert check.supported
    assert checked.text == "6,000 soldiers are expected [1]."
    assert [c.marker for c in checked.citations] == [1]


def test_a_marker_stays_flagged_when_no_passage_holds_the_fact() -> None:
    checked = check_answer("8,000 soldiers are expected [2].", PASSAGES)
    check = checked.checks[0]
    assert (check.markers, check.removed_markers) == ([2], [])
    assert not check.supported


def test_a_name_that_no_cited_passage_holds_is_flagged() -> None:
    checked = check_answer("The soldiers were sent by Lukashenko [1].", PASSAGES)
    assert not checked.checks[0].supported
    assert "Lukashenko" in checked.checks[0].reason


def test_names_match_across_spellings() -> None:
    text = "Laut Kreml habe Putin Informationen mit Kim Jong-un ausgetauscht; Pjöngjang schwieg."
    checked = check_answer(
        "According to the Kremlin, Putin told Kim Jong-un; Pyongyang said nothing [1].",
        [passage(1, text)],
    )
    assert checked.checks[0].supported, checked.checks[0].reason


def test_an_initialism_is_found_with_or_without_its_dots() -> None:
    text = "For the first time in 20 years, the U.S. dollar is nearly equal to the euro."
    checked = check_answer("The U.S. dollar is nearly equal to the euro [1].", [passage(1, text)])
    assert checked.checks[0].supported, checked.checks[0].reason
    undotted = check_answer("The US dollar matched the euro [1].", [passage(1, text)])
    assert undotted.checks[0].supported, undotted.checks[0].reason
    elsewhere = check_answer("The U.K. pound fell [1].", [passage(1, text)])
    assert not elsewhere.checks[0].supported
    assert "U K" in elsewhere.checks[0].reason


def test_a_marker_pointing_at_no_passage_is_removed_and_recorded() -> None:
    checked = check_answer("6,000 more soldiers are expected [1][7].", PASSAGES)
    assert checked.text == "6,000 more soldiers are expected [1]."
    assert checked.checks[0].removed_markers == [7]
    assert [c.marker for c in checked.citations] == [1]


def test_an_unmarked_sentence_gets_the_passage_that_supports_it() -> None:
    checked = check_answer("Kim Yo Jong is the sister of the North Korean leader.", PASSAGES)
    check = checked.checks[0]
    assert check.added_markers == [2]
    assert check.supported
    assert checked.citations[0].added is True
    assert checked.text == "Kim Yo Jong is the sister of the North Korean leader [2]."


def test_an_unmarked_sentence_nothing_supports_stays_unmarked_and_unsupported() -> None:
    checked = check_answer("Pyongyang has 3 million inhabitants.", PASSAGES)
    assert checked.checks[0].markers == []
    assert not checked.checks[0].supported
    assert checked.citations == []


def test_a_citation_spans_the_supporting_sentence_in_article_offsets() -> None:
    checked = check_answer("6,000 more soldiers are expected [1].", PASSAGES)
    citation = checked.citations[0]
    first_sentence_end = GERMAN.index("erwartet.") + len("erwartet.")
    assert (citation.span_start, citation.span_end) == (100, 100 + first_sentence_end)
    assert citation.span_text == GERMAN[:first_sentence_end]
    assert citation.title == "Nordkorea" and citation.date == date(2025, 8, 13)
    assert citation.sentence == "6,000 more soldiers are expected."


def test_the_span_is_the_sentence_that_holds_the_cited_fact() -> None:
    checked = check_answer("Kim Yo Jong is Kim Jong-un's sister [2].", PASSAGES)
    span = checked.citations[0].span_text
    assert span.startswith("Noch im vergangenen Monat warnte Kim Yo Jong")


def test_every_sentence_is_checked_on_its_own() -> None:
    answer = "11,000 soldiers are already there [1]. Another 6,000 are expected [1]."
    checked = check_answer(answer, PASSAGES)
    assert [c.sentence for c in checked.checks] == [
        "11,000 soldiers are already there.",
        "Another 6,000 are expected.",
    ]
    assert all(c.supported for c in checked.checks)
    assert len(checked.citations) == 2


def test_markers_after_the_full_stop_stay_with_their_sentence() -> None:
    assert split_answer("6,000 more. [1] Kim is his sister. [2]") == [
        "6,000 more. [1]",
        "Kim is his sister. [2]",
    ]


@pytest.mark.parametrize(
    "answer",
    [
        "The articles do not say.",
        "The passages do not contain the population of Pyongyang.",
        "Die Artikel enthalten dazu keine Angaben.",
        "There is no information about that in the articles.",
    ],
)
def test_a_declining_answer_is_recognised_and_not_flagged(answer: str) -> None:
    checked = check_answer(answer, PASSAGES)
    assert checked.declined
    assert is_decline(answer)
    assert checked.checks[0].supported
    assert checked.citations == []


def test_a_real_answer_is_not_taken_for_a_decline() -> None:
    assert not check_answer("6,000 more soldiers are expected [1].", PASSAGES).declined


def test_a_verbatim_quotation_spans_exactly_the_quoted_text() -> None:
    quote = "Ein Hindernis ist wohl die mächtige Schwester des Nordkoreaners. Noch im vergangenen"
    rest = (
        " Monat warnte Kim Yo Jong die USA davor, die Denuklearisierungsbemühungen voranzutreiben."
    )
    checked = check_answer(f"“{quote}{rest}” [2]", PASSAGES)
    citation = checked.citations[0]
    assert citation.span_text == SISTER
    assert (citation.span_start, citation.span_end) == (5000, 5000 + len(SISTER))
    assert len(checked.checks) == 1 and checked.checks[0].supported


def english_passage(number: int, text: str, day: date = date(2025, 3, 18)) -> Passage:
    return passage(number, text, title="Council budget").model_copy(
        update={"language": "en", "date": day}
    )


BUDGET = english_passage(
    1,
    "The budget sets aside $18 million for school roofs and $11 million for the bridge repair. "
    "Only one train in ten was running on Tuesday.",
)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        # A value the passage holds, written of something it does not count.
        ("The bridge repair will take about 18 months [1].", "18 of something else than 'months'"),
        ("The bridge will stay closed for 10 months [1].", "10 of something else than 'months'"),
    ],
)
def test_a_figure_the_passage_writes_of_something_else_is_not_supported(answer, reason) -> None:
    check = check_answer(answer, [BUDGET], given=Given.of("How long will it take?", "en")).checks[0]
    assert not check.supported
    assert reason in check.reason


@pytest.mark.parametrize(
    "answer",
    [
        "The bridge repair gets $11 million [1].",
        "11 million dollars go to the bridge repair [1].",  # the word after the scale counts too
        "Only one in 10 trains was running [1].",
    ],
)
def test_a_figure_with_what_the_passage_counts_is_supported(answer: str) -> None:
    check = check_answer(
        answer, [BUDGET], given=Given.of("How much goes to the bridge?", "en")
    ).checks[0]
    assert check.supported, check.reason


def test_across_languages_the_figure_is_checked_by_its_value_alone() -> None:
    german = passage(1, GERMAN).model_copy(update={"language": "de"})
    answer = "6,000 more soldiers are expected [1]."
    check = check_answer(
        answer, [german], given=Given.of("How many soldiers are expected?", "en")
    ).checks[0]
    assert check.supported, check.reason


def test_the_day_of_an_articles_date_backs_no_figure() -> None:
    # Dated the 18th, and no 18 in its text: "18 months" must not rest on the date.
    library = english_passage(1, "The library will open at night from next week.")
    answer = "The library will stay open for 18 months [1]."
    check = check_answer(answer, [library], given=Given.of("How long?", "en")).checks[0]
    assert not check.supported
    assert check.reason == "18 appears in no cited passage"


# Across languages the check has no words to compare but the vectors. The sentence vectors are
# the real e5 ones, made as ingest makes them (the store holds the same).
ANTHEM = (
    "Beim Finale in Hallstadt sang die Sängerin Mara Holt die Hymne. Zugleich übersetzte der "
    "Schauspieler Jonas Feld sie in die Gebärdensprache."
)
NOTE = (
    "Später wurde im Nachlass des Reformators ein Blatt gefunden. Darauf hatte er seine letzten "
    "Gedanken auf Latein notiert, bis auf einen Satz auf Deutsch."
)


@functools.cache
def _e5():
    return make_embeddings(Settings(_env_file=None))


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def with_vectors(p: Passage) -> Passage:
    """The passage with its sentences' stored vectors, as retrieval hands them over."""
    spans = split_sentences(p.text)
    vectors = _e5().embed_documents([p.text[a:b] for a, b in spans])
    units = [
        SentenceScore(start=p.start + a, end=p.start + b, similarity=0.0, vector=_unit(v))
        for (a, b), v in zip(spans, vectors, strict=True)
    ]
    return p.model_copy(update={"language": "de", "sentences": units})


def embed(sentence: str) -> list[float]:
    return _unit(_e5().embed_query(sentence))


def test_across_languages_a_marker_moves_to_the_passage_the_vectors_put_clearly_nearer():
    shown = [with_vectors(passage(1, ANTHEM)), with_vectors(passage(2, NOTE, start=900))]
    answer = "Jonas Feld translated the anthem into sign language [2]."
    given = Given.of("Who translated the anthem into sign language?", "en")
    # Without the vectors nothing across languages tells [2] from [1]: it passes as written.
    assert check_answer(answer, shown, given).checks[0].markers == [2]
    checked = check_answer(answer, shown, given, embed=embed)
    check = checked.checks[0]
    assert (check.markers, check.removed_markers, check.added_markers) == ([1], [2], [1])
    assert (
        check.supported
        and checked.text == "Jonas Feld translated the anthem into sign language [1]."
    )
    assert "Gebärdensprache" in checked.citations[0].span_text


def test_a_marker_stays_where_the_vectors_see_no_clear_difference_or_the_words_were_compared():
    shown = [with_vectors(passage(1, ANTHEM)), with_vectors(passage(2, NOTE, start=900))]
    given = Given.of("Who translated the anthem into sign language?", "en")
    right = "Jonas Feld translated the anthem into sign language [1]."
    assert check_answer(right, shown, given, embed=embed).checks[0].markers == [1]
    # Passages in the sentence's own language: names and words were compared, no vectors asked.
    english = [p.model_copy(update={"language": "en"}) for p in shown]
    asked: list[str] = []
    check_answer("Jonas Feld signed it [2].", english, given, embed=asked.append)
    assert asked == []


def test_a_marker_does_not_move_to_a_nearer_passage_without_the_sentences_figure():
    given = Given.of("Who translated the anthem into sign language?", "en")
    counting = with_vectors(passage(2, NOTE + " Es waren 3 Zeilen.", start=900))
    shown = [with_vectors(passage(1, ANTHEM)), counting]
    moved = check_answer(
        "Jonas Feld translated the anthem into sign language [2].", shown, given, embed=embed
    )
    assert moved.checks[0].markers == [1]
    counted = "Jonas Feld translated the anthem into sign language in 3 minutes [2]."
    assert check_answer(counted, shown, given, embed=embed).checks[0].markers == [2]
