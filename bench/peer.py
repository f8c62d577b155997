"""newsqa's backends beside the peer to beat, on one question set, in one run.

    .venv/bin/python bench/peer.py                                  # the seed set
    .venv/bin/python bench/peer.py --set xquad-de --questions questions-en.jsonl --limit 25
    .venv/bin/python bench/peer.py --set rtqa-small --limit 25     # asked on each `as_of` day

The peer is what a LangChain tutorial builds from the same parts: the same hybrid retrieval and
the same local model, but none of newsqa's answering. The top 4 chunks go whole into a plain
"answer from these passages and cite them" prompt, and the model's reply is the answer (no
sentence choice, no verification, no citation check).

Printed per system: correct (a gold answer is contained in the answer, numbers normalised; for
an unanswerable question, a decline), share declined, and the median answer time. The store is
`--data-dir/<set>` (the `news` collection; the set's corpus is ingested first if it is empty).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from langchain_core.messages import HumanMessage  # noqa: E402

from assistant.chat import NewsAssistant  # noqa: E402
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.llm import make_chat_model  # noqa: E402
from assistant.local_model import default_model_path  # noqa: E402
from core.settings import Settings  # noqa: E402
from indexing.pipeline import ingest_sources  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402

PEER_K = 4
# The tutorial prompt, kept here and not in prompts/: it is the baseline's, not the product's.
PEER_PROMPT = """Answer the question using only the passages below. Cite the passages you use \
with their number in square brackets, like [1]. If the passages do not contain the answer, say \
that you do not know.

{passages}

Question: {question}
Answer:"""


class Peer:
    def __init__(self, assistant: NewsAssistant) -> None:
        self.assistant = assistant
        self.model = make_chat_model(assistant.settings, "local")

    def ask(self, question: str, as_of: date | None) -> tuple[str, bool, float]:
        """The answer, whether it declined, and the seconds after retrieval."""
        passages = self.assistant.retriever.retrieve(question, k=PEER_K, as_of=as_of)
        listing = "\n\n".join(f"[{p.number}] {p.title}\n{p.text}" for p in passages)
        started = time.perf_counter()
        reply = self.model.invoke(
            [HumanMessage(content=PEER_PROMPT.format(passages=listing, question=question))]
        ).text.strip()
        lowered = reply.lower()
        declined = "do not know" in lowered or "don't know" in lowered
        return reply, declined, time.perf_counter() - started


def judge(answer: str, declined: bool, case: dict) -> bool:
    if case.get("unanswerable"):
        return declined
    return not declined and contains_answer(answer, case.get("answers", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="seed")
    parser.add_argument("--questions", default="questions.jsonl")
    parser.add_argument("--corpus", default="corpus.jsonl")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/newsqa-bench"))
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    args = parser.parse_args()

    folder = args.bench / args.set
    cases = [json.loads(line) for line in (folder / args.questions).open() if line.strip()]
    cases = cases[: args.limit] if args.limit else cases
    settings = Settings(
        _env_file=None,
        data_dir=args.data_dir / args.set,
        llm_model_path=default_model_path(Settings()),
    )
    store = NewsStore(settings)
    if store.stats().articles == 0:
        ingest_sources([folder / args.corpus], store, settings)
    assistant = NewsAssistant(settings, store)
    peer = Peer(assistant)

    rows = []
    for name in ("extractive", "local", "peer"):
        right = declines = 0
        seconds: list[float] = []
        for case in cases:
            as_of = date.fromisoformat(case["as_of"]) if case.get("as_of") else None
            if name == "peer":
                answer, declined, spent = peer.ask(case["question"], as_of)
            else:
                a = assistant.ask(case["question"], backend=name, as_of=as_of)
                answer, declined, spent = a.answer, a.declined, a.timings.get("answer", 0.0)
            ok = judge(answer, declined, case)
            right += ok
            declines += declined
            seconds.append(spent)
            print(f"  {name:<10} {'ok ' if ok else 'NO '} {case['question'][:60]!r}", flush=True)
        rows.append((name, right, declines, statistics.median(seconds)))

    articles = store.stats().articles
    print(f"\n{args.set} {args.questions}: {len(cases)} questions, {articles} articles")
    print(f"{'system':<11} {'correct':>9} {'declined':>9} {'answer s':>9}")
    for name, right, declines, median in rows:
        print(f"{name:<11} {right:>5}/{len(cases):<3} {declines:>9} {median:>9.2f}")
    print("answer s: median seconds after retrieval (the peer's one model call, newsqa's answer)")


if __name__ == "__main__":
    main()
