"""Reading question sets: the bench's own format, ragas' field names, JSON, CSV, follow-ups."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.evaluation.formats import QuestionSetError, load_cases, load_question_sets


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_bench_questions_are_read_with_every_field(bench_dir):
    cases = load_cases(bench_dir / "rtqa-small" / "questions.jsonl")
    assert len(cases) == 150
    first = cases[0]
    assert first.id == "rtqa-20220701_15"
    assert first.as_of == date(2022, 7, 1)
    assert first.lang == "en"
    assert first.turns[0].answers == ["USC and UCLA"]
    assert first.turns[0].doc_ids[0] == "3c9c1b2e78954905"
    assert first.turns[0].evidence == []  # "evidence": null in the file


def test_bench_unanswerable_and_followups(bench_dir):
    seed = {c.id: c for c in load_cases(bench_dir / "seed" / "questions.jsonl")}
    assert seed["p05"].turns[0].unanswerable and seed["p05"].turns[0].answers == []
    (followup,) = load_cases(bench_dir / "seed" / "followups.jsonl")
    assert followup.is_followup and followup.kind == "follow-up"
    assert [t.question for t in followup.turns] == [
        "Who is Yang Moo Jin?",
        "How does he interpret the phone call?",
    ]
    assert "show of power" in followup.turns[1].answers


def test_ragas_jsonl_fields(tmp_path):
    path = _write_jsonl(
        tmp_path / "ragas.jsonl",
        [
            {
                "user_input": "Which currency?",
                "reference": "Euro",
                "reference_contexts": ["The dollar is nearly equal to the euro."],
                "response": "an older system's answer, ignored",
                "retrieved_contexts": ["ignored"],
            }
        ],
    )
    (case,) = load_cases(path)
    assert case.id == "ragas-1"
    assert case.turns[0].question == "Which currency?"
    assert case.turns[0].answers == ["Euro"]
    assert case.turns[0].evidence == ["The dollar is nearly equal to the euro."]


def test_older_ragas_json_list_uses_ground_truth_not_the_systems_answer(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            [
                {
                    "question": "Who won?",
                    "answer": "the system said Bob",
                    "contexts": ["retrieved by some system"],
                    "ground_truth": "Alice",
                },
                {"question": "Plain QA?", "answer": "yes"},
            ]
        )
    )
    first, second = load_cases(path)
    assert first.turns[0].answers == ["Alice"]
    assert first.turns[0].evidence == []
    assert second.turns[0].answers == ["yes"]  # no gold field: `answer` is the gold


def test_column_oriented_json_as_older_datasets_save_it(tmp_path):
    path = tmp_path / "cols.json"
    path.write_text(json.dumps({"question": ["A?", "B?"], "ground_truths": [["a1", "a2"], ["b"]]}))
    cases = load_cases(path)
    assert [c.turns[0].answers for c in cases] == [["a1", "a2"], ["b"]]


def test_csv_with_json_and_pipe_lists(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(
        "id,question,answers,doc_ids,as_of,unanswerable\n"
        'c1,How many?,"[""6000"", ""6,000""]",d1|d2,2025-08-13,\n'
        "c2,Population?,,,,true\n",
        encoding="utf-8",
    )
    c1, c2 = load_cases(path)
    assert c1.turns[0].answers == ["6000", "6,000"]
    assert c1.turns[0].doc_ids == ["d1", "d2"]
    assert c1.as_of == date(2025, 8, 13)
    assert c2.turns[0].unanswerable and c2.turns[0].answers == []


def test_turns_given_as_a_json_column_in_csv(tmp_path):
    path = tmp_path / "f.csv"
    turns = json.dumps([{"question": "Who?", "answers": ["x"]}, {"question": "And?"}])
    path.write_text('id,turns\nf1,"' + turns.replace('"', '""') + '"\n', encoding="utf-8")
    (case,) = load_cases(path)
    assert len(case.turns) == 2 and case.turns[1].question == "And?"


def test_every_bad_item_is_named_with_its_reason(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "ok", "question": "Fine?"}\n'
        "{not json\n"
        '{"id": "q3", "answers": ["x"]}\n'
        '{"id": "q4", "question": "x", "as_of": "yesterday"}\n'
        '{"id": "ok", "question": "Again?"}\n'
        '{"id": "t", "turns": []}\n',
        encoding="utf-8",
    )
    with pytest.raises(QuestionSetError) as err:
        load_cases(path)
    problems = err.value.problems
    assert any(p.startswith("bad.jsonl:2: not valid JSON") for p in problems)
    assert any(p.startswith("bad.jsonl:3: no question") for p in problems)
    assert any(p.startswith("bad.jsonl:4: as_of") for p in problems)
    assert any("bad.jsonl:5" in p and "repeats bad.jsonl:1" in p for p in problems)
    assert any(p.startswith("bad.jsonl:6: `turns`") for p in problems)
    assert len(problems) == 5


def test_unknown_format_and_missing_file_are_clear(tmp_path):
    with pytest.raises(QuestionSetError, match="unknown format"):
        load_cases(tmp_path / "q.xml")
    with pytest.raises(QuestionSetError, match="no such file"):
        load_cases(tmp_path / "missing.jsonl")


def test_several_sets_with_a_limit_per_set(bench_dir):
    cases = load_question_sets(
        [
            bench_dir / "xquad-de" / "questions-en.jsonl",
            bench_dir / "xquad-de" / "questions-de.jsonl",
        ],
        limit=3,
    )
    assert [c.lang for c in cases] == ["en"] * 3 + ["de"] * 3


def test_ragas_multi_turn_sample_becomes_a_followup_case(tmp_path):
    conversation = [
        {"content": "Who is Yang Moo Jin?", "type": "human"},
        {"content": "A professor in Seoul [1].", "type": "ai"},
        {"content": "How does he interpret the phone call?", "type": "human"},
    ]
    path = _write_jsonl(
        tmp_path / "multi.jsonl", [{"user_input": conversation, "reference": "show of power"}]
    )
    (case,) = load_cases(path)
    assert [t.question for t in case.turns] == [
        "Who is Yang Moo Jin?",
        "How does he interpret the phone call?",
    ]
    assert case.turns[0].answers == [] and case.turns[1].answers == ["show of power"]
