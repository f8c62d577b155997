"""The one settings object. Built once at the edge (CLI, app, tests) and passed in from there.

Every field can be set by a `NEWSQA_<FIELD>` environment variable or a `.env` file; CLI flags
override both by passing keyword arguments to `Settings(...)`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbeddingBackend = Literal["e5", "sentence-transformers", "openai"]
# The names of the answer backends (their implementations: assistant/backends.py, which checks
# that it has one for each); the judge is one of those with a model.
LLMBackend = Literal["local", "openai", "extractive"]
JudgeBackend = Literal["local", "openai"]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsqa"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_", env_file=".env", extra="ignore", validate_default=True
    )

    # Where everything lives: the Chroma database, the article store, the lexical index,
    # the assembled model file, the tiktoken cache and the feedback file.
    data_dir: Path = Field(default_factory=_default_data_dir)
    collection: str = "news"

    # Embeddings
    embedding_backend: EmbeddingBackend = "e5"
    # A model name or local folder for sentence-transformers; the served model's name for openai.
    embedding_model: str = "multilingual-e5-small"
    embedding_url: str | None = None
    embedding_api_key: str | None = None
    embedding_batch_size: int = 16
    # Longest wait for an embedding server's answer to one batch.
    embedding_timeout_s: float = Field(default=60.0, gt=0)
    # Sentence vectors written to Chroma per call. Chroma pays a fixed cost per call: 1.7 ms a
    # record in calls of 16, 0.4 ms in calls of 256 (4,000 records, 2 cores). Smaller makes
    # articles become searchable in finer steps during a long ingest.
    vector_write_batch: int = Field(default=256, ge=1)

    # Vector store: embedded (persistent client in data_dir) unless a Chroma server URL is set.
    chroma_url: str | None = None
    # Longest wait for one answer of a Chroma server (chromadb's own client waits forever).
    chroma_timeout_s: float = Field(default=30.0, gt=0)

    # Chunking, counted in tiktoken tokens.
    tokenizer: str = "cl100k_base"
    chunk_tokens: int = 220
    chunk_overlap_tokens: int = 40

    # Ingest limits
    max_file_mb: float = 25.0
    fetch_timeout_s: float = 15.0
    # Pages and feeds on this machine's own networks (loopback, private, link-local, reserved
    # addresses) are refused unless this is on: anyone who can type a URL could otherwise make
    # the app read this machine's services and quote them (ingest/fetch.py).
    fetch_allow_private: bool = False
    near_duplicate_threshold: float = 0.9
    # One writer at a time per collection: how long an ingest, upload or delete waits for
    # another one to finish before it gives up with a message.
    write_wait_s: float = Field(default=3600.0, ge=0)

    # Retrieval
    retrieval_k: int = 5
    candidate_k: int = 30

    # Answering. A question longer than this is refused with a message: a question is a few
    # sentences, and a 100 KB one held an answer slot for over a minute.
    max_question_chars: int = Field(default=2000, ge=1)
    llm_backend: LLMBackend = "local"
    llm_model_path: Path | None = None  # default: the assembled Qwen GGUF in data_dir/models
    llm_context_tokens: int = 4096
    llm_threads: int | None = None
    # Which llama.cpp build the worker loads: "auto" takes the AVX-512 one on a CPU with every
    # feature it was compiled for, the AVX2 one elsewhere (scripts/install-llama.sh).
    llm_cpu_variant: Literal["auto", "avx2", "avx512"] = "auto"
    # Evaluated prompts the worker keeps (MB, 0: none), so that an answer after a follow-up's
    # rewrite or a figure choice does not read the system prompt again. Off by default: saving
    # a state after every call costs about a second on 2 cores, more than it saves on single
    # questions (README, Benchmarks, "The prompt cache").
    llm_prompt_cache_mb: int = Field(default=0, ge=0)
    max_answer_tokens: int = 200
    # Tokens of passage text (headers included) a model reads first, and again when it declined
    # on that first reading (README, Benchmarks, "How much the model reads").
    evidence_tokens: int = Field(default=200, ge=1)
    read_more_tokens: int = Field(default=600, ge=1)
    # Longest wait for the next piece of an answer (and for a whole rewrite); a model that
    # writes nothing for this long is stopped, and the local one's worker restarted.
    llm_timeout_s: float = Field(default=120.0, gt=0)
    temperature: float = 0.0
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str | None = None
    # Evaluation: an LLM ("local" or "openai", as above) that checks citations in `newsqa eval`.
    judge_backend: JudgeBackend | None = None

    # App
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None  # "user:password" or a path to a file of such lines
    max_upload_mb: float = 25.0

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.data_dir / "tiktoken"

    @property
    def langid_cache_dir(self) -> Path:
        return self.data_dir / "langid"

    @property
    def feedback_file(self) -> Path:
        return self.data_dir / "feedback.jsonl"
