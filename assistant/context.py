"""Context selection: which sentences of each retrieved chunk the answering model is shown.

A small model on two cores reads about 60 prompt tokens a second and picks the wrong one of two
numbers when it is shown too much, so each passage is cut down to the sentences that bear on the
question (plus their neighbours, which carry the subject a sentence leaves implicit), in article
order. Sentences are scored by the question's terms they share, weighted by how rare each term is
among the sentences shown (names, numbers and rare words count most), with a bonus for numbers
when the question asks for one, plus each sentence's closeness to the question from its stored
sentence vector (`Passage.sentences`, read back with the hits): that carries a question in any
language e5 covers to the sentence that answers it, where the two share no word. What the model
reads (`evidence_context`) also weighs each sentence's passage by its retrieval score, which
knows the article's age against the day asked. The vectors replaced a hand-written
English→German glossary (figures: README, Benchmarks, "Sentence choice from the stored
vectors").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.models import Passage
from assistant.questions import question_type
from core.sentences import split_sentences
from core.terms import analyse, analyse_query

# Marks text left out between two kept sentences, so the model does not read them as adjacent.
GAP = " … "

# A kept number is worth this share of the best-matching term's weight.
_NUMBER_BONUS = 0.6
# With embeddings, the similarity share (0..1 within the passages shown) joins the lexical share.
# For what a model reads, at equal weight: on rtqa-small's tuning half (odd lines, English news),
# the answer reached the 200 tokens of evidence for 0.71 of the questions at 1, 0.63 at 10 (on
# XQuAD's, 0.84 / 0.93 for English / German questions at 1, 0.88 / 0.94 at 10, and the local
# backend's answers to 40 + 40 of them changed by one).
_DENSE_WEIGHT = 1.0
# For the one sentence that answers (`best_sentences`, the extractive pick), at ten times the
# word share: the vectors decide, shared words break ties. Across languages the words a question
# shares with a sentence are mostly names, which every sentence about the same people holds. On
# XQuAD's tuning half, extractive correct went from 0.59 / 0.78 (English / German questions) at
# weight 1 to 0.65 / 0.80 at 10 (0.65 / 0.79 at 20, 0.66 / 0.79 with words only breaking ties);
# rtqa-small's tuning half stayed at 0.55 from 1 to 10.
PICK_DENSE_WEIGHT = 10.0


# What the retrieval's own score of a passage adds to each of its sentences (0..1 within the
# passages shown, times this). That score holds what a sentence's words and vector do not: the
# whole chunk's match, and the article's age against the day asked, so a sentence of a story from
# years before no longer takes the evidence from the week's report. Gold answer in the 200 tokens
# of evidence (bench/evidence.py), weight 0 -> 1, tuning halves (odd lines): rtqa-small 47 -> 48
# of 75, XQuAD English / German questions 266 -> 274 / 294 -> 300 of 316 (3 gave the same as 1
# on rtqa-small; not swept further). Local answers: tuning halves rtqa-small 37 -> 36 of 75,
# XQuAD 59 -> 59 of 80; rtqa-small's reporting half 27 -> 36 of 75, declines 11 -> 6.
_RANK_WEIGHT = 1.0


@dataclass(frozen=True)
class _Sentence:
    passage: int  # index into the passages
    start: int  # offsets in the chunk text
    end: int
    terms: frozenset[str]


def _sentences(passages: list[Passage]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for i, passage in enumerate(passages):
        if not passage.text.strip():
            continue
        spans = split_sentences(passage.text) or [(0, len(passage.text))]
        for start, end in spans:
            text = passage.text[start:end]
            out.append(_Sentence(i, start, end, frozenset(analyse(text, passage.language))))
    return out


def _is_number(term: str) -> bool:
    return term[:1].isdigit()


def _scores(
    sentences: list[_Sentence],
    passages: list[Passage],
    question: str,
    embeddings: Embeddings | None,
    dense_range: tuple[float, float] | None = None,
    dense_weight: float = _DENSE_WEIGHT,
) -> list[float]:
    """One score per sentence, comparable across all the passages given."""
    if not sentences:
        return []
    query_terms = set(analyse_query(question))

    matches = [s.terms & query_terms for s in sentences]
    df: dict[str, int] = {}
    for matched in matches:
        for term in matched:
            df[term] = df.get(term, 0) + 1
    total = len(sentences)
    idf = {term: math.log(1.0 + total / count) for term, count in df.items()}
    # A figure answers a question of amount and, as a year or a day, one of time.
    wants_number = question_type(question) in ("number", "date")
    bonus = _NUMBER_BONUS * max(idf.values(), default=1.0)

    lexical: list[float] = []
    for sentence, matched in zip(sentences, matches, strict=True):
        score = sum(idf[t] for t in matched)
        if wants_number and any(_is_number(t) and t not in query_terms for t in sentence.terms):
            score += bonus
        lexical.append(score)
    top = max(lexical)
    scores = [s / top for s in lexical] if top > 0 else [0.0] * total

    dense = _stored_similarities(sentences, passages)
    if dense is None and embeddings is not None:
        texts = [passages[s.passage].text[s.start : s.end] for s in sentences]
        query_vec = embeddings.embed_query(question)
        dense = [_cosine(query_vec, vec) for vec in embeddings.embed_documents(texts)]
    if dense is not None:
        low, high = dense_range or (min(dense), max(dense))
        # e5 cosines sit close together: only their order within these passages means much.
        for i, sim in enumerate(dense):
            scores[i] += dense_weight * _share(sim, low, high)
    return scores


def _share(value: float, low: float, high: float) -> float:
    """Where `value` sits between `low` and `high`, 0..1 (0 when the two are equal)."""
    return (value - low) / (high - low) if high > low else 0.0


def closeness_range(passages: Sequence[Passage]) -> tuple[float, float] | None:
    """The lowest and highest stored closeness of any sentence of these passages."""
    values = [u.similarity for p in passages for u in p.sentences]
    return (min(values), max(values)) if values else None


def stored_closeness(passage: Passage, start: int, end: int) -> float | None:
    """The cosine of the question and the stored vector of the passage's sentence at [start,
    end) (chunk offsets; the best overlapping unit), or None without stored vectors."""
    a, b = passage.start + start, passage.start + end
    overlapping = [u.similarity for u in passage.sentences if u.start < b and a < u.end]
    return max(overlapping) if overlapping else None


def _stored_similarities(sentences: list[_Sentence], passages: list[Passage]) -> list[float] | None:
    """Each sentence's closeness to the query from the passages' stored sentence vectors (the
    best unit that overlaps it), or None when the passages came without them."""
    if not any(p.sentences for p in passages):
        return None
    out = [stored_closeness(passages[s.passage], s.start, s.end) for s in sentences]
    known = [sim for sim in out if sim is not None]
    if not known:
        return None
    floor = min(known)
    return [floor if sim is None else sim for sim in out]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def best_sentences(
    passage: Passage,
    question: str,
    n: int = 1,
    *,
    embeddings: Embeddings | None = None,
    dense_range: tuple[float, float] | None = None,
) -> list[tuple[int, int, float]]:
    """The n sentences of the passage that best match `question` (or an answer sentence), best
    first, as (start, end, score) with start/end in ARTICLE offsets. Scores of 0 mean no term in
    common; callers decide what is good enough. `dense_range` is the (lowest, highest) stored
    closeness that the dense share is measured against (default: this passage's own)."""
    sentences = _sentences([passage])
    scores = _scores(sentences, [passage], question, embeddings, dense_range, PICK_DENSE_WEIGHT)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], sentences[i].start))
    return [
        (passage.start + sentences[i].start, passage.start + sentences[i].end, scores[i])
        for i in order[: max(n, 0)]
    ]


