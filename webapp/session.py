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
    pending: str | None = None  # the question being answered now
    asked: list[str] = field(default_factory=list)  # one per user message, in order
    # Bumped whenever the pending question changes hands (asked, answered, stopped, undone,
    # abandoned). An answer stream keeps the serial it started under and writes nothing once it
    # differs: a stopped stream may still be winding down when the next question is asked.
    serial: int = 0
    # Stops the answer under way (its model generation included); set while one streams.
    cancel: Cancel | None = field(default=None, compare=False, repr=False)

    def is_current(self, serial: int) -> bool:
        return self.serial == serial

    def ask(self, question: str, shown_as: str) -> None:
        self.serial += 1
        self.pending = question
        self.asked.append(question)
        self.messages.append({"role": "user", "content": shown_as})

    def show(self, content: str) -> None:
        """Put `content` in the assistant message of the pending question (added if missing)."""
        if not self.messages or self.messages[-1]["role"] != "assistant":
            self.messages.append({"role": "assistant", "content": content})
        else:
            self.messages[-1]["content"] = content

    def finish(self, answer: Answer, shown_as: str) -> None:
        self.show(shown_as)
        self.answers[len(self.messages) - 1] = answer
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
    )
    return None if flt.empty else flt
