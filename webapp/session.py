"""One person's conversation, kept in per-session state, and the inputs that shape a turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.cancel import Cancel
from assistant.models import Answer, Turn
from vectorstore.store import SearchFilter


@dataclass
class Conversation:
    """What the chat shows (`messages`) and what the assistant is given as history (`turns`)."""

    messages: list[dict] = field(default_factory=list)  # Chatbot messages: role, content (HTML)
    turns: list[Turn] = field(default_factory=list)  # finished question/answer pairs, plain text
    answers: dict[int, Answer] = field(default_factory=dict)  # message index -> its Answer
    # message index -> what its search was narrowed to (session.scope_text), kept for a reload
    scopes: dict[int, str] = field(default_factory=dict)
    pending: str | None = None  # the question being answered now
    asked: list[str] = field(default_factory=list)  # one per user message, in order
    # Bumped whenever the pending question changes hands (asked, answered, stopped, undone,
    # abandoned). An answer stream keeps the serial it started under and writes nothing once it
    # differs: a stopped stream may still be winding down when the next question is asked.
    serial: int = 0
    # Stops the answer under way (its model generation included); set while one streams.
    cancel: Cancel | None = field(default=None, compare=False, repr=False)
    # The local model's line ticket of the answer under way: Stop and New conversation hand it
    # back at once, so that the next question does not wait behind the one just abandoned.
    ticket: int | None = field(default=None, compare=False, repr=False)
    # What the answer under way has written so far (plain text), for a Stop to keep.
    draft: str = ""

    def is_current(self, serial: int) -> bool:
        return self.serial == serial

    def ask(self, question: str, shown_as: str) -> None:
        self.serial += 1
        self.draft = ""
        self.pending = question
        self.asked.append(question)
        self.messages.append({"role": "user", "content": shown_as})

    def show(self, content: str) -> None:
        """Put `content` in the assistant message of the pending question (added if missing)."""
        if not self.messages or self.messages[-1]["role"] != "assistant":
            self.messages.append({"role": "assistant", "content": content})
        else:
            self.messages[-1]["content"] = content

    def finish(self, answer: Answer, shown_as: str, scope: str = "") -> None:
        self.show(shown_as)
        self.answers[len(self.messages) - 1] = answer
        self.scopes[len(self.messages) - 1] = scope
        self.turns.append(Turn(role="user", content=answer.question))
        self.turns.append(Turn(role="assistant", content=answer.answer))
        self.pending = None
        self.serial += 1
        self.cancel = None

    def fail(self, shown_as: str) -> None:
        """The pending question got no answer; it stays visible but is not history."""
        self.show(shown_as)
        self.abandon()

    def abandon(self) -> None:
        """Whatever answer is under way will write nothing more here, and is stopped."""
        self.pending = None
        self.serial += 1
        if self.cancel is not None:
            self.cancel.cancel()
            self.cancel = None

    def undo_last(self) -> str | None:
        """Drop the last question and its answer; return the question to ask again."""
        self.abandon()
        while self.messages and self.messages[-1]["role"] == "assistant":
            index = len(self.messages) - 1
            answer = self.answers.pop(index, None)
            self.scopes.pop(index, None)
            self.messages.pop()
            if answer is not None and len(self.turns) >= 2:
                del self.turns[-2:]
        if self.messages and self.messages[-1]["role"] == "user":
            self.messages.pop()
            return self.asked.pop() if self.asked else None
        return None


def parse_day(label: str, text: str | None) -> date | None:
    """A YYYY-MM-DD field; empty means none. A bad value raises ValueError naming the field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{label}: {text!r} is not a date (use YYYY-MM-DD)") from None


def build_filter(
    sources: Sequence[str] | None,
    languages: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
    undated: bool = True,
) -> SearchFilter | None:
    start = parse_day("From", date_from)
    end = parse_day("To", date_to)
    if start and end and start > end:
        raise ValueError(f"From ({start}) is after To ({end})")
    flt = SearchFilter(
        sources=tuple(sources) or None if sources else None,
        languages=tuple(languages) or None if languages else None,
        date_from=start,
        date_to=end,
        undated=bool(undated),
    )
    return None if flt.empty else flt


def scope_text(flt: SearchFilter | None, as_of: date | None) -> str:
    """What a search was narrowed to, in words ("" when it searched every article)."""
    parts: list[str] = []
    if flt is not None:
        if flt.sources:
            parts.append("from " + ", ".join(flt.sources))
        if flt.languages:
            parts.append("in " + ", ".join(flt.languages))
        if flt.date_from:
            parts.append(f"dated from {flt.date_from.isoformat()}")
        if flt.date_to:
            parts.append(f"dated up to {flt.date_to.isoformat()}")
        if not flt.undated and not (flt.date_from or flt.date_to):
            parts.append("with a date")
    if as_of is not None:
        parts.append(f"published by {as_of.isoformat()} (as of)")
    return "articles " + "; ".join(parts) if parts else ""


# The filter chips above the chat, in their order (the order of the side panel's filters).
CHIP_KEYS = ("sources", "languages", "date_from", "date_to", "as_of", "undated")
# Each filter's value when it filters nothing: what a chip's click puts back, what a reload
# need not restore.
FILTER_DEFAULTS = {"sources": [], "languages": [], "date_from": "", "date_to": "", "as_of": "",
                   "undated": True}  # fmt: skip


def chip_labels(
    sources: Sequence[str] | None,
    languages: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
    as_of: str | None,
    undated: bool,
) -> list[str | None]:
    """One label per CHIP_KEYS entry ("Source: tagesschau ×"), None where nothing is set."""
    text = {
        "sources": f"Source: {', '.join(sources)}" if sources else None,
        "languages": f"Language: {', '.join(languages)}" if languages else None,
        "date_from": f"From {date_from.strip()}" if (date_from or "").strip() else None,
        "date_to": f"To {date_to.strip()}" if (date_to or "").strip() else None,
        "as_of": f"As of {as_of.strip()}" if (as_of or "").strip() else None,
        "undated": None if undated else "Dated articles only",
    }
    return [f"{text[key]} ×" if text[key] else None for key in CHIP_KEYS]
