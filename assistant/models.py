"""What the assistant hands back: passages, citations, per-sentence checks and the answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.records import ArticleRef


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class SentenceScore(BaseModel):
    """How close one sentence unit of a passage is to the question: the cosine of its stored
    vector and the query's (read back from the store, not embedded again)."""

    start: int  # article offsets
    end: int
    similarity: float
    # The stored vector itself (length 1), for comparing an answer's sentence with the unit;
    # never written out with an answer (384 numbers a sentence).
    vector: list[float] | None = Field(default=None, exclude=True, repr=False)


class Passage(ArticleRef):
    """A retrieved chunk, numbered as the model sees it (`[number]`)."""

    number: int
    chunk_id: str
    article_id: str
    text: str  # the whole chunk
    start: int  # chunk offsets in the article text
    end: int
    context: str = ""  # the sentences of the chunk that the model is shown
    score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    sentences: list[SentenceScore] = Field(default_factory=list)

    def nearest_sentence(self, max_chars: int = 240) -> str:
        """The sentence closest to the question (by its stored vector), else the shown text,
        cut at a word to about `max_chars`: what a declined question offers as a lead."""
        text = self.context or self.text
        if self.sentences:
            best = max(self.sentences, key=lambda s: s.similarity)
            text = self.text[best.start - self.start : best.end - self.start].strip() or text
        if len(text) <= max_chars:
            return text
        cut = text.rfind(" ", 0, max_chars)
        return text[: cut if cut > 0 else max_chars] + " …"


class Citation(ArticleRef):
    """One `[n]` in the answer, resolved to its passage and the span of the article behind it."""

    marker: int
    chunk_id: str
    article_id: str
    sentence: str  # the answer sentence that carries the marker
    span_start: int  # character offsets in the article text of the supporting sentence(s)
    span_end: int
    span_text: str
    supported: bool = True
    added: bool = False  # attached by the citation check rather than written by the model


class SentenceCheck(BaseModel):
    """The citation check's verdict on one answer sentence."""

    sentence: str
    markers: list[int] = Field(default_factory=list)
    supported: bool = True
    reason: str | None = None  # why it is unsupported, e.g. "6,000 appears in no cited passage"
    removed_markers: list[int] = Field(default_factory=list)
    added_markers: list[int] = Field(default_factory=list)
    # False for a model's sentence the verification left out of the answer shown.
    shown: bool = True


class Answer(BaseModel):
    question: str
    query: str  # the standalone search query the question was rewritten into
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    checks: list[SentenceCheck] = Field(default_factory=list)
    declined: bool = False  # the articles do not hold the answer
    # Why the model's answer was replaced by the extractive one (verification), if it was.
    replaced: str | None = None
    is_chitchat: bool = False  # greeting or thanks: no search was made
    backend: str = ""
    timings: dict[str, float] = Field(default_factory=dict)  # seconds: rewrite, retrieval, ...
    tokens: dict[str, int] = Field(default_factory=dict)  # prompt, completion
