"""The BM25 lexical index over chunk texts: names, numbers and rare words that dense vectors blur.

The analyser is multilingual (English and German first): Unicode-aware tokens, case and accent
folding, per-language stop words and Snowball stems, numbers normalised so that "6,000", "6.000"
and "6000" are one term, and German compounds split against the corpus's own vocabulary so that
"Soldaten" finds "Bundeswehrsoldaten". The index is persisted in one folder together with the
stamp it was built from, so the store can tell when it is out of step and rebuild it.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN
from py3langid.langid import MODEL_FILE, LanguageIdentifier

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_META = "meta.json"
_IDS = "chunk_ids.json"
_COMPOUND_VOCAB = "compound_vocab.json"

# A number with optional grouping/decimal separators (thin and no-break spaces group digits too),
# or a word, possibly hyphenated ("Pro-Bowl-Selektionen", "COVID-19").
_TOKEN = re.compile(r"\d+(?:[.,\u00a0\u202f\u2009']\d+)*|[^\W\d_][\w]*(?:-\w+)*")
_SEPARATORS = re.compile(r"[.,\u00a0\u202f\u2009']")

# Question words join the stop lists: they carry no topic. "won" leaves the English list:
# "who won the election" is about winning.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": (frozenset(STOPWORDS_EN_PLUS) - {"won"})
    | frozenset({"also", "would", "could", "said", "says", "many", "much", "whose", "one"}),
    "de": frozenset(STOPWORDS_GERMAN)
    | frozenset({"viele", "wieviel", "wieviele", "wann", "wer", "warum", "welches", "wurde"}),
}
_STEMMER_NAMES = {"en": "english", "de": "german"}
_QUERY_LANGUAGES = ("en", "de")

# Compound splitting: only words this long are tried, and both parts must be this long.
_MIN_COMPOUND = 9
_MIN_PART = 4


def _fold(token: str) -> str:
    """Drop accents so that "Zürich", "Zurich" and the German stemmer's "zurich" meet."""
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES.get(language, "english"))


def _stem(word: str, language: str) -> str:
    return _fold(_stemmer(language).stemWord(word))


def normalise_number(raw: str) -> list[str]:
    """The canonical forms of one written number.

    Groups of exactly three digits after a separator are thousands ("6,000", "6.000", "6 000"
    are all "6000"); a single other separator is a decimal point ("2,5" and "2.5" are "2.5").
    Anything else (dates such as 24.11.2026) yields its digit groups one by one.
    """
    groups = _SEPARATORS.split(raw)
    seps = _SEPARATORS.findall(raw)
    if len(groups) == 1:
        return [raw.lstrip("0") or "0"]
    if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return ["".join(groups).lstrip("0") or "0"]
    if len(groups) == 2 and seps[0] in ".,":
        return [f"{groups[0].lstrip('0') or '0'}.{groups[1]}"]
    # "2,500.50" or "2.500,50": thousands groups and a different decimal separator at the end.
    if (
        len(groups) > 2
        and seps[-1] in ".,"
        and len(set(seps[:-1])) == 1
        and seps[-1] != seps[0]
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:-1])
    ):
        return [f"{''.join(groups[:-1]).lstrip('0') or '0'}.{groups[-1]}"]
    return [g.lstrip("0") or "0" for g in groups]


def raw_tokens(text: str) -> list[str]:
    """Lowercased word and number tokens in text order, before stop words and stemming."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def _split_compound(word: str, vocab: frozenset[str]) -> tuple[str, str] | None:
    """Split a German compound into (modifier, head) when both are words of the corpus.

    The longest head wins: the head is the last element and carries the meaning
    ("Bundeswehrsoldaten" -> "bundeswehr" + "soldaten"). A linking -s- is allowed.
    """
    if len(word) < _MIN_COMPOUND or not vocab:
        return None
    for i in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:i], word[i:]
        if tail not in vocab:
            continue
        if head in vocab:
            return head, tail
        if head.endswith("s") and head[:-1] in vocab and len(head) > _MIN_PART:
            return head[:-1], tail
    return None


def _word_terms(
    word: str, languages: tuple[str, ...], stop: frozenset[str], vocab: frozenset[str]
) -> list[str]:
    parts = [word]
    if "-" in word:
        pieces = [p for p in word.split("-") if p]
        parts = ["".join(pieces), *pieces]
    terms: list[str] = []
    for part in parts:
        if part[0].isdigit():
            terms.extend(normalise_number(part))
            continue
        if len(part) < 2 or part in stop:
            continue
        split = _split_compound(part, vocab)
        candidates = [part, *split] if split else [part]
        for cand in candidates:
            for lang in languages:
                terms.append(_stem(cand, lang))
    return terms


def analyse(
    text: str,
    language: str = "en",
    compound_vocab: frozenset[str] = frozenset(),
) -> list[str]:
    """Index terms of a document written in `language` (a list, repeats kept for BM25)."""
    lang = language if language in _STEMMER_NAMES else "en"
    stop = _STOPWORDS[lang]
    vocab = compound_vocab if lang == "de" else frozenset()
    terms: list[str] = []
    for token in raw_tokens(text):
        if token[0].isdigit():
            terms.extend(normalise_number(token))
        else:
            terms.extend(_word_terms(token, (lang,), stop, vocab))
    return terms


def query_language(text: str) -> str:
    """English or German, whichever the question reads as (short texts: a best guess)."""
    identifier = _identifier()
    lang, _ = identifier.classify(text)
    return lang


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(_QUERY_LANGUAGES))
    return identifier


def analyse_query(text: str, compound_vocab: frozenset[str] = frozenset()) -> list[str]:
    """Distinct query terms, stemmed both ways: the question's language need not be the
    article's (an English question over a German report still shares names and numbers)."""
    stop = _STOPWORDS[query_language(text)]
    seen: dict[str, None] = {}
    for token in raw_tokens(text):
        if token[0].isdigit():
            terms = normalise_number(token)
        else:
            terms = _word_terms(token, _QUERY_LANGUAGES, stop, compound_vocab)
        for term in terms:
            seen.setdefault(term, None)
    return list(seen)


