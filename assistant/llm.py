"""Chat models behind LangChain's interface: llama.cpp in-process, or any OpenAI-compatible server.

`make_chat_model(settings)` picks by settings.llm_backend and returns None for "extractive",
which answers without a language model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.local_model import require_model
from newsqa.settings import Settings

BACKENDS = ("local", "openai", "extractive")

# One loaded model per (file, context size, threads) for the whole process: loading takes
# seconds and 1.1 GB of memory, and llama.cpp contexts are not safe to use from two threads.
_LOADED: dict[tuple[str, int, int], Any] = {}
_LOCKS: dict[tuple[str, int, int], threading.Lock] = {}
_LOAD_LOCK = threading.Lock()


class BackendError(RuntimeError):
    """The chosen backend cannot answer; the message says why and what to do."""


def load_llama(path: Path, n_ctx: int, threads: int) -> tuple[Any, threading.Lock]:
    """The process-wide llama.cpp model for this file, loaded on first use."""
    key = (str(path), n_ctx, threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise BackendError(
                    "the local backend needs llama-cpp-python: run `pip install 'newsqa[local]'`"
                ) from exc
            _LOADED[key] = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
            _LOCKS[key] = threading.Lock()
    return _LOADED[key], _LOCKS[key]


def is_loaded(path: Path) -> bool:
    """Whether this process holds the GGUF at `path` in memory (for status displays)."""
    return any(key[0] == str(path) for key in list(_LOADED))


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class ChatLlamaCpp(BaseChatModel):
    """A LangChain chat model over a GGUF file run in this process by llama.cpp."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    n_ctx: int = 4096
    threads: int = 2
    max_tokens: int = 200
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "n_ctx": self.n_ctx}

    def _model(self) -> tuple[Any, threading.Lock]:
        if self._llama is None:
            self._llama, self._lock = load_llama(self.model_path, self.n_ctx, self.threads)
        return self._llama, self._lock

    def _completion_args(self, messages: list[BaseMessage], stop: list[str] | None) -> dict:
        return {
            "messages": [{"role": _role(m), "content": m.text} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": stop or [],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, lock = self._model()
        with lock:
            result = llama.create_chat_completion(**self._completion_args(messages, stop))
        usage = result.get("usage") or {}
        message = AIMessage(
            content=result["choices"][0]["message"]["content"] or "",
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama, lock = self._model()
        with lock:
            args = self._completion_args(messages, stop)
            prompt_tokens = _prompt_tokens(llama, args["messages"])
            completion_tokens = 0
            for part in llama.create_chat_completion(stream=True, **args):
                text = part["choices"][0]["delta"].get("content") or ""
                if not text:
                    continue
                completion_tokens += 1
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
        # Streaming completions carry no usage; report what was counted here.
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata={
                    "input_tokens": prompt_tokens,
                    "output_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            )
        )


def _prompt_tokens(llama: Any, messages: list[dict]) -> int:
    """Prompt tokens by the model's tokenizer: the messages' text, without the few tokens the
    chat template adds around each message."""
    text = "".join(m["content"] for m in messages)
    return len(llama.tokenize(text.encode("utf-8"), add_bos=True, special=False))


def make_chat_model(settings: Settings, backend: str | None = None) -> BaseChatModel | None:
    """The chat model for `backend` (default settings.llm_backend); None for "extractive"."""
    name = backend or settings.llm_backend
    if name == "extractive":
        return None
    if name == "local":
        return ChatLlamaCpp(
            model_path=require_model(settings),
            n_ctx=settings.llm_context_tokens,
            threads=settings.llm_threads or 2,
            max_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
        )
    if name == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.openai_base_url and not settings.openai_api_key:
            raise BackendError(
                "the openai backend needs NEWSQA_OPENAI_BASE_URL (an OpenAI-compatible server) "
                "or NEWSQA_OPENAI_API_KEY"
            )
        return ChatOpenAI(
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            # Local OpenAI-compatible servers accept any key; the client insists on one.
            api_key=settings.openai_api_key or "not-needed",
            temperature=settings.temperature,
            max_tokens=settings.max_answer_tokens,
            stream_usage=True,
            timeout=120,
            max_retries=1,
        )
    raise BackendError(f"unknown llm backend {name!r}: choose one of {', '.join(BACKENDS)}")
