"""Follow-up questions become standalone queries; greetings and thanks are not searched."""

from __future__ import annotations

import pytest

from assistant.models import Turn
from assistant.rewrite import (
    chitchat_kind,
    chitchat_reply,
    needs_context,
    rewrite_rule_based,
)

YANG = [
    Turn(role="user", content="Who is Yang Moo Jin?"),
    Turn(role="assistant", content="He is president of the University of North Korean Studies."),
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello!", "greeting"),
        ("Guten Morgen", "greeting"),
        ("thanks!", "thanks"),
        ("Thank you so much.", "thanks"),
        ("danke", "thanks"),
        ("Vielen Dank!", "thanks"),
        ("bye", "goodbye"),
    ],
)
def test_greetings_thanks_and_goodbyes_are_small_talk(text: str, kind: str) -> None:
    assert chitchat_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "How many soldiers are expected?",
        "hi, who is Kim Yo Jong?",
        "Thanks to whom did the deal pass?",
        "Danke Merkel?",
    ],
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert chitchat_kind(text) is None


def test_small_talk_is_answered_in_the_language_it_came_in() -> None:
    assert chitchat_reply("danke").startswith("Gern geschehen")
    assert chitchat_reply("thanks!").startswith("You're welcome")
    assert "news" in chitchat_reply("hi")
    assert chitchat_reply("Hallo!").startswith("Hallo!")  # answered in the greeting's language
    assert chitchat_reply("How many soldiers are expected?") is None


def test_a_pronoun_is_resolved_with_the_previous_questions_names() -> None:
    query = rewrite_rule_based("How does he interpret the phone call?", YANG)
    assert "Yang Moo Jin" in query
    assert query.startswith("How does he interpret the phone call?")


def test_that_summit_gets_the_previous_questions_names() -> None:
    history = [
        Turn(role="user", content="When do Trump and Putin meet in Alaska?"),
        Turn(role="assistant", content="On Friday [1]."),
    ]
    query = rewrite_rule_based("What is expected from that summit?", history)
    assert all(name in query for name in ("Trump", "Putin", "Alaska"))


def test_and_how_many_more_leans_on_the_previous_question_s_words() -> None:
    history = [Turn(role="user", content="How many North Korean soldiers are in Ukraine?")]
    query = rewrite_rule_based("And how many more are expected?", history)
    assert "North Korean" in query and "Ukraine" in query


def test_the_person_asked_about_last_is_the_one_meant() -> None:
    history = [
        Turn(role="user", content="Who is Kim Yo Jong?"),
        Turn(role="assistant", content="His sister [1]."),
        *YANG,
    ]
    query = rewrite_rule_based("What did he say?", history)
    assert "Yang Moo Jin" in query and "Kim Yo Jong" not in query


def test_a_standalone_question_is_left_alone() -> None:
    question = "What did Putin and Kim Jong-un discuss on the phone?"
    assert not needs_context(question)
    assert rewrite_rule_based(question, YANG) == question


def test_without_history_nothing_is_added() -> None:
    assert rewrite_rule_based("How does he interpret it?", []) == "How does he interpret it?"


def test_small_talk_in_the_history_is_skipped() -> None:
    history = [*YANG, Turn(role="user", content="thanks!"), Turn(role="assistant", content="…")]
    assert "Yang Moo Jin" in rewrite_rule_based("Where does he work?", history)
