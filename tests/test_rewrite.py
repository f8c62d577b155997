"""Follow-up questions become standalone queries; greetings and thanks are not searched."""

from __future__ import annotations

import pytest

from assistant.models import Turn
from assistant.rewrite import (
    chitchat_kind,
    chitchat_reply,
    needs_context,
    rewrite_rule_based,
    rewrite_with_llm,
    without_added_names,
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


def test_the_names_added_for_the_search_can_be_taken_off_again() -> None:
    history = [Turn(role="user", content="How many North Korean soldiers are in Ukraine?")]
    query = rewrite_rule_based("And how many more are expected?", history)
    assert without_added_names(query) == "And how many more are expected?"
    # A question's own brackets stay: only what follows its question mark was added.
    assert without_added_names("Who won (in 2024)?") == "Who won (in 2024)?"
    assert without_added_names("Tell me about the summit (Alaska)") == (
        "Tell me about the summit (Alaska)"
    )


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


# The guards act on whatever the model replies; which reply a real 1.5B model gives is not
# something a test can choose, so these script it (LangChain's fake chat model). The real
# model's rewrite is tested in tests/test_assistant_seed.py.
def _scripted(reply: str):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    return FakeListChatModel(responses=[reply])


def test_the_models_standalone_question_is_used() -> None:
    query = rewrite_with_llm(
        _scripted("How does Yang Moo Jin interpret the phone call?"),
        "How does he interpret the phone call?",
        YANG,
    )
    assert query == "How does Yang Moo Jin interpret the phone call?"


@pytest.mark.parametrize(
    "reply",
    [
        "Seoul",  # answered instead of rewriting
        "Yang Moo Jin interprets the phone call.",  # a statement, not a question
        "Does Yang Moo Jin expect 10,000 more soldiers?",  # a figure nobody wrote
        "",
    ],
)
def test_a_reply_that_is_no_rewrite_falls_back_to_the_rules(reply: str) -> None:
    question = "How does he interpret the phone call?"
    query = rewrite_with_llm(_scripted(reply), question, YANG)
    assert query == rewrite_rule_based(question, YANG)
    assert query == "How does he interpret the phone call? (Yang Moo Jin)"


def test_figures_from_the_conversation_may_be_repeated() -> None:
    history = [
        Turn(role="user", content="How many soldiers are in Ukraine?"),
        Turn(role="assistant", content="11,000 North Korean soldiers [1]."),
    ]
    reply = "When did the 11,000 North Korean soldiers arrive in Ukraine?"
    assert rewrite_with_llm(_scripted(reply), "When did they arrive?", history) == reply
