"""Running a question set for real: the seed article ingested into a real store (Chroma, e5
embeddings, BM25), the real NewsAssistant in extractive mode, results on disk, resume, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.chat import NewsAssistant
from assistant.evaluation.corpus import doc_ids_by_article, record_ids_by_origin, store_origins
from assistant.evaluation.formats import case_from_record, load_cases, load_question_sets
from assistant.evaluation.runner import (
    RESULTS,
    RunConfig,
    RunFolderError,
    ask_case,
    prepare_folder,
    read_results,
    run_cases,
)
from core.settings import Settings
from indexing.pipeline import ingest_sources
from newsqa.cli import main
from vectorstore.store import NewsStore


@pytest.fixture(scope="module")
def seed(bench_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("seed-data")
    settings = Settings(_env_file=None, data_dir=data, llm_backend="extractive")
    store = NewsStore(settings)
    report = ingest_sources([bench_dir / "seed" / "corpus.jsonl"], store, settings)
    assert report.ok and report.added == 1
    return settings, store, NewsAssistant(settings, store=store)


@pytest.fixture(scope="module")
def seed_cases(bench_dir: Path):
    return load_question_sets(
        [bench_dir / "seed" / "questions.jsonl", bench_dir / "seed" / "followups.jsonl"]
    )


def test_stored_articles_map_back_to_the_corpus_ids(seed, bench_dir):
    _, store, _ = seed
    corpus = bench_dir / "seed" / "corpus.jsonl"
    doc_of = doc_ids_by_article(store_origins(store), record_ids_by_origin(corpus))
    assert list(doc_of.values()) == [["000_aeb1d45ba569944f"]]


def test_a_followup_case_is_one_conversation(seed, bench_dir):
    _, _, assistant = seed
    (case,) = load_cases(bench_dir / "seed" / "followups.jsonl")
    first, second = ask_case(case, assistant, k=5, backend="extractive")
    assert (first["id"], second["id"]) == ("pf01#1", "pf01#2")
    # "How does he interpret ...": only the history says who "he" is.
    assert "Yang Moo Jin" in second["query"]
    assert second["error"] is None and second["retrieved"]
    assert second["lang"] == "en"  # the set has no lang field: detected from the question


def test_unanswerable_question_is_scored_on_declining(seed, seed_cases):
    _, _, assistant = seed
    case = next(c for c in seed_cases if c.id == "p05")
    (record,) = ask_case(case, assistant, k=5, backend="extractive")
    assert record["scores"]["declined_unanswerable"] == float(record["declined"])
    assert record["scores"]["f1"] is None


def test_interrupted_run_keeps_finished_cases_and_resume_completes_it(seed, seed_cases, tmp_path):
    _, _, assistant = seed
    config = RunConfig(questions=("seed",), backend="extractive", k=5)
    out = tmp_path / "run"
    prepare_folder(out, config, resume=False)
    asked: list[str] = []

    def interrupt_after_two(records: list[dict]) -> None:
        asked.append(records[0]["case_id"])
        if len(asked) == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises in the main thread

    with pytest.raises(KeyboardInterrupt):
        run_cases(seed_cases, assistant, out, k=5, on_case=interrupt_after_two)
    kept = read_results(out)
    assert [r["case_id"] for r in kept] == asked

    # A torn last line (a hard kill mid-write) is dropped on resume, not fatal.
    with (out / RESULTS).open("a") as fh:
        fh.write('{"id": "p03", "case_id": "p0')
    with pytest.raises(RunFolderError, match="--resume"):
        prepare_folder(out, config, resume=False)
    done = prepare_folder(out, config, resume=True)
    assert len(done) == 2
    more: list[str] = []
    records = run_cases(
        seed_cases, assistant, out, k=5, done=done, on_case=lambda r: more.append(r[0]["case_id"])
    )
    assert set(more).isdisjoint(asked)  # nothing asked twice
    assert len(records) == 7
    assert sorted(r["id"] for r in read_results(out)) == sorted(r["id"] for r in records)


def test_resume_refuses_a_run_with_other_settings(tmp_path):
    out = tmp_path / "run"
    prepare_folder(out, RunConfig(questions=("q.jsonl",), backend="extractive", k=5), False)
    with pytest.raises(RunFolderError, match="backend"):
        prepare_folder(out, RunConfig(questions=("q.jsonl",), backend="local", k=5), True)


def test_threads_answer_the_same_as_one_at_a_time(seed, seed_cases, tmp_path):
    _, _, assistant = seed
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for out in (serial, parallel):
        prepare_folder(out, RunConfig(questions=("seed",), backend="extractive", k=5), False)
    one = run_cases(seed_cases, assistant, serial, k=5, workers=1)
    two = run_cases(seed_cases, assistant, parallel, k=5, workers=2)
    assert {r["id"]: r["answer"] for r in one} == {r["id"]: r["answer"] for r in two}


def test_cli_runs_a_set_writes_the_run_folder_and_compares(bench_dir, tmp_path, capsys):
    seed_dir = bench_dir / "seed"
    common = ["--data-dir", str(tmp_path / "data"), "eval"]
    questions = [str(seed_dir / "questions.jsonl"), str(seed_dir / "followups.jsonl")]
    options = ["--corpus", str(seed_dir / "corpus.jsonl"), "--backend", "extractive"]
    a, b = tmp_path / "a", tmp_path / "b"
    assert main([*common, *questions, *options, "--out", str(a), "--limit", "2"]) == 0
    assert main([*common, *questions, *options, "--out", str(b), "--workers", "2"]) == 0
    for name in ("results.jsonl", "summary.json", "report.md", "report.html", "ragas.jsonl"):
        assert (b / name).is_file(), name
    summary = json.loads((b / "summary.json").read_text())
    assert summary["questions"] == 7 and summary["cases"] == 6
    assert summary["run"]["collection"].startswith("eval-seed-corpus-")
    assert json.loads((a / "summary.json").read_text())["questions"] == 4  # 2 + both turns of pf01
    ragas = [json.loads(line) for line in (b / "ragas.jsonl").read_text().splitlines()]
    assert len(ragas) == 7 and set(ragas[0]) == {
        "user_input", "response", "retrieved_contexts", "reference"
    }  # fmt: skip
    capsys.readouterr()
    assert main([*common, "compare", str(a), str(b)]) == 0
    shown = capsys.readouterr().out
    assert "only in B 3" in shown


def test_cli_names_every_bad_question_and_asks_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"question": "ok"}\nnot json\n')
    code = main(
        ["--data-dir", str(tmp_path / "data"), "eval", str(bad), "--out", str(tmp_path / "o")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1: no question" in err and "bad.jsonl:3: not valid JSON" in err
    assert not (tmp_path / "o").exists()


def test_a_cases_filters_reach_retrieval(seed):
    _, _, assistant = seed
    (case,) = [
        case_from_record(
            {"id": "f1", "question": "How many soldiers are expected?", "answers": ["6000"],
             "filters": {"languages": ["fr"]}},
            "f1",
            "inline",
        )
    ]  # fmt: skip
    (record,) = ask_case(case, assistant, k=5, backend="extractive")
    # The only article is German: a French-only filter leaves nothing to retrieve.
    assert record["retrieved"] == []
    assert record["scores"]["correct"] == 0.0


def test_cli_rebuilds_its_own_corpus_collection_left_by_an_older_newsqa(
    bench_dir, tmp_path, capsys
):
    from assistant.evaluation.corpus import collection_name, content_hash
    from vectorstore.store import MODEL_KEY, _chroma_client

    corpus = bench_dir / "seed" / "corpus.jsonl"
    name = collection_name(corpus, content_hash(corpus))
    old = Settings(_env_file=None, data_dir=tmp_path / "data", collection=name)
    # What an older newsqa left: chunk vectors, a collection with no vector unit recorded.
    _chroma_client(old).create_collection(name, metadata={MODEL_KEY: "e5:multilingual-e5-small"})
    code = main(
        [
            "--data-dir", str(tmp_path / "data"),
            "eval", str(bench_dir / "seed" / "questions.jsonl"),
            "--corpus", str(corpus), "--backend", "extractive", "--limit", "1",
            "--out", str(tmp_path / "run"),
        ]
    )  # fmt: skip
    assert code == 0
    assert "older format: rebuilding" in capsys.readouterr().err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["questions"] == 1
    assert NewsStore(old).stats().articles == 1
