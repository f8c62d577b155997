"""The text rules of core/ give one answer to every reader: the lexical index, the citation
check, the renderer and the evaluator read numbers and `[n]` markers the same way."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.citations import check_answer, split_answer
from assistant.evaluation.metrics import contains_answer, normalize
from assistant.matching import name_in
from assistant.models import Answer, Passage
from core.language import detect_language, question_language
from core.markers import cited_numbers, find_markers, strip_markers
from core.numbers import (
    SMALL_WORD_NUMBER,
    canonical,
    find_ages,
    find_numbers,
    find_word_numbers,
    number_values,
    with_signs,
    without_ages,
    words_as_digits,
)
from core.sentences import split_sentences
from core.terms import analyse, analyse_query
from core.words import fold, stopwords, tokens
from webapp.render import answer_body_html

# (as written, the numbers it holds)
NUMBERS = [
    ("6 000", [6000.0]),
    ("6'000", [6000.0]),
    ("6\u2009000", [6000.0]),  # thin space
    ("6\u202f000", [6000.0]),  # narrow no-break space
    ("6.000", [6000.0]),
    ("6,000", [6000.0]),
    ("6 000,5", [6000.5]),
    ("2.500,50", [2500.5]),
    ("2,5", [2.5]),
    ("top 10 100m runners", [10.0, 100.0]),
    ("24.11.2026", [24.0, 11.0, 2026.0]),
]


def passage(number: int, text: str) -> Passage:
    return Passage(
        number=number,
        chunk_id=f"a{number}:0",
        article_id=f"a{number}",
        title="Report",
        date=date(2026, 1, 1),
        source="Desk",
        text=text,
        start=0,
        end=len(text),
    )


@pytest.mark.parametrize(("written", "values"), NUMBERS)
def test_a_number_is_found_once_with_its_value(written: str, values: list[float]) -> None:
    found = find_numbers(f"Es kamen {written} dazu.")
    assert [v for number in found for v in number.values] == values


@pytest.mark.parametrize(("written", "values"), NUMBERS)
def test_the_index_and_the_check_read_a_number_alike(written: str, values: list[float]) -> None:
    text = f"they counted {written} today"
    terms = [t for t in analyse(text, "en") if t[0].isdigit()]
    assert [float(t) for t in terms] == values  # the lexical index's terms
    assert [float(t) for t in analyse_query(written) if t[0].isdigit()] == values  # a query
    assert number_values(text) == set(values)  # the citation check's values


@pytest.mark.parametrize(("written", "values"), NUMBERS)
def test_the_evaluator_reads_a_number_as_the_check_does(written: str, values: list[float]):
    words = normalize(f"about {written} [1]").split()
    assert words[0] == "about"
    assert [float(w.rstrip("m")) for w in words[1:] if w[0].isdigit()] == values
    if len(values) == 1:  # one number: any notation of it matches the gold answer
        assert contains_answer(f"about {written} [1]", [canonical(written)[0]])


@pytest.mark.parametrize(
    ("text", "found", "digits"),
    [
        ("sentenced to nine years", [("nine", 9)], "sentenced to 9 years"),
        ("six thousand troops, twenty-five tanks", [("six thousand", 6000), ("twenty-five", 25)],
         "6,000 troops, 25 tanks"),
        ("sechstausend Soldaten und vier Fumbles", [("sechstausend", 6000), ("vier", 4)],
         "6,000 Soldaten und 4 Fumbles"),
        ("one of the two leaders", [("two", 2)], "one of the 2 leaders"),
    ],
)  # fmt: skip
def test_a_figure_in_words_is_found_where_it_is_written_and_read_as_digits(
    text: str, found: list[tuple[str, float]], digits: str
) -> None:
    numbers = find_word_numbers(text, SMALL_WORD_NUMBER)
    assert [(n.text, n.values[0]) for n in numbers] == found
    assert all(text[n.start : n.end] == n.text for n in numbers)
    assert words_as_digits(text) == digits
    # Small number words count as figures only where a figure is asked for.
    assert {v for _, v in found if v >= 13} == number_values(text)
    assert {v for _, v in found} == number_values(text, small_words=True)


def test_a_check_accepts_a_figure_in_another_notation_and_flags_a_different_one() -> None:
    passages = [passage(1, "Weitere 6 000 Soldaten werden erwartet, bisher 11'000.")]
    good = check_answer("6,000 more soldiers are expected [1].", passages)
    assert good.checks[0].supported
    bad = check_answer("10,100 more soldiers are expected [1].", passages)
    assert not bad.checks[0].supported and "10,100" in bad.checks[0].reason


@pytest.mark.parametrize("written", ["[1, 2]", "[1,2]", "[1; 2]", "[1][2]", "[1] [2]"])
def test_two_markers_cite_two_passages_wherever_they_are_read(written: str) -> None:
    text = f"Six thousand more are expected {written}."
    assert cited_numbers(text) == [1, 2]
    assert strip_markers(text) == "Six thousand more are expected."
    passages = [passage(1, "Six thousand more are expected."), passage(2, "More are expected.")]
    checked = check_answer(text, passages)
    assert [c.marker for c in checked.citations] == [1, 2]
    answer = Answer(
        question="q", query="q", answer=checked.text, citations=checked.citations, passages=[]
    )
    html = answer_body_html(answer, "a1")
    assert html.count('class="nq-cite"') == 2  # each number is a link of its own
    # The evaluator reads the markers away too, and the figure in words as its digits.
    assert normalize(text) == "6000 more are expected"


def test_markers_keep_their_places_and_numbers() -> None:
    found = find_markers("A [1]. B [2, 3][4].")
    assert [m.numbers for m in found] == [(1,), (2, 3), (4,)]
    assert "A [1]. B [2, 3][4]."[found[1].start : found[1].end] == "[2, 3]"


def test_answer_sentences_keep_their_markers_and_abbreviations() -> None:
    text = "Dr. Kim said 6,000 more [1]. They arrive on 3. Oktober [2]."
    assert split_answer(text) == ["Dr. Kim said 6,000 more [1].", "They arrive on 3. Oktober [2]."]
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == split_answer(text)


def test_words_and_folding_are_one_rule() -> None:
    assert tokens("COVID-19 hit Zürich: 6 000 cases") == [
        "COVID-19",
        "hit",
        "Zürich",
        "6 000",
        "cases",
    ]
    assert fold("Zürich") == fold("Zurich") == "zurich"
    assert fold("Pjöngjang") == fold("Pyongyang")
    assert "und" in stopwords("de") and "the" in stopwords("en")
    assert {"und", "the"} <= stopwords()  # a question in neither language drops both


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How many soldiers are expected?", "en"),
        ("Wie viele Soldaten werden erwartet?", "de"),
        ("Welche Farbe hat das Auto?", "de"),
        ("Combien de soldats sont attendus ?", "fr"),
    ],
)
def test_a_question_has_a_language_however_short(text: str, language: str) -> None:
    assert question_language(text) == language


def test_an_article_too_short_to_tell_is_undetermined() -> None:
    assert detect_language("Ja.") == "und"


def test_a_short_answer_writes_numbers_the_way_its_reader_does() -> None:
    from core.numbers import for_reader

    assert for_reader("11.000 Soldaten", "en") == "11,000 Soldaten"
    assert for_reader("38,4 Grad", "en") == "38.4 Grad"
    assert for_reader("6,000 more and 2.5 million", "de") == "6.000 more and 2,5 million"
    # Plain digits read alike everywhere (a year stays a year); so do unknown languages.
    assert for_reader("6000 Soldaten im Jahr 2025", "en") == "6000 Soldaten im Jahr 2025"
    assert for_reader("11.000 Soldaten", "fr") == "11.000 Soldaten"
    assert for_reader("the score was 3-1 [2]", "de") == "the score was 3-1 [2]"


@pytest.mark.parametrize(
    ("text", "figure", "extent"),
    [
        ("costs $11 million", "11", "$11"),
        ("worth US$3.6 billion", "3.6", "US$3.6"),
        ("Eintritt 12 € pro Person", "12", "12 €"),
        ("prices rose 19% this year", "19", "19%"),
        ("a rise of 2.5 ‰", "2.5", "2.5 ‰"),
        ("about 19 people", "19", "19"),
        ("the A19 road", "19", "19"),
    ],
)
def test_a_figure_keeps_the_signs_written_on_it(text: str, figure: str, extent: str) -> None:
    start = text.index(figure)
    low, high = with_signs(text, start, start + len(figure))
    assert text[low:high] == extent


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("der 72-jährige Kremlchef", "72"),
        ("ihrem 41-jährigen Bruder", "41"),
        ("a 39-year-old guard", "39"),
        ("she is 41 years old", "41"),
        ("Osaka, aged 24, lost", "24"),
        ("who won at the age of 38", "38"),
        ("der im Alter von 38 Jahren siegte", "38"),
        ("Mit 39 Jahren ist er der älteste", "39"),
        ("sie ist 41 Jahre alt", "41"),
        ("il est âgé de 39 ans", "39"),
    ],
)
def test_a_figure_written_as_an_age_is_told_from_other_figures(text: str, age: str) -> None:
    [found] = find_ages(text)
    assert text[found.start : found.end] == age
    # Blanked in place: every other figure keeps its offset, and the age is read by no one.
    blanked = without_ages(f"{text}; 11.000 Soldaten")
    assert len(blanked) == len(text) + len("; 11.000 Soldaten")
    assert number_values(blanked) == {11000.0}


@pytest.mark.parametrize(
    "text", ["mit 500 Soldaten", "11.000 Soldaten", "for 10 years", "515 Millionen Jahren"]
)
def test_a_figure_of_another_kind_is_no_age(text: str) -> None:
    assert find_ages(text) == []


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("U S", "the u.s. dollar", True),  # "U.S." in an answer reads as "U S"
        ("US", "the u.s. dollar", True),
        ("U K", "the u.s. dollar", False),
        ("EU", "die europaischen vertrage", True),  # a part's first letters, as before
        ("V", "im jahr 300 v. chr.", False),  # a lone letter is no initialism
        ("Pyongyang", "pyongyang schwieg", True),
    ],
)
def test_a_name_is_found_by_its_parts_or_as_an_initialism(
    name: str, text: str, found: bool
) -> None:
    assert name_in(name, text) is found
