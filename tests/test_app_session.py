"""A conversation in one session: questions, answers, history, retry, and the filter inputs."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.models import Answer
from webapp.session import Conversation, build_filter, parse_day


def _answer(question: str, text: str) -> Answer:
    return Answer(question=question, query=question, answer=text)


def test_finished_answers_become_history_and_are_found_by_message_index():
    conv = Conversation()
    conv.ask("How many soldiers are expected?", "<q>")
    conv.show("<streaming>")
    conv.finish(_answer("How many soldiers are expected?", "6,000 more [1]."), "<a>")
    assert [m["role"] for m in conv.messages] == ["user", "assistant"]
    assert conv.messages[1]["content"] == "<a>"
    assert conv.answers[1].answer == "6,000 more [1]."
    assert [(t.role, t.content) for t in conv.turns] == [
        ("user", "How many soldiers are expected?"),
        ("assistant", "6,000 more [1]."),
    ]
    assert conv.pending is None


def test_a_failed_question_is_shown_but_not_history():
    conv = Conversation()
    conv.ask("Q?", "<q>")
    conv.fail("<error>")
    assert conv.messages[-1] == {"role": "assistant", "content": "<error>"}
    assert conv.turns == [] and conv.pending is None


def test_retry_drops_the_last_exchange_and_returns_its_question():
    conv = Conversation()
    conv.ask("First?", "<q1>")
    conv.finish(_answer("First?", "One."), "<a1>")
    conv.ask("Second?", "<q2>")
    conv.finish(_answer("Second?", "Two."), "<a2>")
    assert conv.undo_last() == "Second?"
    assert len(conv.messages) == 2 and len(conv.turns) == 2
    assert 3 not in conv.answers and 1 in conv.answers


def test_retry_on_an_empty_conversation_does_nothing():
    assert Conversation().undo_last() is None


def test_dates_are_parsed_and_bad_ones_named():
    assert parse_day("As of", "2024-03-01") == date(2024, 3, 1)
    assert parse_day("As of", "  ") is None
    with pytest.raises(ValueError, match="As of: 'yesterday' is not a date"):
        parse_day("As of", "yesterday")


def test_filter_from_the_side_panel():
    assert build_filter(None, [], "", "") is None
    flt = build_filter(["tagesschau"], ["de"], "2025-01-01", "2025-12-31")
    assert flt.sources == ("tagesschau",) and flt.languages == ("de",)
    assert flt.date_from == date(2025, 1, 1) and flt.date_to == date(2025, 12, 31)
    with pytest.raises(ValueError, match="after To"):
        build_filter(None, None, "2025-02-01", "2025-01-01")
