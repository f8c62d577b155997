"""Reading question sets: the bench format, ragas' field names (new and old), JSON, JSONL, CSV.

Every input becomes a list of `EvalCase`s. A plain question is a case with one turn; a follow-up
set (`turns`) is one case whose turns are asked in order in one conversation.

Field names accepted (first match wins):
- question: `question`, `user_input`, `query`
- gold answers: `answers`, `reference`, `ground_truth`, `ground_truths`, `gold`, and `answer`
  only when none of those is present (ragas' older sets use `answer` for the system's response)
- gold evidence: `evidence`, `reference_contexts`
- ids of the documents that hold the answer: `doc_ids`
- optional: `id`, `as_of`, `lang`, `unanswerable`, `type` (a label to break scores down by),
  `filters` ({"sources": [...], "languages": [...], "date_from": ..., "date_to": ...})
ragas' multi-turn samples (`user_input` a list of messages) become follow-up cases. A system's
previous output (`response`, `retrieved_contexts`, `contexts`) is ignored: the evaluator asks
the assistant itself.

In CSV, list-valued columns hold either a JSON list or values separated by `|`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from core.errors import NewsqaError

QUESTION_KEYS = ("question", "user_input", "query")
GOLD_KEYS = ("answers", "reference", "ground_truth", "ground_truths", "gold")
EVIDENCE_KEYS = ("evidence", "reference_contexts")
ID_KEYS = ("id", "question_id", "qid", "_id")
LIST_SPLIT = "|"


class QuestionSetError(NewsqaError, ValueError):
    """A question set that cannot be read; `problems` names each bad item and why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "\n  ".join(self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} bad item(s):\n  {shown}{more}")


class EvalFilters(BaseModel):
    sources: list[str] | None = None
    languages: list[str] | None = None
    date_from: date | None = None
    date_to: date | None = None


class EvalTurn(BaseModel):
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    unanswerable: bool = False


class EvalCase(BaseModel):
    id: str
    turns: list[EvalTurn] = Field(min_length=1)
    as_of: date | None = None
    lang: str | None = None
    type: str | None = None
    filters: EvalFilters | None = None
    source: str = ""  # `file:line` the case was read from

    @property
    def is_followup(self) -> bool:
        return len(self.turns) > 1

    @property
    def kind(self) -> str:
        """The label scores are broken down by: the set's own `type`, else single/follow-up."""
        if self.type:
            return self.type
        return "follow-up" if self.is_followup else "single"


