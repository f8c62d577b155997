"""The ingest pipeline end to end with real parts: the real loaders, chunker, e5 model, Chroma
and article store, on small article files written by each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from indexing.pipeline import Progress, ingest_sources
from ingest.dedup import DuplicateFinder, signature, similarity
from vectorstore.embeddings import E5Embeddings, EmbeddingError
from vectorstore.store import NewsStore
from vectorstore.units import chunk_ids_of

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

BUNDESWEHR = """Bundeswehr stockt Brigade in Litauen auf

Die Bundeswehr baut ihre Brigade in Litauen weiter aus. Bis 2027 werden dort 6.000 weitere
Soldaten erwartet, sagte der Verteidigungsminister am Dienstag in Vilnius. Die Kosten für
Kasernen und Übungsplätze trägt zum großen Teil der litauische Staat.
"""
RATES = """Central bank holds interest rates

The central bank left its key interest rate unchanged at 4.5 percent on Thursday. Officials
said inflation was still too high to cut rates, but most economists expect a first cut in
the spring as price growth slows across the euro area. The decision was unanimous, the
bank's president told reporters after the meeting, and the council would look closely at
wage settlements over the coming months. Markets had priced in a pause; the currency barely
moved and bond yields fell slightly. Banks welcomed the steady course, while trade unions
warned that high borrowing costs were starting to hurt construction and small firms.
"""
FLOODS = """Floods close mountain roads

Heavy rain caused floods across the northern valleys on Sunday. Several mountain roads were
closed and about 300 residents were taken to shelters, the regional fire brigade said. More
rain is forecast for Monday evening.
"""
# The same agency report as RATES, as a second outlet ran it: with a byline.
RATES_SYNDICATED = """Central bank holds interest rates

By our business desk.
The central bank left its key interest rate unchanged at 4.5 percent on Thursday. Officials
said inflation was still too high to cut rates, but most economists expect a first cut in
the spring as price growth slows across the euro area. The decision was unanimous, the
bank's president told reporters after the meeting, and the council would look closely at
wage settlements over the coming months. Markets had priced in a pause; the currency barely
moved and bond yields fell slightly. Banks welcomed the steady course, while trade unions
warned that high borrowing costs were starting to hurt construction and small firms.
"""


class CountingE5(E5Embeddings):
    """The real e5 model, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture(scope="module")
def e5() -> CountingE5:
    return CountingE5()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "bundeswehr.txt").write_text(BUNDESWEHR, encoding="utf-8")
    (folder / "rates.txt").write_text(RATES, encoding="utf-8")
    (folder / "floods.md").write_text(FLOODS, encoding="utf-8")
    return folder


@pytest.fixture
def store(settings: Settings, e5: CountingE5) -> NewsStore:
    return NewsStore(settings, embeddings=e5)


def stored_chunk_ids(store: NewsStore) -> set[str]:
    """The stored chunks, after checking that Chroma holds exactly the sentence vectors of the
    complete articles, and that every chunk has at least one of them."""
    records = store.collection.get(include=[])["ids"]
    assert len(records) == store.docstore.vector_count(), "Chroma holds stray vectors"
    covered = {chunk for unit in records for chunk in chunk_ids_of(unit)}
    docstore = set(store.docstore.get_chunk_ids_complete())
    assert covered == docstore, "Chroma and the article store disagree"
    return docstore


def test_a_folder_lands_whole_and_is_searchable(
    corpus: Path, store: NewsStore, settings: Settings
) -> None:
    seen: list[Progress] = []
    report = ingest_sources([corpus], store, settings, on_progress=seen.append)
    assert (report.added, report.updated, report.unchanged, report.duplicates) == (3, 0, 0, 0)
    assert report.ok and report.failed == []
    assert report.chunks_added == len(stored_chunk_ids(store)) >= 3
    assert seen[-1].articles_done == 3 and seen[-1].chunks_done == report.chunks_added
    assert [p.articles_done for p in seen] == sorted(p.articles_done for p in seen)
    hit = store.search_dense("How many more soldiers are expected?", k=1)[0]
    assert "6.000" in hit.chunk.text and hit.chunk.language == "de"
    assert {a.title for a in store.list_articles()} == {
        "Bundeswehr stockt Brigade in Litauen auf",
        "Central bank holds interest rates",
        "Floods close mountain roads",
    }


def test_re_ingesting_adds_nothing_and_embeds_nothing(
    corpus: Path, store: NewsStore, settings: Settings, e5: CountingE5
) -> None:
    ingest_sources([corpus], store, settings)
    before = stored_chunk_ids(store)
    embedded = e5.embedded
    again = ingest_sources([corpus], store, settings)
    assert (again.added, again.updated, again.unchanged, again.chunks_added) == (0, 0, 3, 0)
    assert e5.embedded == embedded
    assert stored_chunk_ids(store) == before


