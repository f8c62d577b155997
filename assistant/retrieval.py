"""Hybrid retrieval: dense and BM25 candidates fused into one ranking, a recency prior for
questions asked on a given day, and no near-duplicate passages in one result.

The dense side carries cross-lingual questions (an English question over a German report); the
lexical side carries names, numbers and rare words that embeddings blur. The default fusion adds
a small multiple of the raw BM25 score to the cosine: on XQuAD (bench/retrieval.py) it beat
reciprocal rank fusion, which lifted weak single-word lexical matches as much as strong ones
and fell below dense retrieval alone on English questions over German paragraphs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from assistant.models import Passage, SentenceScore
from core.records import Chunk
from core.settings import Settings
from core.words import jaccard, shingles
from vectorstore.store import Hit, NewsStore, SearchFilter

if TYPE_CHECKING:
    from assistant.langchain_retriever import NewsRetriever


@dataclass(frozen=True)
class FusionWeights:
    """How the two candidate lists and the recency prior combine (tuned with bench/retrieval.py).

    "linear": cosine similarity plus `lexical` times the raw BM25 score; a chunk the dense list
    missed gets the lowest cosine the list holds. Raw BM25 grows with the number and rarity of
    the words matched, so a strong lexical match (a name, a number) lifts a chunk and a weak one
    (a single shared common word) barely moves it, which rank fusion cannot tell apart.
    "rrf": `dense / (rrf_k + dense_rank) + lexical / (rrf_k + lexical_rank)`.
    """

    method: Literal["linear", "rrf"] = "linear"
    dense: float = 1.0
    # 0.004 measured best on XQuAD, English and German questions alike (0.003-0.006 within 1%).
    lexical: float = 0.004
    rrf_k: float = 20.0
    # Recency, for a question asked on a given day: an article `age` days older loses
    # `recency * (1 - exp(-age / tau))` (undated ones `recency * undated_share`), so recent news
    # is preferred and older news can still win on a clearly better match. 0.06, not 0.02: of
    # the local model's wrong answers on rtqa-small whose passages held the gold answer, about
    # half cited an article over 30 days older than a passage holding it (a 2016 nominee for
    # "who did the party choose"). Local backend 35 -> 37 of 75 on the tuning half (odd lines),
    # 25 -> 26 on the reporting half; extractive 65 -> 66 of 150; hybrid hit@1 0.680 -> 0.707.
    recency: float = 0.06
    recency_tau_days: float = 14.0
    undated_share: float = 0.5
    # Articles dated this many days after the question still count. No grace by default: "as
    # of" means what it says, and the app promises that later articles are left out.
    future_grace_days: int = 0
    # Passages this alike (core.words.jaccard of their shingles) are one: the weaker goes. Lower
    # than ingest's 0.9 for whole articles: a byline or a teaser weighs more in ~220 tokens.
    duplicate_jaccard: float = 0.8


DEFAULT_WEIGHTS = FusionWeights()


@dataclass
class _Candidate:
    chunk: Chunk
    dense_rank: int | None = None
    lexical_rank: int | None = None
    score: float = 0.0
    shingles: frozenset[str] = field(default_factory=frozenset)


def recency_penalty(published: date | None, as_of: date, weights: FusionWeights) -> float | None:
    """What an article loses for a question asked on `as_of`; None when it was published after
    that day (a question cannot be about later news)."""
    if published is None:
        return weights.recency * weights.undated_share
    age = (as_of - published).days
    if age < -weights.future_grace_days:
        return None
    return weights.recency * (1.0 - math.exp(-max(age, 0) / weights.recency_tau_days))


class HybridRetriever:
    """Finds the passages that best answer a question, numbered 1..k."""

    def __init__(
        self,
        store: NewsStore,
        k: int = 5,
        candidate_k: int = 30,
        weights: FusionWeights = DEFAULT_WEIGHTS,
    ) -> None:
        self.store = store
        self.k = k  # passages a question gets
        self.candidate_k = candidate_k  # hits taken from each index before fusing them
        self.weights = weights

    @classmethod
    def from_settings(cls, store: NewsStore, settings: Settings) -> HybridRetriever:
        return cls(store, k=settings.retrieval_k, candidate_k=settings.candidate_k)

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        flt: SearchFilter | None = None,
        as_of: date | None = None,
    ) -> list[Passage]:
        k = self.k if k is None else k
        if k <= 0 or not query.strip():
            return []
        depth = max(self.candidate_k, k)
        vector = self.store.embeddings.embed_query(query)
        dense = self.store.search_vector(vector, depth, flt)
        lexical = self.store.search_lexical(query, depth, flt)
        passages = self.rank(dense, lexical, k, as_of)
        if as_of is not None and len(passages) < k:
            # Later news filled the candidate lists: search again among articles dated up to
            # the question's day (the store's date filter leaves undated ones out, so those
            # found the first time are kept).
            dense, lexical = self._dated_up_to(query, vector, depth, flt, as_of, dense, lexical)
            passages = self.rank(dense, lexical, k, as_of)
        return self._with_sentences(passages, vector)

    def _with_sentences(self, passages: list[Passage], vector: list[float]) -> list[Passage]:
        """The passages with their sentences' closeness to the query, from the stored vectors."""
        if not passages:
            return passages
        scores = self.store.sentence_similarities(vector, [p.chunk_id for p in passages])
        return [
            p.model_copy(
                update={
                    "sentences": [
                        SentenceScore(start=s, end=e, similarity=sim, vector=vec)
                        for s, e, sim, vec in scores.get(p.chunk_id, [])
                    ]
                }
            )
            for p in passages
        ]

    def _dated_up_to(
        self,
        query: str,
        vector: list[float],
        depth: int,
        flt: SearchFilter | None,
        as_of: date,
        dense: list[Hit],
        lexical: list[Hit],
    ) -> tuple[list[Hit], list[Hit]]:
        last = as_of + timedelta(days=self.weights.future_grace_days)
        base = flt or SearchFilter()
        if base.date_to is not None:
            last = min(last, base.date_to)
        dated = replace(base, date_to=last)

        def merged(again: list[Hit], first: list[Hit]) -> list[Hit]:
            undated = [h for h in first if h.chunk.date is None]
            return sorted(again + undated, key=lambda h: -h.score)

        return (
            merged(self.store.search_vector(vector, depth, dated), dense),
            merged(self.store.search_lexical(query, depth, dated), lexical),
        )

    def rank(
        self, dense: list[Hit], lexical: list[Hit], k: int, as_of: date | None = None
    ) -> list[Passage]:
        """The k best distinct passages from the two candidate lists, numbered 1..k."""
        ranked = self.fuse(dense, lexical, as_of)
        return [_passage(number, cand) for number, cand in enumerate(self._distinct(ranked, k), 1)]

    def fuse(self, dense: list[Hit], lexical: list[Hit], as_of: date | None) -> list[_Candidate]:
        """Candidates from both lists, best first."""
        w = self.weights
        cands: dict[str, _Candidate] = {}
        for rank, hit in enumerate(dense, 1):
            cand = cands.setdefault(hit.chunk.id, _Candidate(hit.chunk))
            cand.dense_rank = rank
            cand.score = w.dense * (hit.score if w.method == "linear" else 1 / (w.rrf_k + rank))
        floor = w.dense * dense[-1].score if dense and w.method == "linear" else 0.0
        for rank, hit in enumerate(lexical, 1):
            cand = cands.get(hit.chunk.id)
            if cand is None:
                cand = cands[hit.chunk.id] = _Candidate(hit.chunk, score=floor)
            cand.lexical_rank = rank
            cand.score += w.lexical * (hit.score if w.method == "linear" else 1 / (w.rrf_k + rank))
        kept: list[_Candidate] = []
        for cand in cands.values():
            if as_of is not None:
                penalty = recency_penalty(cand.chunk.date, as_of, w)
                if penalty is None:
                    continue
                cand.score -= penalty
            kept.append(cand)
        # Ties (rare) go to the better dense rank: the more robust of the two signals.
        kept.sort(key=lambda c: (-c.score, c.dense_rank or 10**6, c.chunk.id))
        return kept

    def _distinct(self, ranked: list[_Candidate], k: int) -> list[_Candidate]:
        """The first k candidates, skipping near-copies of a better one (syndicated stories)."""
        chosen: list[_Candidate] = []
        for cand in ranked:
            cand.shingles = shingles(cand.chunk.text)
            if any(
                jaccard(cand.shingles, other.shingles) >= self.weights.duplicate_jaccard
                for other in chosen
            ):
                continue
            chosen.append(cand)
            if len(chosen) == k:
                break
        return chosen

    def as_langchain_retriever(
        self,
        k: int | None = None,
        flt: SearchFilter | None = None,
        as_of: date | None = None,
    ) -> NewsRetriever:
        """This retriever behind LangChain's `BaseRetriever` interface (`.invoke(query)`).
        The adapter lives in its own module: LangChain's retriever side imports its tracing
        (about 0.3 s), which answering a question does not use."""
        from assistant.langchain_retriever import NewsRetriever

        return NewsRetriever(hybrid=self, k=k, flt=flt, as_of=as_of)


def _passage(number: int, cand: _Candidate) -> Passage:
    chunk = cand.chunk
    return Passage(
        number=number,
        chunk_id=chunk.id,
        article_id=chunk.article_id,
        title=chunk.title,
        date=chunk.date,
        source=chunk.source,
        url=chunk.url,
        language=chunk.language,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        context=chunk.text,
        score=cand.score,
        dense_rank=cand.dense_rank,
        lexical_rank=cand.lexical_rank,
    )
