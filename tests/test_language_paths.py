"""One test per language path, through the local model: the question's language decides the
answer's, whatever language the article is in, and every answer is cited.

The sample corpus holds an English report (the Riverton budget) and a German one (North Korea's
soldiers); no test here names a translation: the multilingual vectors find the passage and the
model reads it as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chat import NewsAssistant
from assistant.models import Answer
from assistant.verify import verify
from core.language import question_language
from core.markers import strip_markers
from core.settings import Settings
from indexing.pipeline import ingest_sources
from tests.test_assistant_seed import own_words_language
from vectorstore.store import NewsStore

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, qwen_model_path: Path) -> NewsAssistant:
    data = tmp_path_factory.mktemp("languages") / "data"
    settings = Settings(_env_file=None, data_dir=data, llm_model_path=qwen_model_path)
    store = NewsStore(settings)
    files = [SAMPLES / "council-budget.md", SAMPLES / "nordkorea-soldaten.txt"]
    assert ingest_sources(files, store, settings).added == 2
    return NewsAssistant(settings, store)


def assert_cited_from(answer: Answer, title_word: str) -> None:
    assert not answer.declined, answer.answer
    assert answer.citations, answer.answer
    assert all(title_word in c.title for c in answer.citations), answer.citations


def test_an_english_question_over_a_german_article(assistant: NewsAssistant) -> None:
    answer = assistant.ask("How many more soldiers are expected?", backend="local")
    assert "6000" in answer.answer.replace(",", "").replace(".", ""), answer.answer
    assert_cited_from(answer, "Nordkorea")
    assert own_words_language(answer) in ("en", None), answer.answer


def test_how_many_soldiers_are_expected_is_answered_with_the_expected_figure(
    assistant: NewsAssistant,
) -> None:
    # The 1.5B model writes 11,000 here, the figure of the sentence before; asked to choose
    # between the two sentences' clauses, it finds the question likelier under the second.
    answer = assistant.ask("How many soldiers are expected?", backend="local")
    own_words = answer.answer.split("\n")[0].replace(",", "").replace(".", "")
    assert "6000" in own_words and "11000" not in own_words, answer.answer
    assert_cited_from(answer, "Nordkorea")


def test_the_model_chooses_between_clauses_whatever_their_order(assistant: NewsAssistant) -> None:
    question = "How many soldiers are expected?"
    options = [
        "stehen bereits rund 11.000 nordkoreanische Soldaten im Einsatz.",
        "Weitere 6000 Soldaten werden demnach in den kommenden Wochen erwartet.",
    ]
    passage = (  # the two sentences of samples/nordkorea-soldaten.txt the clauses come from
        "Nach Angaben des ukrainischen Militärgeheimdienstes, über die das Fachportal Defense "
        f"Express berichtet, {options[0]} {options[1]}"
    )
    backend = assistant.backend("local")
    assert backend.choose(question, options, passage) == 1
    assert backend.choose(question, options[::-1], passage) == 0


def test_no_clause_is_chosen_when_the_question_is_as_likely_under_another(
    assistant: NewsAssistant,
) -> None:
    clause = "Weitere 6000 Soldaten werden demnach in den kommenden Wochen erwartet."
    question = "How many soldiers are expected?"
    assert assistant.backend("local").choose(question, [clause, clause], clause) is None
    assert assistant.backend("local").choose(question, [clause], clause) is None


def test_a_german_question_over_an_english_article(assistant: NewsAssistant) -> None:
    answer = assistant.ask(
        "Wie hoch ist der Haushalt, den der Stadtrat beschlossen hat?", backend="local"
    )
    assert "412" in answer.answer, answer.answer
    assert_cited_from(answer, "Riverton")
    assert own_words_language(answer) == "de", answer.answer


def test_a_french_question_over_an_english_article_is_answered_in_french(
    assistant: NewsAssistant,
) -> None:
    answer = assistant.ask("Quel est le montant du budget adopté par le conseil ?", backend="local")
    assert "412" in answer.answer, answer.answer
    assert_cited_from(answer, "Riverton")
    assert own_words_language(answer) == "fr", answer.answer


def test_a_sentence_the_model_copied_in_german_is_shown_in_english(
    assistant: NewsAssistant,
) -> None:
    # The 1.5B model answered "Who is Yang Moo Jin?" with the report's German sentence (the seed
    # run of the eighth session). Given that answer, the verification has the same model put it
    # into the asker's language and quotes the German words after it.
    question = "Who is Yang Moo Jin?"
    passages = assistant.retriever.retrieve(question)
    german = next(p for p in passages if "Yang Moo Jin, Präsident" in p.text)
    start = german.text.index("Yang Moo Jin, Präsident")
    copied = german.text[start : german.text.index(":", start)] + f" [{german.number}]."
    verified = verify(
        question, question, copied, passages, translate=assistant.backend("local").translate
    )
    own, *quotes = verified.checked.text.splitlines()
    assert question_language(strip_markers(own)) == "en", own
    assert "Yang Moo Jin" in own and f"[{german.number}]" in own, own
    assert quotes and "Nordkorea-Studien" in quotes[0], verified.checked.text
    assert [c.reason for c in verified.checked.checks if not c.shown] == [
        "written in German: shown translated"
    ]