def test_a_changed_file_replaces_its_old_chunks(
    corpus: Path, store: NewsStore, settings: Settings
) -> None:
    ingest_sources([corpus], store, settings)
    old = next(a for a in store.list_articles() if a.title.startswith("Floods"))
    old_chunks = {c for c in stored_chunk_ids(store) if c.startswith(old.id)}
    (corpus / "floods.md").write_text(
        FLOODS.replace("about 300 residents", "about 450 residents"), encoding="utf-8"
    )
    report = ingest_sources([corpus], store, settings)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert store.get_article(old.id) is None
    assert not old_chunks & stored_chunk_ids(store)
    titles = [a.title for a in store.list_articles()]
    assert titles.count("Floods close mountain roads") == 1
    new = next(a for a in store.list_articles() if a.title.startswith("Floods"))
    assert "450 residents" in new.text
    assert store.search_lexical("450 residents", k=1)[0].chunk.article_id == new.id


def test_a_syndicated_copy_is_stored_once(
    corpus: Path, store: NewsStore, settings: Settings, tmp_path: Path
) -> None:
    ingest_sources([corpus], store, settings)
    chunks = stored_chunk_ids(store)
    other = tmp_path / "other-outlet"
    other.mkdir()
    (other / "rates-copy.txt").write_text(RATES_SYNDICATED, encoding="utf-8")
    (other / "rates-exact.txt").write_text(RATES, encoding="utf-8")
    report = ingest_sources([other], store, settings)
    assert (report.added, report.duplicates) == (0, 2)
    assert stored_chunk_ids(store) == chunks
    assert store.stats().articles == 3
    # Both copies are remembered, so the next run does not look at them again.
    again = ingest_sources([other], store, settings)
    assert (again.unchanged, again.duplicates) == (2, 0)


def test_a_broken_file_is_reported_and_the_rest_lands(
    corpus: Path, store: NewsStore, settings: Settings
) -> None:
    (corpus / "broken.json").write_text('{"title": "half a record", "text": ', encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    report = ingest_sources([corpus, corpus / "missing.txt"], store, settings)
    assert report.added == 3
    assert not report.ok
    failed = {Path(f.item).name: f.reason for f in report.failed}
    assert set(failed) == {"broken.json", "empty.txt", "missing.txt"}
    assert all(reason for reason in failed.values())
    assert store.stats().articles == 3


def test_the_bundled_samples_ingest_cleanly(store: NewsStore, settings: Settings) -> None:
    if not any(SAMPLES.glob("*")):
        pytest.skip("samples/ is still empty")
    report = ingest_sources([SAMPLES], store, settings)
    assert report.ok, report.failed
    assert report.added + report.duplicates > 0
    assert store.stats().articles == report.added


def test_minhash_tells_copies_from_different_reports() -> None:
    body = RATES.split("\n", 2)[2]
    assert similarity(signature(RATES), signature(RATES_SYNDICATED)) >= 0.9
    assert similarity(signature(body), signature(body.replace("Thursday", "Friday"))) > 0.8
    assert similarity(signature(RATES), signature(FLOODS)) < 0.1
    finder = DuplicateFinder(0.75, [("rates", signature(RATES)), ("floods", signature(FLOODS))])
    assert finder.find(signature(RATES_SYNDICATED)) == ("rates", pytest.approx(0.8, abs=0.2))
    assert finder.find(signature(BUNDESWEHR)) is None
    assert finder.find(signature(RATES), exclude="rates") is None
    finder.discard("floods")
    assert finder.find(signature(FLOODS)) is None


def test_an_embedding_failure_stops_the_run_and_leaves_nothing_half_stored(
    corpus: Path, settings: Settings
) -> None:
    # An OpenAI-compatible endpoint on a loopback port nothing listens on: every call fails.
    unreachable = settings.model_copy(
        update={
            "collection": "remote",
            "embedding_backend": "openai",
            "embedding_url": "http://127.0.0.1:9/v1",
        }
    )
    store = NewsStore(unreachable)
    with pytest.raises(EmbeddingError, match="unreachable"):
        ingest_sources([corpus], store, unreachable)
    assert store.stats().articles == 0
    assert store.vector_count() == 0
    assert store.docstore.incomplete_ids()  # pending rows the next run sweeps away
    store.sweep()
    assert store.docstore.incomplete_ids() == []
