"""Index terms of a text: the analyser of the lexical index, and of whoever compares texts the
way the index does (the context selection).

Multilingual (English and German first): the shared tokens (`core.words`), case and accent
folding, per-language stop words and Snowball stems, numbers in canonical form
(`core.numbers`: "6,000", "6.000", "6 000" and "6000" are one term), and German compounds split
against the corpus's own vocabulary so that "Soldaten" finds "Bundeswehrsoldaten".
"""

from __future__ import annotations

from core.language import question_language
from core.numbers import canonical
from core.words import STEM_LANGUAGES, stem, stopwords, tokens

# Compound splitting: only words this long are tried, and both parts must be this long.
_MIN_COMPOUND = 9
_MIN_PART = 4


def raw_tokens(text: str) -> list[str]:
    """Lowercased word and number tokens in text order, before stop words and stemming."""
    return [token.casefold() for token in tokens(text)]


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
            terms.extend(canonical(part))
            continue
        if len(part) < 2 or part in stop:
            continue
        split = _split_compound(part, vocab)
        candidates = [part, *split] if split else [part]
        for cand in candidates:
            for lang in languages:
                terms.append(stem(cand, lang))
    return terms


def analyse(
    text: str,
    language: str = "en",
    compound_vocab: frozenset[str] = frozenset(),
) -> list[str]:
    """Index terms of a document written in `language` (a list, repeats kept for BM25)."""
    lang = language if language in STEM_LANGUAGES else "en"
    stop = stopwords(lang)
    vocab = compound_vocab if lang == "de" else frozenset()
    terms: list[str] = []
    for token in raw_tokens(text):
        if token[0].isdigit():
            terms.extend(canonical(token))
        else:
            terms.extend(_word_terms(token, (lang,), stop, vocab))
    return terms


def analyse_query(text: str, compound_vocab: frozenset[str] = frozenset()) -> list[str]:
    """Distinct query terms, stemmed both ways: the question's language need not be the
    article's (an English question over a German report still shares names and numbers)."""
    seen: dict[str, None] = {}
    for terms in _query_terms(text, stopwords(question_language(text)), compound_vocab):
        for term in terms:
            seen.setdefault(term, None)
    return list(seen)


def token_terms(text: str) -> list[frozenset[str]]:
    """The query terms of each token of `text` in turn (stop words of either language left
    out): a word's stems in every language, a number's forms. Two texts share a word when one
    of its terms is the other's, whichever language stemmed it ("Broncos", "Bronco's")."""
    return [frozenset(terms) for terms in _query_terms(text, stopwords(), frozenset()) if terms]


def _query_terms(text: str, stop: frozenset[str], vocab: frozenset[str]) -> list[list[str]]:
    """Each token's query terms, in text order (empty for a stop word)."""
    return [
        list(canonical(token))
        if token[0].isdigit()
        else _word_terms(token, STEM_LANGUAGES, stop, vocab)
        for token in raw_tokens(text)
    ]


def compound_vocab(items: list[tuple[str, str, str]]) -> frozenset[str]:
    """German word forms long enough to be a compound's part."""
    vocab: set[str] = set()
    for _, text, language in items:
        if language == "de":
            vocab.update(t for t in raw_tokens(text) if len(t) >= _MIN_PART and t.isalpha())
    return frozenset(vocab - stopwords("de"))