def select_context(
    passages: list[Passage],
    question: str,
    *,
    max_sentences: int = 3,
    neighbours: int = 1,
    embeddings: Embeddings | None = None,
) -> list[Passage]:
    """Copies of the passages whose `context` holds only the sentences that bear on the question.

    Per passage, the `max_sentences` best-scoring sentences (score above 0) and `neighbours`
    sentences either side of each are kept, in article order, with " … " where text was left
    out. The first passage always keeps its best sentences. A passage with nothing in common
    with the question keeps its whole text: without a signal, cutting would only lose the
    answer (pass `embeddings` to give every sentence a signal).
    """
    sentences = _sentences(passages)
    scores = _scores(sentences, passages, question, embeddings)
    by_passage: dict[int, list[int]] = {}
    for idx, sentence in enumerate(sentences):
        by_passage.setdefault(sentence.passage, []).append(idx)

    selected: list[Passage] = []
    for p_index, passage in enumerate(passages):
        members = by_passage.get(p_index, [])
        ranked = sorted(members, key=lambda i: (-scores[i], sentences[i].start))
        best = [i for i in ranked[:max_sentences] if scores[i] > 0]
        if not best and p_index == 0:
            best = ranked[:max_sentences]
        if not best:
            selected.append(passage.model_copy(update={"context": passage.text}))
            continue
        keep: set[int] = set()
        for i in best:
            pos = members.index(i)
            lo, hi = max(0, pos - neighbours), min(len(members), pos + neighbours + 1)
            keep.update(members[lo:hi])
        context = _join(passage.text, [sentences[i] for i in members if i in keep])
        selected.append(passage.model_copy(update={"context": context}))
    return selected


