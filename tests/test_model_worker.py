"""The local model's worker process: whatever happens to it, the caller gets a clear error and
the next answer a fresh worker.

Real llama.cpp throughout (SmolLM2, the tiny test model, in a real `llama_cpp.server` worker);
the faults are real signals sent to that process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage, convert_to_openai_messages

from assistant.cancel import Cancel
from assistant.llm import BackendError, LocalWorkerChat
from assistant.model_worker import ModelWorker, describe_exit, llama_env
from tests.test_llm import smollm_path

LONG = [HumanMessage(content="Write a long story about a lighthouse keeper and the sea.")]


@pytest.fixture
def worker(tmp_path: Path):
    made = ModelWorker(smollm_path(), n_ctx=2048, threads=2, log_path=tmp_path / "worker.log")
    yield made
    made.stop()


def chat(worker: ModelWorker, *, max_tokens: int = 400, timeout_s: float = 60.0):
    return LocalWorkerChat(worker=worker, max_tokens=max_tokens, timeout_s=timeout_s)


def first_pieces(stream, count: int = 3) -> None:
    for seen, _chunk in enumerate((c for c in stream if c.text), start=1):
        if seen >= count:
            return
    pytest.fail("the model wrote fewer pieces than expected")


def test_a_worker_killed_mid_answer_is_named_and_the_next_answer_gets_a_new_one(worker):
    model = chat(worker)
    stream = model.stream(LONG)
    first_pieces(stream)
    old = worker.pid
    os.kill(old, signal.SIGKILL)
    with pytest.raises(BackendError, match=r"worker killed by SIGKILL .*while answering"):
        list(stream)
    reply = chat(worker, max_tokens=8).invoke([HumanMessage(content="Say hello.")])
    assert reply.text.strip()
    assert worker.pid not in (None, old)
    assert worker.state().starts == 2


def test_cancel_ends_the_generation_at_once_even_during_prompt_evaluation(worker):
    worker.ensure_started()
    cancel = Cancel()
    model = chat(worker).bind(cancel=cancel)
    # A prompt of thousands of tokens: cancelled while llama.cpp is still reading it.
    prompt = [HumanMessage(content="Summarise: " + "The harbour was calm that night. " * 150)]
    errors: list[BaseException] = []

    def answer() -> None:
        try:
            list(model.stream(prompt))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=answer)
    thread.start()
    while not worker.busy:
        time.sleep(0.01)
    cancel.cancel()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert errors and "stopped" in str(errors[0])
    assert worker.pid is None  # killed, not left writing an answer nobody reads
    assert chat(worker, max_tokens=4).invoke([HumanMessage(content="Hi")]).text.strip()


def test_closing_a_stream_early_stops_the_worker_generating(worker):
    stream = chat(worker).stream(LONG)
    first_pieces(stream)
    old = worker.pid
    stream.close()
    assert worker.pid is None and not worker.busy
    assert chat(worker, max_tokens=4).invoke([HumanMessage(content="Hi")]).text.strip()
    assert worker.pid != old


def test_a_late_abort_does_not_touch_the_next_generation(worker):
    model = chat(worker, max_tokens=4)
    model.invoke([HumanMessage(content="Hi")])
    finished = worker.generations
    pid = worker.pid
    assert worker.abort(finished) is False
    model.invoke([HumanMessage(content="Hi")])
    assert worker.pid == pid


def test_a_hung_worker_is_stopped_after_the_timeout(worker):
    # Long enough for a first token on a loaded machine; the stop comes after the first pieces.
    stream = chat(worker, timeout_s=10).stream(LONG)
    first_pieces(stream)
    hung = worker.pid
    os.kill(hung, signal.SIGSTOP)  # alive but silent, as a deadlocked server would be
    try:
        with pytest.raises(BackendError, match=r"wrote nothing for 10 s"):
            list(stream)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it should be gone already
            os.kill(hung, signal.SIGCONT)
    assert worker.pid is None
    assert chat(worker, max_tokens=4).invoke([HumanMessage(content="Hi")]).text.strip()


def test_a_model_that_cannot_load_is_reported_with_the_workers_log(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    broken = ModelWorker(bad, n_ctx=512, threads=1, log_path=tmp_path / "w.log")
    with pytest.raises(BackendError, match=r"worker exited with status \d+ while loading broken"):
        chat(broken).invoke([HumanMessage(content="Hi")])


def test_the_worker_exits_when_its_parent_dies(tmp_path):
    # A parent process that starts a worker, prints its pid, then is killed without cleanup.
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from assistant.model_worker import ModelWorker
        w = ModelWorker(Path({str(smollm_path())!r}), n_ctx=512, threads=1,
                        log_path=Path({str(tmp_path / "p.log")!r}))
        w.ensure_started()
        print(w.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        try:  # reaped by init once it exits; a zombie counts as gone
            if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
                break
        except OSError:
            break
        time.sleep(0.2)
    else:
        if Path(f"/proc/{child}").exists():
            os.kill(child, signal.SIGKILL)
            pytest.fail("the worker outlived its parent")


def _in_a_child(script: str, env: dict[str, str] | None = None) -> str:
    """What `script` prints, run by a child Python: llama.cpp is never loaded into this process,
    as everywhere in newsqa."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# Two system prompts taking turns, as an answer, a follow-up's rewrite and the next answer do.
