"""Thumbs up/down on an answer, appended as one JSON line to settings.feedback_file."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assistant.models import Answer

Rating = Literal["up", "down"]

# Several sessions may rate at once; one line must never interleave with another.
_WRITE_LOCK = threading.Lock()


def feedback_record(answer: Answer, rating: Rating) -> dict:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "question": answer.question,
        "answer": answer.answer,
        "citations": [
            {
                "marker": c.marker,
                "article_id": c.article_id,
                "chunk_id": c.chunk_id,
                "title": c.title,
                "span_text": c.span_text,
            }
            for c in answer.citations
        ],
        "rating": rating,
        "backend": answer.backend,
    }


def append_feedback(path: Path, answer: Answer, rating: Rating) -> dict:
    record = feedback_record(answer, rating)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False)
    with _WRITE_LOCK, path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    return record
