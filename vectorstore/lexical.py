"""The BM25 lexical index over chunk texts: names, numbers and rare words that dense vectors blur.

The terms come from `core.terms`, the analyser the answering side uses too. The index is
persisted in one folder together with the stamp it was built from, so the store can tell when it
is out of step and rebuild it.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import bm25s
import numpy as np

from core.terms import analyse, analyse_query, compound_vocab

log = logging.getLogger(__name__)

# 2: one tokenizer and number rule with the citation check (core.words, core.numbers).
FORMAT_VERSION = 2
_META = "meta.json"
_IDS = "chunk_ids.json"
_COMPOUND_VOCAB = "compound_vocab.json"


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
        vocab = compound_vocab(rows)
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
