"""Load on the app: simulated users asking rtqa-small questions at once, extractive backend.

Starts the app (`newsqa serve`, a process of its own, as users would run it) on a free
127.0.0.1 port over an existing store (--data-dir), then runs --users client threads in this
process, each a separate Gradio session that asks a question through the same two steps the page
uses (`/ask` then `/answer`, over Gradio's queue and its server-sent events), waits for the
finished answer, starts a new conversation and asks the next. The users speak Gradio's plain HTTP
API with one httpx connection each: gradio_client costs about twice the server's CPU per answer,
and on two cores that would be measuring the simulated browsers, not the app. Bounded by
--seconds and --max-requests. Prints median and p95 response time and the errors.

    .venv/bin/python bench/load.py --data-dir /tmp/newsqa-bench/rtqa-small
    .venv/bin/python bench/load.py --build   # ingest rtqa-small into --data-dir first
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from core.settings import Settings  # noqa: E402
from vectorstore.store import CorpusStats  # noqa: E402

RTQA = REPO.parent / "shared" / "bench" / "rtqa-small"


@dataclass
class Tally:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: int = 0

    def claim(self, limit: int) -> bool:
        with self.lock:
            if self.started >= limit:
                return False
            self.started += 1
            return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_questions(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def answer_text(chat: list[dict]) -> str:
    """The last assistant message's text, from the chatbot value the client gets back."""
    content = chat[-1]["content"] if chat else ""
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def call(http: httpx.Client, session: str, api_name: str, data: list) -> list:
    """One step through the queue: join, then read its events until the step completes; returns
    the step's final outputs."""
    joined = http.post(f"call/{api_name}", json={"data": data, "session_hash": session})
    joined.raise_for_status()
    event_id = joined.json()["event_id"]
    kind = None
    with http.stream("GET", f"call/{api_name}/{event_id}") as events:
        events.raise_for_status()
        for line in events.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                payload = json.loads(line.split(":", 1)[1])
                if kind == "error":
                    raise RuntimeError(f"/{api_name} failed: {payload}")
                return payload
    raise RuntimeError(f"/{api_name}: the event stream ended without a result")


def user(url: str, number: int, questions: list[dict], deadline: float, limit: int, tally: Tally):
    session = f"load-user-{number}-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=f"{url}gradio_api/", timeout=60) as http:
        ask_until(http, session, number, questions, deadline, limit, tally)


def ask_until(
    http: httpx.Client,
    session: str,
    number: int,
    questions: list[dict],
    deadline: float,
    limit: int,
    tally: Tally,
) -> None:
    index = number
    while time.monotonic() < deadline and tally.claim(limit):
        item = questions[index % len(questions)]
        index += 7  # users walk the set at different offsets
        began = time.perf_counter()
        try:
            call(http, session, "ask", [item["question"]])
            as_of = item.get("as_of") or ""
            data = ["extractive", [], [], "", "", as_of, True]  # True: undated articles pass
            chat, *_ = call(http, session, "answer", data)
            elapsed = time.perf_counter() - began
            text = answer_text(chat)
            if "nq-answer" not in text or "nq-error" in text:
                raise RuntimeError(f"no answer shown: {text[:160]!r}")
            with tally.lock:
                tally.times.append(elapsed)
            call(http, session, "new", [])
        except Exception as exc:  # counted and printed below
            with tally.lock:
                tally.errors.append(f"user {number}, {item['id']}: {type(exc).__name__}: {exc}")


def build_store(settings: Settings, questions: list[dict], subset: bool) -> None:
    """Ingest rtqa-small into settings.data_dir: the whole corpus, or (subset) only the articles
    the given questions name, written to a scratch JSONL outside the repository first."""
    from indexing.pipeline import ingest_sources
    from vectorstore.store import NewsStore

    source = RTQA / "corpus.jsonl"
    if subset:
        wanted = {doc for q in questions for doc in q.get("doc_ids", [])}
        source = settings.data_dir.parent / f"{settings.data_dir.name}-corpus.jsonl"
        source.parent.mkdir(parents=True, exist_ok=True)
        with (RTQA / "corpus.jsonl").open(encoding="utf-8") as lines, source.open("w") as out:
            for line in lines:
                if line.strip() and json.loads(line)["id"] in wanted:
                    out.write(line)
    store = NewsStore(settings)
    report = ingest_sources([source], store, settings)
    print(f"built: {report.added} added, {len(report.failed)} failed, {report.seconds:.0f} s")
    store.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/newsqa-bench/rtqa-small"))
    parser.add_argument("--questions", type=Path, default=RTQA / "questions.jsonl")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--build", action="store_true", help="ingest rtqa-small first")
    parser.add_argument(
        "--subset",
        type=int,
        default=0,
        help="use only the first N questions (and with --build, only the articles they name)",
    )
    args = parser.parse_args(argv)

    settings = Settings(
        _env_file=None, data_dir=args.data_dir, llm_backend="extractive", port=free_port()
    )
    questions = load_questions(args.questions)
    if args.subset:
        questions = questions[: args.subset]
    if args.build:
        build_store(settings, questions, subset=bool(args.subset))
    from vectorstore.store import NewsStore

    store = NewsStore(settings)
    stats = store.stats()
    store.close()
    if stats.articles == 0:
        print(f"no articles in {args.data_dir}: run with --build", file=sys.stderr)
        return 2
    # The app in a process of its own: client threads in the server's process would take turns
    # with it on one interpreter lock, which a browser on the same machine does not.
    server = start_server(settings)
    try:
        return drive(settings, questions, stats, args)
    finally:
        server.terminate()
        server.wait(timeout=30)


def start_server(settings: Settings, timeout_s: float = 180.0) -> subprocess.Popen:
    command = [sys.executable, "-m", "newsqa", "--data-dir", str(settings.data_dir), "serve",
               "--port", str(settings.port), "--backend", "extractive"]  # fmt: skip
    env = {**os.environ, "NEWSQA_AUTH": ""}
    # A file, not a pipe: a pipe nobody reads would stall the server once its buffer is full.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")
            raise RuntimeError(f"newsqa serve exited with {server.returncode}: {error[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{settings.port}/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"newsqa serve did not answer within {timeout_s:.0f} s")


def drive(
    settings: Settings,
    questions: list[dict],
    stats: CorpusStats,
    args: argparse.Namespace,
) -> int:
    url = f"http://127.0.0.1:{settings.port}/"
    # One question first, so that model loading and index building are not timed.
    warm = Tally()
    user(url, 0, questions, time.monotonic() + 120, 1, warm)
    if warm.errors:
        print("warm-up failed:", warm.errors[0], file=sys.stderr)
        return 1

    tally = Tally()
    deadline = time.monotonic() + args.seconds
    began = time.perf_counter()
    threads = [
        threading.Thread(target=user, args=(url, n, questions, deadline, args.max_requests, tally))
        for n in range(args.users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began

    done = len(tally.times)
    print(f"store: {stats.articles} articles, {stats.chunks} chunks ({args.data_dir})")
    print(f"questions: {len(questions)} from {args.questions}")
    print(
        f"users: {args.users}, wall time {wall:.1f} s, answered {done}, errors {len(tally.errors)}"
    )
    if done:
        print(
            "response time (ask -> finished answer): "
            f"median {statistics.median(tally.times):.3f} s, "
            f"p95 {percentile(tally.times, 0.95):.3f} s, max {max(tally.times):.3f} s; "
            f"throughput {done / wall:.1f} answers/s"
        )
    for error in tally.errors[:10]:
        print("error:", error)
    return 0 if not tally.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