TURNS = [
    [SystemMessage(content="You answer from news passages."), HumanMessage(content="Who won?")],
    [SystemMessage(content="You rewrite questions."), HumanMessage(content="And then?")],
    [SystemMessage(content="You answer from news passages."), HumanMessage(content="Who lost?")],
]


def test_a_worker_with_the_prompt_cache_answers_these_turns_as_one_without_it(tmp_path):
    # Greedy decoding, so the same words; a longer answer can still be worded differently,
    # since a restored prompt is evaluated in other pieces (README, "The prompt cache").
    plain = ModelWorker(smollm_path(), n_ctx=2048, threads=2, log_path=tmp_path / "plain.log")
    cached = ModelWorker(
        smollm_path(), n_ctx=2048, threads=2, log_path=tmp_path / "cached.log", prompt_cache_mb=64
    )
    try:
        without = [chat(plain, max_tokens=12).invoke(turn).text for turn in TURNS]
        with_cache = [chat(cached, max_tokens=12).invoke(turn).text for turn in TURNS]
    finally:
        plain.stop()
        cached.stop()
    assert with_cache == without
    assert "--cache" in cached._command(1) and "--cache" not in plain._command(1)


def test_the_prompt_cache_brings_back_a_system_prompt_and_stays_within_its_size():
    turns = [
        [{"role": "user" if m.type == "human" else m.type, "content": m.content} for m in turn]
        for turn in TURNS
    ]
    script = textwrap.dedent(
        f"""
        import json, llama_cpp
        from assistant.model_server import prompt_cache
        llama = llama_cpp.Llama(model_path={str(smollm_path())!r}, n_ctx=2048, verbose=False)
        cache = prompt_cache(capacity_bytes=8 * 2**20)
        llama.set_cache(cache)
        loads = []
        restore = llama.load_state
        llama.load_state = lambda state: (loads.append(state.n_tokens), restore(state))
        for turn in json.loads({json.dumps(turns)!r}):
            llama.create_chat_completion(turn, max_tokens=4)
            print(json.dumps({{"loads": len(loads), "entries": len(cache.cache_state),
                              "size": cache.cache_size,
                              "rows": [s.scores.shape[0] for s in cache.cache_state.values()]}}))
        """
    )
    after = [json.loads(line) for line in _in_a_child(script).splitlines()]
    # The third turn starts from the first one's state, not from its own last prompt.
    assert [a["loads"] for a in after] == [0, 0, 1]
    assert after[-1]["entries"] == 3
    # One logits row an entry, counted: without the trim each would hold a row per token.
    assert all(a["rows"] == [1] * a["entries"] for a in after)
    assert after[-1]["size"] <= 8 * 2**20


# --- how likely the model finds a text: `/newsqa/likelihood` ----------------------------------

SCORED = [
    SystemMessage(content="You answer from news passages."),
    HumanMessage(content="Passage: The council passed the budget 7 to 2. Write a question."),
]
CONTINUATION = "How did the council vote on the budget?"


def _reference_logprobs() -> list[float]:
    """The same continuation scored by llama.cpp in one piece with every logits row kept (in a
    child process)."""
    messages = convert_to_openai_messages(SCORED)
    script = textwrap.dedent(
        f"""
        import json, llama_cpp, numpy as np
        from assistant.model_server import chat_prompt
        llama = llama_cpp.Llama(model_path={str(smollm_path())!r}, n_ctx=2048, verbose=False,
                                logits_all=True)
        head = llama.tokenize(chat_prompt(llama, {messages!r}).encode(), add_bos=False,
                              special=True)
        tail = llama.tokenize({CONTINUATION!r}.encode(), add_bos=False, special=False)
        llama.eval(head + tail)
        rows = np.array(llama.scores[len(head) - 1 : len(head) + len(tail) - 1], dtype=float)
        rows -= np.logaddexp.reduce(rows, axis=1, keepdims=True)
        print(json.dumps([rows[i, t] for i, t in enumerate(tail)]))
        """
    )
    # The worker's build: another one's kernels round otherwise.
    return json.loads(_in_a_child(script, env=llama_env()))


