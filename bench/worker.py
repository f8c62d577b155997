"""What running the local model in a worker process costs: the same answers, in-process and
through the worker, side by side.

    .venv/bin/python bench/worker.py [--n 25] [--data-dir /tmp/newsqa-bench]

Takes n rtqa-small questions spread over the set, stores their gold articles (a partial store:
this measures the answering step, not retrieval), builds each question's answer prompt with the
assistant's own steps (retrieval, context, evidence), then streams the answer twice, taking
turns question by question: with llama.cpp loaded in this process (how newsqa ran before) and
through the `ModelWorker` (how it runs now). Both load the same llama.cpp build and model, with
the same threads and context. Prints medians of the time to the first token and to the whole
answer, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.model_worker import llama_env, llama_variant  # noqa: E402

# The in-process side must load the build the worker loads.
os.environ.update(llama_env())

from assistant.answer import answer_messages, evidence_passages  # noqa: E402
from assistant.backends import make_backend  # noqa: E402
from assistant.context import select_context  # noqa: E402
from assistant.llm import make_chat_model  # noqa: E402
from assistant.local_model import default_model_path  # noqa: E402
from assistant.retrieval import HybridRetriever  # noqa: E402
from assistant.rewrite import rewrite_rule_based  # noqa: E402
from core.settings import Settings  # noqa: E402
from indexing.pipeline import ingest_sources  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402


def spread(items: list, n: int) -> list:
    step = len(items) / n
    return [items[int(i * step)] for i in range(min(n, len(items)))]


def gold_subset(corpus: Path, ids: set[str], out: Path) -> Path:
    with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if line.strip() and json.loads(line)["id"] in ids:
                dst.write(line)
    return out


def role(message) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}[message.type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=25)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/newsqa-bench"))
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    args = parser.parse_args()

    qfile = args.bench / "rtqa-small" / "questions.jsonl"
    questions = spread([json.loads(x) for x in qfile.open() if x.strip()], args.n)
    settings = Settings(
        _env_file=None,
        data_dir=args.data_dir / "worker-move",
        llm_model_path=default_model_path(Settings()),
    )
    store = NewsStore(settings)
    if store.stats().articles == 0:
        ids = {d for q in questions for d in q.get("doc_ids", [])}
        subset = gold_subset(
            args.bench / "rtqa-small" / "corpus.jsonl", ids, args.data_dir / "worker-move.jsonl"
        )
        print(f"ingesting the {len(ids)} gold articles of {len(questions)} questions", flush=True)
        ingest_sources([subset], store, settings)
    retriever = HybridRetriever.from_settings(store, settings)
    count_tokens = make_backend(settings, "local").count_tokens

    prompts = []
    for q in questions:
        asked = rewrite_rule_based(q["question"], [])
        passages = select_context(retriever.retrieve(asked), asked)
        evidence = evidence_passages(asked, passages, count_tokens, settings.evidence_tokens)
        if evidence:  # without evidence newsqa declines without asking the model
            prompts.append(answer_messages(asked, evidence))
    print(f"{len(prompts)} of {len(questions)} questions reach the model", flush=True)

    from llama_cpp import Llama

    threads = settings.llm_threads or 2
    llama = Llama(
        model_path=str(settings.llm_model_path),
        n_ctx=settings.llm_context_tokens,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    worker_model = make_chat_model(settings, "local")
    worker_model.invoke(prompts[0])  # start the worker (load) before timing
    llama.create_chat_completion(
        messages=[{"role": role(m), "content": m.text} for m in prompts[0]], max_tokens=4
    )

    def in_process(messages) -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        stream = llama.create_chat_completion(
            messages=[{"role": role(m), "content": m.text} for m in messages],
            max_tokens=settings.max_answer_tokens,
            temperature=0.0,
            stream=True,
        )
        for part in stream:
            if first is None and part["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - started
        return first or 0.0, time.perf_counter() - started

    def through_worker(messages) -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        for chunk in worker_model.stream(messages):
            if first is None and chunk.text:
                first = time.perf_counter() - started
        return first or 0.0, time.perf_counter() - started

    times: dict[str, list[tuple[float, float]]] = {"in-process": [], "worker": []}
    for i, messages in enumerate(prompts):
        # Alternate which goes first, so that neither always runs on a warmer cache.
        order = [("in-process", in_process), ("worker", through_worker)]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            times[name].append(fn(messages))
        print(
            f"  {i + 1}/{len(prompts)} in-process {times['in-process'][-1][1]:.2f}s, "
            f"worker {times['worker'][-1][1]:.2f}s",
            flush=True,
        )

    print(f"\nllama.cpp build: {llama_variant()}; {threads} threads; {len(prompts)} answers each")
    print("| path | first token (median) | whole answer (median) |")
    print("|---|---|---|")
    med = {
        name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
        for name, ts in times.items()
    }
    for name, (first, whole) in med.items():
        print(f"| {name} | {first:.3f} s | {whole:.3f} s |")
    ratio_first = med["worker"][0] / med["in-process"][0]
    ratio_whole = med["worker"][1] / med["in-process"][1]
    print(f"| worker / in-process | {ratio_first:.3f} | {ratio_whole:.3f} |")


if __name__ == "__main__":
    main()
