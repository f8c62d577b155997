"""Sentence units: what the dense index embeds, one vector per sentence of a chunk."""

from __future__ import annotations

from core.ids import article_id
from core.records import Article
from core.settings import Settings
from core.tokens import get_encoding
from ingest.chunking import chunk_article
from vectorstore.units import MIN_WORDS, chunk_ids_of, sentence_units

TEXT = (
    "Die Bundeswehr baut ihre Brigade in Litauen aus. Foto: dpa. "
    "Bis 2027 werden dort 6.000 weitere Soldaten erwartet, sagte der Minister am Dienstag. "
    "Die Kosten trägt nach Angaben des Ministeriums der Bund. "
    "Litauen stellt dafür zwei Kasernen und einen Übungsplatz bereit. "
    "Die ersten Soldaten sollen im Herbst eintreffen, die übrigen im kommenden Jahr. "
    "Ja."
)


def article(text: str = TEXT) -> Article:
    return Article(
        id=article_id("Brigade", text), title="Brigade", text=text, language="de", source="S"
    )


def chunks(settings: Settings, text: str = TEXT, chunk_tokens: int = 40, overlap: int = 20):
    encoding = get_encoding(settings.tokenizer, settings.tiktoken_cache_dir)
    return chunk_article(article(text), encoding, chunk_tokens=chunk_tokens, overlap_tokens=overlap)


def test_every_unit_is_an_exact_span_of_the_article_inside_the_chunks_it_names(
    settings: Settings,
) -> None:
    parts = chunks(settings)
    assert len(parts) > 2
    units = sentence_units(parts)
    for unit in units:
        assert TEXT[unit.start : unit.end] == unit.text
        for chunk in parts[unit.first_chunk : unit.last_chunk + 1]:
            assert chunk.start <= unit.start and unit.end <= chunk.end
        assert (unit.source, unit.language) == ("S", "de")
    assert [u.index for u in units] == list(range(len(units)))
    for unit in units:
        assert unit.id.startswith(f"{parts[0].article_id}:s{unit.index}:")
        holders = parts[unit.first_chunk : unit.last_chunk + 1]
        assert chunk_ids_of(unit.id) == [c.id for c in holders]


def test_every_chunk_has_its_own_sentences_and_overlap_is_embedded_once(
    settings: Settings,
) -> None:
    parts = chunks(settings)
    units = sentence_units(parts)
    for chunk in parts:
        assert any(u.first_chunk <= chunk.index <= u.last_chunk for u in units)
    # The overlap: a sentence two chunks share is one unit pointing at both.
    shared = [u for u in units if u.last_chunk > u.first_chunk]
    assert shared
    assert len({(u.start, u.end) for u in units}) == len(units)


def test_very_short_sentences_join_a_neighbour(settings: Settings) -> None:
    units = sentence_units(chunks(settings, chunk_tokens=400, overlap=0))
    texts = [u.text for u in units]
    assert texts[:2] == [
        "Die Bundeswehr baut ihre Brigade in Litauen aus.",
        "Foto: dpa. Bis 2027 werden dort 6.000 weitere Soldaten erwartet, sagte der Minister "
        "am Dienstag.",
    ]
    assert texts[-1].endswith("im kommenden Jahr. Ja.")
    assert all(len(t.split()) >= MIN_WORDS for t in texts)


def test_an_article_of_one_short_sentence_still_has_one_unit(settings: Settings) -> None:
    units = sentence_units(chunks(settings, text="Ja."))
    assert [u.text for u in units] == ["Ja."]


def test_units_are_the_same_every_time(settings: Settings) -> None:
    assert sentence_units(chunks(settings)) == sentence_units(chunks(settings))
    assert sentence_units([]) == []
