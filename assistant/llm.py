"""Chat models behind LangChain's interface: the local model in its worker process, or any
OpenAI-compatible server. Both speak the OpenAI protocol, so both go through one client.

`make_chat_model(settings, name)` builds the chat model of a model backend ("local" or
"openai"); the backends themselves are in `assistant/backends.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    convert_to_openai_messages,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.cancel import Cancel
from assistant.errors import BackendError
from assistant.local_model import require_model
from assistant.model_worker import ModelWorker, WorkerError, worker_for
from core.settings import Settings


def _openai_client(base_url: str, api_key: str, model: str, settings_like: dict) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=base_url, api_key=api_key, model=model, **settings_like)


class LocalWorkerChat(BaseChatModel):
    """A LangChain chat model over the GGUF file that a `ModelWorker` serves on loopback.

    Pass `cancel=Cancel()` to `stream` to be able to end the generation from another thread:
    the worker is killed, so even a long prompt evaluation stops at once.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    worker: ModelWorker
    max_tokens: int = 200
    temperature: float = 0.0
    timeout_s: float = 120.0
    _clients: dict[str, BaseChatModel] = PrivateAttr(default_factory=dict)
    _http: httpx.Client | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-worker"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.worker.model_path), "n_ctx": self.worker.n_ctx}

    @property
    def model_path(self) -> Path:
        return self.worker.model_path

    def _http_client(self) -> httpx.Client:
        """One connection pool for every worker this model talks to (each on its own port)."""
        if self._http is None:
            # Loopback: never through a proxy that the environment may name.
            timeout = httpx.Timeout(self.timeout_s, connect=5.0)
            self._http = httpx.Client(trust_env=False, timeout=timeout)
        return self._http

    def _client(self, base_url: str) -> BaseChatModel:
        if base_url not in self._clients:
            self._clients.clear()  # a new worker listens on a new port
            self._clients[base_url] = _openai_client(
                base_url,
                self.worker.api_key,
                "local",
                {
                    "temperature": self.temperature,
                    # langchain-openai sends max_tokens as `max_completion_tokens`, which
                    # llama.cpp's server ignores (it then writes until the context is full).
                    "extra_body": {"max_tokens": self.max_tokens},
                    "stream_usage": True,
                    # Read timeout between two pieces: a hung worker is stopped, not waited on.
                    "timeout": httpx.Timeout(self.timeout_s, connect=5.0),
                    "http_client": self._http_client(),
                    # A retry would ask a dead worker again; the next question starts a new one.
                    "max_retries": 0,
                },
            )
        return self._clients[base_url]

    @contextmanager
    def _turn(self, cancel: Cancel | None) -> Iterator[BaseChatModel]:
        """Hold the worker for one generation, with `cancel` wired to end it; yields the client."""
        with self._held(cancel) as base_url:
            yield self._client(base_url)

    @contextmanager
    def _held(self, cancel: Cancel | None) -> Iterator[str]:
        """Hold the worker for one request, with `cancel` wired to end it; yields its base URL.

        A failure is explained in the asker's words (worker killed, timed out, ...); a caller
        that goes away mid-answer (a closed stream, Ctrl-C) ends the generation at once rather
        than leave the worker writing an answer nobody reads."""
        try:
            with self.worker.generation() as (number, base_url):
                forget = cancel.on_cancel(lambda: self.worker.abort(number)) if cancel else None
                try:
                    yield base_url
                except Exception as exc:
                    raise BackendError(self.worker.explain(number, exc, self.timeout_s)) from exc
                except BaseException:  # GeneratorExit, KeyboardInterrupt
                    self.worker.abort(number)
                    raise
                finally:
                    if forget:
                        forget()
        except WorkerError as exc:
            raise BackendError(str(exc)) from exc

    def likelihood(self, messages: list[BaseMessage], continuation: str) -> list[float]:
        """The log-probability of each token of `continuation` as the model's reply to
        `messages` (the worker's `/newsqa/likelihood`; `assistant.model_server`)."""
        body = {"messages": convert_to_openai_messages(messages), "continuation": continuation}
        with self._held(None) as base_url:
            response = self._http_client().post(
                f"{base_url.removesuffix('/v1')}/newsqa/likelihood",
                json=body,
                headers={"Authorization": f"Bearer {self.worker.api_key}"},
            )
            response.raise_for_status()
        return [float(x) for x in response.json()["logprobs"]]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._turn(kwargs.pop("cancel", None)) as client:
            reply = client.invoke(messages, stop=stop)
        message = AIMessage(content=reply.text, usage_metadata=reply.usage_metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._turn(kwargs.pop("cancel", None)) as client:
            pieces, counted = 0, False
            for piece in client.stream(messages, stop=stop):
                chunk = ChatGenerationChunk(message=piece)
                counted = counted or bool(piece.usage_metadata)
                if piece.text:
                    pieces += 1
                    if run_manager:
                        run_manager.on_llm_new_token(piece.text, chunk=chunk)
                yield chunk
            if not counted:
                # llama.cpp's server sends no usage when streaming: one streamed piece is one
                # token, and the prompt is counted by the model's tokenizer (the messages'
                # text, without the chat template's few tokens).
                prompt = self.worker.count_tokens("".join(m.text for m in messages))
                usage = {"input_tokens": prompt, "output_tokens": pieces}
                usage["total_tokens"] = prompt + pieces
                yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))


def cancellable(model: BaseChatModel, cancel: Cancel | None) -> Any:
    """`model` with `cancel` bound to its calls where the backend can act on it; as it is
    otherwise (a remote server's stream ends when its reader stops reading)."""
    if cancel is not None and isinstance(model, LocalWorkerChat):
        return model.bind(cancel=cancel)
    return model


def local_worker(settings: Settings) -> ModelWorker:
    """The worker that serves the configured GGUF (started on first use)."""
    return worker_for(
        require_model(settings),
        n_ctx=settings.llm_context_tokens,
        threads=settings.llm_threads or 2,
        log_path=settings.data_dir / "logs" / "model-worker.log",
        cpu_variant=settings.llm_cpu_variant,
        prompt_cache_mb=settings.llm_prompt_cache_mb,
    )


def make_chat_model(settings: Settings, backend: str | None = None) -> BaseChatModel:
    """The chat model of `backend` (default settings.llm_backend), "local" or "openai"."""
    name = backend or settings.llm_backend
    if name == "local":
        return LocalWorkerChat(
            worker=local_worker(settings),
            max_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            timeout_s=settings.llm_timeout_s,
        )
    if name == "openai":
        if not settings.openai_base_url and not settings.openai_api_key:
            raise BackendError(
                "the openai backend needs NEWSQA_OPENAI_BASE_URL (an OpenAI-compatible server) "
                "or NEWSQA_OPENAI_API_KEY"
            )
        return _openai_client(
            settings.openai_base_url,
            # Local OpenAI-compatible servers accept any key; the client insists on one.
            settings.openai_api_key or "not-needed",
            settings.openai_model,
            {
                "temperature": settings.temperature,
                "max_tokens": settings.max_answer_tokens,
                "stream_usage": True,
                "timeout": settings.llm_timeout_s,
                "max_retries": 1,
            },
        )
    raise BackendError(f"the {name!r} backend has no chat model: choose local or openai")
