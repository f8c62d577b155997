"""Model prompts are files, read once into templates that know their fields."""

from __future__ import annotations

import pytest

from prompts import PROMPTS_DIR, Template, template


def test_every_prompt_file_is_a_template_with_the_fields_its_caller_fills():
    fields = {
        "answer": {"passages", "question", "instruction"},
        "answer-fact": {"language"},
        "choose": {"question", "options"},
        "question-from": {"passage", "answer"},
        "translate": {"language", "passage"},
        "answer-overview": {"language", "order"},
        "passage": {"number", "title", "source", "date", "text"},
        "rewrite": {"history", "question"},
        "judge-citation": {"passages", "statement"},
        "system": set(),
    }
    assert {p.stem for p in PROMPTS_DIR.glob("*.md")} == set(fields)
    for name, wanted in fields.items():
        assert template(name).fields == wanted, name


def test_a_template_is_read_once():
    assert template("answer") is template("answer")


def test_a_missing_or_unknown_field_is_refused_by_name():
    with pytest.raises(ValueError, match="missing fields: question; unknown fields: query"):
        template("rewrite").fill(history="", query="x")


def test_a_value_is_never_filled_again():
    filled = Template("t", "{a} and {b}").fill(a="{b}", b="B")
    assert filled == "{b} and B"