def _join(text: str, kept: list[_Sentence]) -> str:
    """Kept sentences in order; runs of adjacent ones keep the text between them exactly."""
    runs: list[tuple[int, int]] = []
    for sentence in kept:
        gap = text[runs[-1][1] : sentence.start] if runs else None
        if gap is not None and not gap.strip():
            runs[-1] = (runs[-1][0], sentence.end)
        else:
            runs.append((sentence.start, sentence.end))
    return GAP.join(text[start:end].strip() for start, end in runs)


def evidence_context(
    passages: list[Passage],
    question: str,
    *,
    budget: int,
    count_tokens: Callable[[str], int],
    max_passages: int = 4,
    neighbours: int = 1,
    one_per_article: bool = False,
) -> list[Passage]:
    """What the answering model reads: the best sentences of all the passages, each with its
    neighbours, taken best first until `budget` tokens are spent, from at most `max_passages`
    passages (`one_per_article`: from different articles, for a question about a story). Each
    copy's `context` holds its kept sentences in article order; the passages come best first
    (a small model reads the first passage most carefully).

    Scores are comparable across the passages (one scoring of all their sentences, each raised
    by its passage's retrieval score), so a second passage gets room only when its sentences
    beat the first one's next best. The best sentence is always kept, whatever the budget.
    """
    sentences = _sentences(passages)
    if not sentences:
        return []
    scores = _scores(sentences, passages, question, None)
    prior = rank_prior(passages, _RANK_WEIGHT)
    scores = [score + prior[s.passage] for score, s in zip(scores, sentences, strict=True)]
    members: dict[int, list[int]] = {}
    for idx, sentence in enumerate(sentences):
        members.setdefault(sentence.passage, []).append(idx)
    kept: dict[int, set[int]] = {}  # passage index -> kept sentence indexes
    first_seen: list[int] = []
    spent = 0
    for i in sorted(range(len(sentences)), key=lambda i: (-scores[i], i)):
        p = sentences[i].passage
        if p not in kept and len(kept) >= max_passages:
            continue
        if one_per_article and (
            p in kept or any(passages[q].article_id == passages[p].article_id for q in kept)
        ):
            continue  # one passage an article, its best sentence and neighbours
        row = members[p]
        pos = row.index(i)
        new = [j for j in row[max(0, pos - neighbours) : pos + neighbours + 1]]
        new = [j for j in new if j not in kept.get(p, set())]
        if not new:
            continue
        text = " ".join(passages[p].text[sentences[j].start : sentences[j].end] for j in new)
        cost = count_tokens(text) + (0 if p in kept else _HEADER_TOKENS)
        if kept and spent + cost > budget:
            continue  # a shorter sentence further down may still fit
        spent += cost
        if p not in kept:
            first_seen.append(p)
        kept.setdefault(p, set()).update(new)
    out = []
    for p in first_seen:
        chosen = [sentences[j] for j in members[p] if j in kept[p]]
        out.append(passages[p].model_copy(update={"context": _join(passages[p].text, chosen)}))
    return out


def rank_prior(passages: Sequence[Passage], weight: float) -> list[float]:
    """Each passage's retrieval score as a share (0..1) of the spread among these passages,
    times `weight`: what the retrieval's judgement of a passage adds to each of its sentences
    (a single passage, or passages scored alike, add nothing)."""
    values = [p.score for p in passages]
    low, high = min(values, default=0.0), max(values, default=0.0)
    return [weight * _share(v, low, high) for v in values]


# The passage header the prompt adds (number, title, source, date), in tokens.
_HEADER_TOKENS = 25
