"""Load on the app: simulated users asking rtqa-small questions at once, extractive backend.

Starts the app on a free 127.0.0.1 port over an existing store (--data-dir), then runs --users
threads, each a separate Gradio session (gradio_client) that asks a question through the same two
steps the page uses (`/ask` then `/answer`), waits for the finished answer, starts a new
conversation and asks the next. Bounded by --seconds and --max-requests. Prints median and p95
response time and the errors.

    .venv/bin/python bench/load.py --data-dir /tmp/newsqa-bench/rtqa-small
    .venv/bin/python bench/load.py --build   # ingest rtqa-small into --data-dir first
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gradio_client import Client  # noqa: E402

from newsqa.settings import Settings  # noqa: E402

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


def user(url: str, number: int, questions: list[dict], deadline: float, limit: int, tally: Tally):
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    index = number
    while time.monotonic() < deadline and tally.claim(limit):
        item = questions[index % len(questions)]
        index += 7  # users walk the set at different offsets
        began = time.perf_counter()
        try:
            client.predict(item["question"], api_name="/ask")
            job = client.submit(
                "extractive", [], [], "", "", item.get("as_of") or "", api_name="/answer"
            )
            chat = job.result(timeout=60)
            elapsed = time.perf_counter() - began
            text = answer_text(chat)
            if "nq-answer" not in text or "nq-error" in text:
                raise RuntimeError(f"no answer shown: {text[:160]!r}")
            with tally.lock:
                tally.times.append(elapsed)
            client.predict(api_name="/new")
        except Exception as exc:  # counted and printed below
            with tally.lock:
                tally.errors.append(f"user {number}, {item['id']}: {type(exc).__name__}: {exc}")


def build_store(settings: Settings, questions: list[dict], subset: bool) -> None:
    """Ingest rtqa-small into settings.data_dir: the whole corpus, or (subset) only the articles
    the given questions name, written to a scratch JSONL outside the repository first."""
    from ingest.pipeline import ingest_sources
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
    from webapp.app import launch

    store = NewsStore(settings)
    stats = store.stats()
    if stats.articles == 0:
        print(f"no articles in {args.data_dir}: run with --build", file=sys.stderr)
        return 2
    demo = launch(settings, block=False, store=store)
    url = f"http://127.0.0.1:{settings.port}/"
    # One question first, so that model loading and index building are not timed.
    warm = Tally()
    user(url, 0, questions, time.monotonic() + 120, 1, warm)
    if warm.errors:
        print("warm-up failed:", warm.errors[0], file=sys.stderr)
        demo.close()
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
    demo.close()

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