def test_the_worker_scores_each_token_of_a_text_as_llama_cpp_does_in_one_piece(worker):
    scored = chat(worker).likelihood(SCORED, CONTINUATION)
    reference = _reference_logprobs()
    assert len(scored) == len(reference) > 3
    assert all(s <= 0 for s in scored)
    assert scored == pytest.approx(reference, abs=1e-3)


def test_scoring_reuses_the_system_prompt_and_leaves_the_next_answer_as_it_was(tmp_path):
    import httpx

    cached = ModelWorker(
        smollm_path(), n_ctx=2048, threads=2, log_path=tmp_path / "cached.log", prompt_cache_mb=64
    )
    try:
        model = chat(cached, max_tokens=12)
        before = model.invoke(TURNS[0]).text
        base = cached.ensure_started().removesuffix("/v1")
        body = {"messages": convert_to_openai_messages(SCORED), "continuation": CONTINUATION}
        headers = {"Authorization": f"Bearer {cached.api_key}"}
        first = httpx.post(f"{base}/newsqa/likelihood", json=body, headers=headers, timeout=60)
        again = httpx.post(f"{base}/newsqa/likelihood", json=body, headers=headers, timeout=60)
        after = model.invoke(TURNS[0]).text
        refused = httpx.post(
            f"{base}/newsqa/likelihood", json={"messages": "x"}, headers=headers, timeout=60
        )
        too_long = httpx.post(
            f"{base}/newsqa/likelihood",
            json={**body, "continuation": "word " * 400},
            headers=headers,
            timeout=60,
        )
        stranger = httpx.post(f"{base}/newsqa/likelihood", json=body, timeout=60)
    finally:
        cached.stop()
    assert first.status_code == again.status_code == 200
    # The answer's system prompt is held: only what follows it is evaluated; asked again, only
    # the last prompt token (whose row predicts the first scored one) and the text.
    tokens = len(first.json()["logprobs"])
    assert tokens < first.json()["evaluated"]
    assert again.json()["evaluated"] == tokens + 1
    assert again.json()["logprobs"] == pytest.approx(first.json()["logprobs"], abs=1e-3)
    assert after == before
    assert refused.status_code == 422 and "continuation" in refused.text
    assert too_long.status_code == 422 and "1 to 256 tokens" in too_long.text
    assert stranger.status_code == 401


def test_the_avx512_build_is_chosen_only_where_the_cpu_has_every_feature_it_uses(
    tmp_path, monkeypatch
):
    from assistant import model_worker

    variants = tmp_path / "newsqa-llama"
    monkeypatch.setattr(model_worker, "LLAMA_VARIANTS", variants)
    every = model_worker.AVX512_FEATURES | {"sse4_2", "amx_tile", "amx_int8"}
    assert model_worker.llama_variant("auto", every) == "avx2"  # not installed: the package's
    (variants / "avx512").mkdir(parents=True)
    (variants / "avx512" / "libllama.so").write_bytes(b"")
    assert model_worker.llama_variant("auto", every) == "avx512"
    assert model_worker.llama_variant("auto", every - {"avx512_bf16"}) == "avx2"
    assert model_worker.llama_variant("auto", frozenset({"avx2", "fma", "f16c"})) == "avx2"
    assert model_worker.llama_variant("avx2", every) == "avx2"
    env = model_worker.llama_env("avx512", {})
    assert env["LLAMA_CPP_LIB_PATH"] == str(variants / "avx512")
    assert "LLAMA_CPP_LIB_PATH" not in model_worker.llama_env("avx2", {})
    # A user's own LLAMA_CPP_LIB_PATH is theirs to keep.
    assert (
        model_worker.llama_env("avx512", {"LLAMA_CPP_LIB_PATH": "/x"})["LLAMA_CPP_LIB_PATH"] == "/x"
    )


def test_how_a_worker_ended_is_said_in_words():
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL (out of memory, or killed)"
    assert "crash in llama.cpp" in describe_exit(-signal.SIGSEGV)
    assert "built for another CPU" in describe_exit(-signal.SIGILL)
    assert describe_exit(3) == "exited with status 3"
