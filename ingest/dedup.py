"""Near-duplicate detection: MinHash over word 3-shingles.

Syndicated copies of one agency report differ by a byline, a teaser or a footer; their shingle
sets still overlap almost entirely. The MinHash signature estimates that overlap (Jaccard
similarity) from NUM_PERM small integers, so each new article is compared with every stored one
by one vectorised numpy comparison.
"""

from __future__ import annotations

import zlib

import numpy as np

from core.words import shingles

NUM_PERM = 128
# A fixed seed: signatures are stored, so the permutations must be the same in every run.
_rng = np.random.default_rng(0x5EED_D0C5)
_MUL = _rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_ADD = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)


def shingle_hashes(text: str) -> np.ndarray:
    grams = shingles(text)
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


def signature(text: str) -> bytes:
    """The MinHash signature of `text` as bytes (NUM_PERM uint32); empty for an empty text."""
    hashes = shingle_hashes(text)
    if hashes.size == 0:
        return b""
    # Multiply-shift hashing: uint64 wrap-around is the intended modulus.
    with np.errstate(over="ignore"):
        permuted = (hashes[:, None] * _MUL[None, :] + _ADD[None, :]) >> np.uint64(32)
    return permuted.min(axis=0).astype(np.uint32).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts behind the signatures."""
    if not a or not b:
        return 0.0
    return float(np.mean(np.frombuffer(a, np.uint32) == np.frombuffer(b, np.uint32)))


class DuplicateFinder:
    """Finds, among the articles it knows, one that a new text nearly duplicates."""

    def __init__(self, threshold: float, known: list[tuple[str, bytes]] = ()) -> None:
        self.threshold = threshold
        self._ids: list[str | None] = []  # None: discarded (its row never wins)
        self._matrix = np.empty((max(64, len(known)), NUM_PERM), dtype=np.uint32)
        for article_id, sig in known:
            self.add(article_id, sig)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, article_id: str, sig: bytes) -> None:
        if not sig:
            return
        if len(self._ids) == self._matrix.shape[0]:
            grown = np.empty((self._matrix.shape[0] * 2, NUM_PERM), dtype=np.uint32)
            grown[: len(self._ids)] = self._matrix
            self._matrix = grown
        self._matrix[len(self._ids)] = np.frombuffer(sig, np.uint32)
        self._ids.append(article_id)

    def discard(self, article_id: str) -> None:
        for i, known in enumerate(self._ids):
            if known == article_id:
                self._ids[i] = None

    def find(self, sig: bytes, exclude: str | None = None) -> tuple[str, float] | None:
        """The most similar known article at or above the threshold, with its similarity."""
        if not sig or not self._ids:
            return None
        row = np.frombuffer(sig, np.uint32)
        scores = (self._matrix[: len(self._ids)] == row).mean(axis=1)
        for best in np.argsort(-scores)[:4]:
            if scores[best] < self.threshold:
                return None
            found = self._ids[best]
            if found is not None and found != exclude:
                return found, float(scores[best])
        return None
