"""An LLM judge for citations: do the cited passages support an answer sentence?

Used instead of the citation check's own verdicts when a judge model is configured
(settings.judge_backend, or `newsqa eval --judge`). Verdicts are cached, since a sentence with
one citation is asked about both as a citation and as a sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from assistant.answer import passage_block
from core.settings import Settings
from prompts import template

PROMPT = "judge-citation"
PASSAGE_CHARS = 2000  # a chunk is ~220 tokens; this keeps a runaway passage from filling context


def parse_verdict(reply: str) -> bool:
    """The first word decides; anything but a clear "yes" counts as unsupported."""
    words = reply.strip().strip("\"'*.").split()
    return bool(words) and words[0].strip("\"'*.,:!").lower() in {"yes", "ja"}


class CitationJudge:
    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.template = template(PROMPT)
        self._cache: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._lock = threading.Lock()

    def prompt(self, sentence: str, passages: Sequence[str]) -> str:
        quoted = "\n\n".join(passage_block(i, p[:PASSAGE_CHARS]) for i, p in enumerate(passages, 1))
        return self.template.fill(passages=quoted, statement=sentence)

    def __call__(self, sentence: str, passages: list[str]) -> bool:
        if not passages:
            return False
        key = (sentence, tuple(passages))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        reply = self.model.invoke([HumanMessage(content=self.prompt(sentence, passages))])
        verdict = parse_verdict(str(reply.content))
        with self._lock:
            self._cache[key] = verdict
        return verdict


def make_judge(settings: Settings, backend: str | None = None) -> CitationJudge:
    """The judge on `backend` (default settings.judge_backend), one of the model backends."""
    from assistant.backends import JUDGE_NAMES
    from assistant.llm import make_chat_model

    name = backend or settings.judge_backend
    if name not in JUDGE_NAMES:
        raise ValueError(f"judge backend must be one of {', '.join(JUDGE_NAMES)}, not {name!r}")
    # A verdict is one word; a short budget keeps a chatty model from spending seconds on it.
    return CitationJudge(
        make_chat_model(settings.model_copy(update={"max_answer_tokens": 8}), name)
    )
