"""Cleaning scraped news text, and detecting its language."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from core.language import detect_language
from ingest.cleaning import clean_text, is_boilerplate, normalize_whitespace

SEED_FILE = "seed/000_aeb1d45ba569944f.txt"


def test_seed_article_loses_its_page_furniture(bench_dir: Path) -> None:
    raw = (bench_dir / SEED_FILE).read_text(encoding="utf-8")
    text = clean_text(raw, "de")
    lines = text.split("\n")
    for furniture in ("1. Startseite", "2. Politik", "Startseite", "Politik", "Kommentare"):
        assert furniture not in lines
    assert "Auch interessant" not in text
    assert "© IMAGO/Yonhap News" not in text
    # The facts stay, word for word.
    assert (
        "Unter Berufung auf ukrainische Geheimdienste berichtet des Fachportal Defense Express, "
        "dass sich bereits 11.000 nordkoreanische Soldaten in der Ukraine befinden – weitere 6000 "
        "werden erwartet."
    ) in text
    assert "Yang Moo Jin, Präsident der Universität für Nordkorea-Studien in Seoul" in text
    # The image caption keeps its words, only the credit glued to it goes.
    assert "wie wird der US-Präsident reagieren? (Archivbild)\n" in text
    assert text.endswith("Gebieten der Ukraine aktiv. (kox/afp)")
    assert "\n\n\n" not in text and "  " not in text


def _rtqa(bench_dir: Path) -> dict[str, dict]:
    path = bench_dir / "rtqa-small" / "corpus.jsonl"
    return {r["id"]: r for r in map(json.loads, path.open(encoding="utf-8"))}


def test_real_english_boilerplate(bench_dir: Path) -> None:
    corpus = _rtqa(bench_dir)
    iowa = clean_text(corpus["001aabcbcd8cb2a3"]["text"])
    assert not iowa.startswith("©")
    assert iowa.startswith("A quarter of Iowa adults do not plan to get vaccinated")
    pandas = clean_text(corpus["171957356a730fc6"]["text"])
    assert "READ MORE:" not in pandas
    assert pandas.endswith("Contributing: Zoe Wells, USA TODAY; The Associated Press")


def test_cleaning_only_ever_removes_short_lines_and_is_idempotent(bench_dir: Path) -> None:
    # Over the whole real corpus: every removed line is a short stand-alone one, and cleaning a
    # cleaned text changes nothing.
    for record in _rtqa(bench_dir).values():
        raw_lines = set(normalize_whitespace(record["text"]).split("\n"))
        cleaned = clean_text(record["text"])
        kept = set(cleaned.split("\n"))
        for line in raw_lines - kept - {""}:
            assert len(line) <= 400, (record["id"], line)
            assert any(k.startswith(line.split("©")[0].strip()) for k in kept) or is_boilerplate(
                line
            ), (record["id"], line)
        assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(
    "line",
    [
        "Home",
        "Startseite",
        "Zur Startseite",
        "Teilen",
        "Kommentare",
        "Mehr zum Thema",
        "Lesen Sie auch:",
        "Lesen Sie auch: Warum die Bahn schon wieder streikt",
        "Advertisement",
        "Skip to content",
        "Share this article",
        "Read more",
        "READ MORE:The National Zoo pandas are gone.",
        "We use cookies to improve your experience. Accept all cookies",
        "Diese Website verwendet Cookies. Alle akzeptieren",
        "© dpa",
        "Foto: Marijan Murat/dpa",
        "Bild: IMAGO / Future Image",
        "Image: Getty Images",
        "(Photo by Chip Somodevilla/Getty Images)",
        "© Copyright 2021, Des Moines Register and Tribune Co.",
        "Copyright 2025 The Associated Press. All rights reserved.",
    ],
)
def test_boilerplate_lines_are_removed(line: str) -> None:
    text = f"Erster Absatz mit Inhalt.\n\n{line}\n\nZweiter Absatz mit Inhalt."
    assert clean_text(text) == "Erster Absatz mit Inhalt.\n\nZweiter Absatz mit Inhalt."


@pytest.mark.parametrize(
    "line",
    [
        "Home prices rose 3 percent in July, the agency said.",
        "Share this article with your neighbours, the mayor urged residents.",
        "Read more carefully, the teacher told the class.",
        "Teilen ist für die Kinder noch schwer, sagte die Erzieherin.",
        "Startseite und Menü der Behörde wurden nach dem Angriff neu gebaut.",
        "The bakery sold 400 cookies before noon.",
        "Foto-Ausstellung im Rathaus: 40 Bilder aus 100 Jahren Stadtgeschichte sind zu sehen.",
        "Kommentare im Netz seien oft verletzend, sagte die Ministerin.",
        "Das Verfahren kostet laut Copyright-Experten bis zu 10.000 Euro.",
    ],
)
def test_sentences_that_merely_contain_boilerplate_words_stay(line: str) -> None:
    text = f"Intro.\n\n{line}\n\nOutro."
    assert clean_text(text) == text


def test_whitespace_and_unicode_are_normalised() -> None:
    raw = "  Erste\u00a0Zeile  mit\tTab \r\nzweite Zeile\r\n\r\n\r\n\n Neuer\u2009Absatz\u200b. "
    assert clean_text(raw) == "Erste Zeile mit Tab\nzweite Zeile\n\nNeuer Absatz."
    decomposed = "Gro\u0308\u00dfe"
    assert clean_text(decomposed) == unicodedata.normalize("NFC", decomposed) == "Größe"


def test_numbered_crumbs_go_but_numbered_lists_stay() -> None:
    crumbs = "1. Startseite\n2. Politik\n3. Ausland\n\nDer Text beginnt hier."
    assert clean_text(crumbs) == "Der Text beginnt hier."
    steps = "Die Regeln:\n1. Anmelden\n2. Bezahlen"
    assert clean_text(steps) == steps


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Der Gemeinderat hat am Montag die Sanierung der Turnhalle beschlossen.", "de"),
        ("The council voted on Monday to repair the school gym before winter.", "en"),
        ("Le conseil municipal a voté lundi la rénovation du gymnase de l'école.", "fr"),
        ("OK", "und"),
        ("12.000 / 3.400 – 17:30", "und"),
        ("", "und"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_language_of_real_corpora(bench_dir: Path) -> None:
    for name, expected in [("gnad-de", "de"), ("rtqa-small", "en")]:
        path = bench_dir / name / "corpus.jsonl"
        records = [json.loads(line) for _, line in zip(range(200), path.open(), strict=False)]
        detected = [detect_language(r["text"]) for r in records]
        assert detected.count(expected) >= 0.97 * len(records), name
