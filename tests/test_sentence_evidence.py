"""Sentence choice from the stored sentence vectors: the retriever hands each passage its
sentences' closeness to the question, read back from Chroma (no embedding at question time),
and that carries an English question to the German sentence that answers it where no word,
number or glossary entry is shared."""

from __future__ import annotations

import math

import pytest

from assistant.context import best_sentences, select_context
from assistant.retrieval import HybridRetriever
from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.store import NewsStore

REPORT = """Neue Straßenbahn für Mannheim

Die Stadtwerke haben am Montag die neue Straßenbahnlinie vorgestellt. Die Wagen sind
knallrot lackiert und tragen das Wappen der Stadt. Die Strecke führt vom Hauptbahnhof bis zum
Klinikum. Der Oberbürgermeister lobte das Vorhaben als großen Gewinn für die Innenstadt.
"""
QUESTION = "What colour are the carriages painted?"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> NewsStore:
    folder = tmp_path_factory.mktemp("evidence")
    (folder / "tram.txt").write_text(REPORT, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=folder / "data")
    store = NewsStore(settings)
    assert ingest_sources([folder / "tram.txt"], store, settings).added == 1
    return store


def test_passages_carry_their_sentences_closeness_from_the_store(store: NewsStore) -> None:
    [passage] = HybridRetriever(store, k=1).retrieve(QUESTION)
    assert passage.sentences, "no sentence scores came with the passage"
    for unit in passage.sentences:
        assert passage.start <= unit.start < unit.end <= passage.end
        assert -1.0 <= unit.similarity <= 1.0
    best = max(passage.sentences, key=lambda u: u.similarity)
    article = store.get_article(passage.article_id)
    assert article is not None and "knallrot" in article.text[best.start : best.end]


def test_passages_carry_their_sentences_stored_vectors_which_no_answer_writes_out(
    store: NewsStore,
) -> None:
    [passage] = HybridRetriever(store, k=1).retrieve(QUESTION)
    query = store.embeddings.embed_query(QUESTION)
    norm = math.sqrt(sum(x * x for x in query))
    for unit in passage.sentences:
        assert unit.vector is not None and len(unit.vector) == len(query)
        assert math.isclose(sum(x * x for x in unit.vector), 1.0, rel_tol=1e-4)
        # The same vector the closeness was measured with.
        cosine = sum(a * b for a, b in zip(unit.vector, query, strict=True)) / norm
        assert math.isclose(cosine, unit.similarity, abs_tol=1e-4)
    assert "vector" not in passage.model_dump()["sentences"][0]


def test_the_vectors_pick_the_answering_sentence_across_languages(store: NewsStore) -> None:
    [passage] = HybridRetriever(store, k=1).retrieve(QUESTION)
    [(start, end, _)] = best_sentences(passage, QUESTION, 1)
    article = store.get_article(passage.article_id)
    assert article is not None and "knallrot lackiert" in article.text[start:end]
    [shown] = select_context([passage], QUESTION, max_sentences=1, neighbours=0)
    assert "knallrot" in shown.context and "Klinikum" not in shown.context


def test_without_stored_scores_no_word_links_the_question_to_that_sentence(
    store: NewsStore,
) -> None:
    """The same passage stripped of its sentence scores: the words alone do not find it."""
    [passage] = HybridRetriever(store, k=1).retrieve(QUESTION)
    bare = passage.model_copy(update={"sentences": []})
    [(start, end, score)] = best_sentences(bare, QUESTION, 1)
    article = store.get_article(passage.article_id)
    assert article is not None
    assert score == 0 or "knallrot" not in article.text[start:end]
