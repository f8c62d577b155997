"""One registry of answer backends, read by the settings, the CLI, the app and the evaluator."""

from __future__ import annotations

import argparse
from typing import get_args

import pytest

from assistant.backends import BACKENDS, JUDGE_NAMES, ExtractiveBackend, make_backend
from assistant.llm import BackendError
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
