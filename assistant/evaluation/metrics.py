"""Scores for one answer, and the statistics that summarise many.

Answers: normalised containment of a gold answer (the bench's rule), exact match and token F1
(SQuAD's), declining. Retrieval: hit@k, recall@k, MRR, nDCG@k. Citations: precision and recall
in the spirit of ALCE, from the citation check's verdicts. Intervals: Wilson for rates,
a seeded percentile bootstrap for means.
"""

from __future__ import annotations

import math
import random
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.markers import strip_markers
from core.numbers import replace_numbers, words_as_digits

_PUNCT = set(string.punctuation) | {"«", "»", "„", "“", "”", "‘", "’", "–", "—", "…"}
_ARTICLES = {"a", "an", "the"}


def normalize_numbers(text: str) -> str:
    """Each number in its canonical form (`core.numbers`): "6.000" and "6 000" read "6000",
    and a number in words reads as its digits ("vier" and "four" read "4"; "one" and "ein"
    stay words, being articles as often as numbers). A gold span of a German set writes
    "vier" where a right answer writes "4"."""
    return replace_numbers(words_as_digits(text), lambda number: " ".join(number.forms))


def normalize(text: str, *, drop_articles: bool = False) -> str:
    """Lowercase, unify numbers, drop punctuation (but keep decimal points), squeeze spaces.

    The evaluator keeps this normaliser of its own on purpose: it is the published rule of the
    question sets (SQuAD's), and it must not move when the answering side's text rules do.
    Only numbers and markers are read the shared way, so that an answer the citation check
    takes for "6000" is scored as "6000"."""
    # Numbers first: NFKC would turn a narrow no-break space between digit groups into a space.
    text = unicodedata.normalize("NFKC", normalize_numbers(strip_markers(text))).lower()
    out = []
    for i, ch in enumerate(text):
        keep_point = ch == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit()
        keep_point = keep_point and text[i + 1].isdigit()
        out.append(" " if ch in _PUNCT and not keep_point else ch)
    tokens = "".join(out).split()
    if drop_articles:
        tokens = [t for t in tokens if t not in _ARTICLES]
    return " ".join(tokens)


def contains_answer(answer: str, gold: Sequence[str]) -> bool:
    """True when a gold answer appears in the answer as whole words, after normalising both."""
    haystack = f" {normalize(answer)} "
    return any(g and f" {g} " in haystack for g in (normalize(x) for x in gold))


def exact_match(answer: str, gold: Sequence[str]) -> bool:
    norm = normalize(answer, drop_articles=True)
    return any(norm == normalize(g, drop_articles=True) for g in gold)


def token_f1(answer: str, gold: Sequence[str]) -> float:
    """The best SQuAD-style token F1 against any gold answer."""
    pred = normalize(answer, drop_articles=True).split()
    best = 0.0
    for g in gold:
        ref = normalize(g, drop_articles=True).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if not pred or not ref or common == 0:
            continue
        precision, recall = common / len(pred), common / len(ref)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def evidence_in(passage: str, evidence: str) -> bool:
    """A passage holds the evidence when one contains the other, normalised (a gold context may
    be a whole chunk, longer than the retrieved passage, or a phrase inside it)."""
    p, e = normalize(passage), normalize(evidence)
    if not p or not e:
        return False
    return e in p or (len(p) >= 40 and p in e)


@dataclass(frozen=True)
class RetrievalScores:
    hit: float
    recall: float
    mrr: float
    ndcg: float


def retrieval_scores(covered: Sequence[set[str]], gold: set[str], k: int) -> RetrievalScores:
    """Rank-based scores over a ranked list, each position naming the gold items it covers.

    A position gains 1 when it covers a gold item not covered higher up, so two chunks of the
    same relevant article count once (as document-level scores should).
    """
    if not gold:
        raise ValueError("retrieval scores need at least one gold item")
    seen: set[str] = set()
    dcg = 0.0
    first: int | None = None
    for rank, items in enumerate(covered[:k], 1):
        new = (items & gold) - seen
        if new:
            seen |= new
            dcg += 1.0 / math.log2(rank + 1)
            first = first or rank
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(k, len(gold)) + 1))
    return RetrievalScores(
        hit=1.0 if seen else 0.0,
        recall=len(seen) / len(gold),
        mrr=1.0 / first if first else 0.0,
        ndcg=dcg / ideal,
    )


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion: sound for small n and rates near 0 or 1."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean(
    values: Sequence[float], *, rounds: int = 2000, seed: int = 13, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; seeded so reports are reproducible."""
    if not values:
        return (0.0, 0.0)
    if len(set(values)) == 1:
        return (values[0], values[0])
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    lo = means[int((1 - level) / 2 * rounds)]
    hi = means[min(rounds - 1, int((1 + level) / 2 * rounds))]
    return (lo, hi)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class Summary:
    mean: float
    low: float
    high: float
    n: int
    method: str  # "wilson" or "bootstrap"

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "mean": round(self.mean, 4),
            "ci_low": round(self.low, 4),
            "ci_high": round(self.high, 4),
            "n": self.n,
            "ci": self.method,
        }


def summarize(values: Sequence[float]) -> Summary | None:
    """Mean with a 95% interval: Wilson when every value is 0 or 1, bootstrap otherwise."""
    if not values:
        return None
    n = len(values)
    mean = sum(values) / n
    if all(v in (0.0, 1.0) for v in values):
        low, high = wilson(sum(values), n)
        return Summary(mean, low, high, n, "wilson")
    low, high = bootstrap_mean(values)
    return Summary(mean, low, high, n, "bootstrap")