def _compound_vocab(items: list[tuple[str, str, str]]) -> frozenset[str]:
    """German word forms long enough to be a compound's part."""
    vocab: set[str] = set()
    for _, text, language in items:
        if language == "de":
            vocab.update(t for t in raw_tokens(text) if len(t) >= _MIN_PART and t.isalpha())
    return frozenset(vocab - _STOPWORDS["de"])


class LexicalIndex:
    """A BM25 index of chunk texts persisted in `folder`, with the stamp it was built from."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._loaded = False
        self._bm25: bm25s.BM25 | None = None
        self._ids: list[str] = []
        self._vocab: frozenset[str] = frozenset()
        self._stamp: str | None = None

    # -- state -------------------------------------------------------------------------------

    @property
    def stamp(self) -> str | None:
        self._ensure_loaded()
        return self._stamp

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._ids)

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        meta_file = self.folder / _META
        if not meta_file.is_file():
            return
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT_VERSION:
                log.info("lexical index in %s has an old format; it needs a rebuild", self.folder)
                return
            ids = json.loads((self.folder / _IDS).read_text(encoding="utf-8"))
            vocab = json.loads((self.folder / _COMPOUND_VOCAB).read_text(encoding="utf-8"))
            bm25 = (
                bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False)
                if meta.get("bm25", bool(ids))
                else None
            )
        except (OSError, ValueError, KeyError) as exc:
            # A damaged index is not fatal: reporting no stamp makes the store rebuild it.
            log.warning(
                "lexical index in %s is unreadable (%s); it needs a rebuild", self.folder, exc
            )
            return
        self._bm25, self._ids, self._vocab = bm25, ids, frozenset(vocab)
        self._stamp = meta.get("stamp")

    # -- write -------------------------------------------------------------------------------

    def rebuild(self, items: Iterable[tuple[str, str, str]], stamp: str) -> None:
        """Index (chunk_id, text, language) items from scratch and persist them with `stamp`."""
        rows = list(items)
        vocab = _compound_vocab(rows)
        corpus = [analyse(text, language, vocab) for _, text, language in rows]
        ids = [chunk_id for chunk_id, _, _ in rows]
        bm25: bm25s.BM25 | None = None
        # bm25s cannot index a corpus without a single term (all stop words, say): such an
        # index finds nothing, like an empty one.
        if any(corpus):
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if bm25 is not None:
            bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / _IDS).write_text(json.dumps(ids), encoding="utf-8")
        (tmp / _COMPOUND_VOCAB).write_text(json.dumps(sorted(vocab)), encoding="utf-8")
        # The stamp goes last: a folder with meta.json is a complete index.
        meta = {
            "format": FORMAT_VERSION,
            "stamp": stamp,
            "chunks": len(ids),
            "bm25": bm25 is not None,
        }
        (tmp / _META).write_text(json.dumps(meta), encoding="utf-8")

        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

        self._bm25, self._ids, self._vocab, self._stamp = bm25, ids, vocab, stamp
        self._loaded = True

    # -- read --------------------------------------------------------------------------------

    def search(
        self, query: str, k: int, allowed: Callable[[str], bool] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk_id, BM25 score) pairs, best first; only chunks `allowed` accepts.

        Every chunk is scored (a sparse matrix product, cheap), then walked best first until
        k allowed ones are found, so a narrow filter still yields k hits when k exist.
        """
        self._ensure_loaded()
        if k <= 0 or self._bm25 is None:
            return []
        vocab_ids = self._bm25.vocab_dict
        token_ids = [vocab_ids[t] for t in analyse_query(query, self._vocab) if t in vocab_ids]
        if not token_ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        matching = np.flatnonzero(scores > 0)
        if matching.size == 0:
            return []
        order = matching[np.argsort(-scores[matching], kind="stable")]
        if allowed is None:
            order = order[:k]
        hits: list[tuple[str, float]] = []
        for doc in order:
            chunk_id = self._ids[doc]
            if allowed is None or allowed(chunk_id):
                hits.append((chunk_id, float(scores[doc])))
                if len(hits) == k:
                    break
        return hits
