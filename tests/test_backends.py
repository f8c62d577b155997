"""One registry of answer backends, read by the settings, the CLI, the app and the evaluator."""

from __future__ import annotations

import argparse
from typing import get_args

import pytest
from scripted_openai import scripted_openai

from assistant.backends import BACKENDS, JUDGE_NAMES, ExtractiveBackend, Spent, make_backend
from assistant.events import Token
from assistant.llm import BackendError
from assistant.models import Passage
from core.settings import JudgeBackend, LLMBackend, Settings
from newsqa.commands import ask
from newsqa.commands import eval as eval_command
from webapp.backend_status import BACKEND_LABELS


def choices(module, flag: str) -> tuple[str, ...]:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return tuple(next(a for a in parser._actions if flag in a.option_strings).choices)


def test_the_settings_the_cli_and_the_app_name_the_same_backends():
    assert tuple(BACKENDS) == get_args(LLMBackend)
    assert choices(ask, "--backend") == tuple(BACKENDS)
    assert choices(eval_command, "--backend") == tuple(BACKENDS)
    assert set(BACKEND_LABELS) == set(BACKENDS)
    assert JUDGE_NAMES == get_args(JudgeBackend) == choices(eval_command, "--judge")


def test_only_the_local_model_answers_one_question_at_a_time():
    assert [name for name, cls in BACKENDS.items() if cls.one_at_a_time] == ["local"]
    assert [name for name, cls in BACKENDS.items() if cls.instant] == ["extractive"]


def test_a_backend_is_made_from_the_settings(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_backend="extractive")
    backend = make_backend(settings)
    assert isinstance(backend, ExtractiveBackend) and backend.status().ready
    with pytest.raises(BackendError, match="choose one of local, openai, extractive"):
        make_backend(settings, "gpt")


# --- a model that declines reads more of the same passages first ------------------------------

# One long passage: twenty sentences that share the question's words, then the one that answers
# it and shares none, so the first reading (200 tokens) leaves it out and a wider one holds it.
BRIDGE_TALK = " ".join(
    f"The harbour bridge was discussed again by council member number {i} on Monday."
    for i in range(1, 21)
)
ANSWERING = "Traffic returns on 3 March."
LONG_PASSAGE = Passage(
    number=1,
    chunk_id="b1",
    article_id="b",
    title="Council meeting",
    text=f"{BRIDGE_TALK} {ANSWERING}",
    start=0,
    end=len(BRIDGE_TALK) + 1 + len(ANSWERING),
    language="en",
)
REOPEN = "When will the harbour bridge reopen?"


def answer_with(
    reply, tmp_path, passages=(LONG_PASSAGE,), **budgets: int
) -> tuple[str, list[str], Spent]:
    prompts: list[str] = []
    spent = Spent(tokens={}, timings={})
    with scripted_openai(reply, prompts=prompts) as base_url:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path,
            llm_backend="openai",
            openai_base_url=base_url,
            openai_model="scripted",
            **budgets,
        )
        backend = make_backend(settings)
        events = backend.answer(REOPEN, REOPEN, list(passages), None, spent)
        streamed = "".join(e.text for e in events if isinstance(e, Token))
    return streamed, prompts, spent


def reopens_when_it_reads_the_answer(prompt: str) -> str:
    return (
        "The bridge reopens on 3 March [1]." if ANSWERING in prompt else "The articles do not say."
    )


def test_a_model_that_declines_on_the_evidence_reads_more_of_the_passages_first(tmp_path):
    streamed, prompts, spent = answer_with(reopens_when_it_reads_the_answer, tmp_path)
    assert len(prompts) == 2
    assert ANSWERING not in prompts[0] and ANSWERING in prompts[1]
    # The first reading's decline is never streamed: only the answer from the wider one.
    assert streamed.strip() == "The bridge reopens on 3 March [1]."
    assert spent.timings["first_reading"] >= 0


def test_an_answer_on_the_first_reading_is_streamed_as_it_comes(tmp_path):
    streamed, prompts, spent = answer_with("The articles say nothing new [1].", tmp_path)
    assert len(prompts) == 1 and "first_reading" not in spent.timings
    assert streamed.strip() == "The articles say nothing new [1]."


def test_a_decline_stands_when_a_wider_reading_would_show_the_model_nothing_more(tmp_path):
    short = LONG_PASSAGE.model_copy(update={"text": ANSWERING, "end": len(ANSWERING)})
    streamed, prompts, _ = answer_with("The articles do not say.", tmp_path, passages=[short])
    assert len(prompts) == 1
    assert streamed.strip() == "The articles do not say."


def test_the_evidence_budget_setting_sets_how_much_the_model_reads_first(tmp_path):
    streamed, prompts, _ = answer_with(
        reopens_when_it_reads_the_answer, tmp_path, evidence_tokens=600
    )
    assert len(prompts) == 1 and ANSWERING in prompts[0]
    assert streamed.strip() == "The bridge reopens on 3 March [1]."


def test_a_read_more_budget_no_larger_than_the_first_reading_leaves_the_decline_standing(
    tmp_path,
):
    streamed, prompts, _ = answer_with(
        reopens_when_it_reads_the_answer, tmp_path, evidence_tokens=200, read_more_tokens=200
    )
    assert len(prompts) == 1
    assert streamed.strip() == "The articles do not say."