def _as_list(value: Any, *, split: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                return [str(v) for v in parsed if v is not None and str(v).strip()]
        if split and LIST_SPLIT in text:
            return [part.strip() for part in text.split(LIST_SPLIT) if part.strip()]
        return [text]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _first(record: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if key in record and record[key] not in (None, ""):
            return record[key]
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


def _turn(record: dict[str, Any]) -> EvalTurn:
    question = _first(record, QUESTION_KEYS)
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"no question (expected one of {', '.join(QUESTION_KEYS)})")
    gold = _first(record, GOLD_KEYS)
    if gold is None and "answer" in record:
        gold = record["answer"]
    if isinstance(gold, dict) and "text" in gold:  # SQuAD-style {"text": [...]}
        gold = gold["text"]
    return EvalTurn(
        question=question.strip(),
        answers=_as_list(gold, split=True),
        evidence=_as_list(_first(record, EVIDENCE_KEYS), split=False),
        doc_ids=_as_list(record.get("doc_ids"), split=True),
        unanswerable=_truthy(record.get("unanswerable")),
    )


def _ragas_multi_turn(record: dict[str, Any]) -> list[dict[str, Any]]:
    """ragas' multi-turn sample: `user_input` is the conversation as messages; the user's
    messages are the turns, and the reference belongs to the last one."""
    questions = [
        m.get("content", "")
        for m in record["user_input"]
        if isinstance(m, dict) and m.get("type", m.get("role")) in ("human", "user")
    ]
    rest = {k: v for k, v in record.items() if k not in ("user_input", "turns")}
    turns: list[dict[str, Any]] = [{"question": q} for q in questions[:-1]]
    if questions:
        turns.append(rest | {"question": questions[-1]})
    return turns


def case_from_record(record: Any, fallback_id: str, source: str) -> EvalCase:
    """One record (a dict from any format) → an EvalCase. Raises ValueError saying what's wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    raw_turns = record.get("turns")
    if raw_turns is None and isinstance(record.get("user_input"), list):
        raw_turns = _ragas_multi_turn(record)
    if raw_turns is not None:
        if isinstance(raw_turns, str):
            raw_turns = json.loads(raw_turns)
        if not isinstance(raw_turns, list) or not raw_turns:
            raise ValueError("`turns` must be a non-empty list of questions")
        turns = []
        for n, raw in enumerate(raw_turns, 1):
            if not isinstance(raw, dict):
                raise ValueError(f"turn {n} is not an object")
            try:
                turns.append(_turn(raw))
            except ValueError as exc:
                raise ValueError(f"turn {n}: {exc}") from None
    else:
        turns = [_turn(record)]
    case_id = _first(record, ID_KEYS)
    filters = record.get("filters")
    if isinstance(filters, str):
        filters = json.loads(filters) if filters.strip() else None
    try:
        return EvalCase(
            id=str(case_id) if case_id is not None else fallback_id,
            turns=turns,
            as_of=record.get("as_of") or None,
            lang=record.get("lang") or None,
            type=record.get("type") or None,
            filters=filters,
            source=source,
        )
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(reasons) from None


def _records_jsonl(path: Path) -> Iterable[tuple[int, Any, str | None]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield lineno, None, f"not valid JSON ({exc.msg} at column {exc.colno})"


def _records_json(path: Path) -> Iterable[tuple[int, Any, str | None]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        for key in ("questions", "data", "samples", "examples"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            # Column-oriented, as older ragas/HF datasets are saved: {"question": [...], ...}
            columns = {k: v for k, v in data.items() if isinstance(v, list)}
            lengths = {len(v) for v in columns.values()}
            if not columns or len(lengths) != 1 or not (columns.keys() & set(QUESTION_KEYS)):
                raise QuestionSetError([f"{path}: expected a list of questions"])
            size = lengths.pop()
            data = [{k: v[i] for k, v in columns.items()} for i in range(size)]
    if not isinstance(data, list):
        raise QuestionSetError([f"{path}: expected a list of questions"])
    for n, record in enumerate(data, 1):
        yield n, record, None


def _records_csv(path: Path) -> Iterable[tuple[int, Any, str | None]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        for record in reader:
            # The header is line 1, so data rows are numbered as a spreadsheet shows them.
            yield reader.line_num, {k.strip(): v for k, v in record.items() if k}, None


READERS = {
    ".jsonl": _records_jsonl,
    ".ndjson": _records_jsonl,
    ".json": _records_json,
    ".csv": _records_csv,
    ".tsv": _records_csv,
}


def load_cases(path: str | Path) -> list[EvalCase]:
    """Read one question set. Every bad item is reported at once, so nothing is lost silently."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise QuestionSetError([f"{path}: unknown format (use {', '.join(READERS)})"])
    if not path.is_file():
        raise QuestionSetError([f"{path}: no such file"])
    cases: list[EvalCase] = []
    problems: list[str] = []
    try:
        for n, record, error in reader(path):
            item = f"{path.name}:{n}"
            if error:
                problems.append(f"{item}: {error}")
                continue
            try:
                cases.append(case_from_record(record, f"{path.stem}-{n}", item))
            except (ValueError, json.JSONDecodeError) as exc:
                problems.append(f"{item}: {exc}")
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        problems.append(f"{path}: cannot be read ({exc})")
    problems.extend(_duplicate_ids(cases))
    if problems:
        raise QuestionSetError(problems)
    return cases


def _duplicate_ids(cases: Sequence[EvalCase]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for case in cases:
        if case.id in seen:
            problems.append(f"{case.source}: id {case.id!r} repeats {seen[case.id]}")
        else:
            seen[case.id] = case.source
    return problems


def load_question_sets(paths: Sequence[str | Path], limit: int | None = None) -> list[EvalCase]:
    """Read several sets into one run; `limit` keeps the first N cases of each set."""
    cases: list[EvalCase] = []
    problems: list[str] = []
    for path in paths:
        try:
            loaded = load_cases(path)
        except QuestionSetError as exc:
            problems.extend(exc.problems)
            continue
        cases.extend(loaded[:limit] if limit is not None else loaded)
    problems.extend(_duplicate_ids(cases))
    if problems:
        raise QuestionSetError(problems)
    return cases
