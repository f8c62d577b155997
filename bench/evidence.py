"""How often the answer reaches what the local model reads, by evidence budget.

    .venv/bin/python bench/evidence.py --data-dir /tmp/newsqa-bench/rtqa-small \
        ../shared/bench/rtqa-small/questions.jsonl --budgets 200 400 600
    .venv/bin/python bench/evidence.py --data-dir /tmp/newsqa-bench/xquad-de \
        ../shared/bench/xquad-de/questions-en.jsonl --budgets 200 400

For each answerable question of the files (asked on its `as_of` day), the assistant's own steps
run up to the model's prompt: retrieval, context selection, then the evidence cut to each budget
(`assistant.answer.evidence_passages`). Printed per budget: the share of questions whose gold
answer (the sets' rule: contained, numbers normalised) is in the evidence, the same for the
retrieved passages whole (the ceiling any budget can reach), and the median evidence size in
the budget's tokens and in the answer model's own tokens (what the time to the first token
follows). No model answers: this measures what the model is given, in seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.answer import evidence_passages, format_passages  # noqa: E402
from assistant.chat import NewsAssistant  # noqa: E402
from assistant.context import select_context  # noqa: E402
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.rewrite import rewrite_rule_based  # noqa: E402
from core.settings import Settings  # noqa: E402


def model_token_counter(settings: Settings):
    """The answer model's own tokenizer (vocabulary only, no weights), or None without one."""
    try:
        from llama_cpp import Llama

        from assistant.local_model import default_model_path
    except ImportError:
        return None
    # The default data folder's model serves every bench store (as in bench/evals.sh).
    path = settings.llm_model_path or default_model_path(Settings())
    if not Path(path).is_file():
        return None
    llama = Llama(model_path=str(path), vocab_only=True, verbose=False)
    return lambda text: len(llama.tokenize(text.encode("utf-8"), add_bos=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="news")
    parser.add_argument("--budgets", type=int, nargs="+", default=[200, 400, 600])
    parser.add_argument("--limit", type=int, default=0, help="first N questions of each file")
    args = parser.parse_args()

    questions = []
    for path in args.questions:
        rows = [json.loads(x) for x in path.open(encoding="utf-8") if x.strip()]
        rows = [q for q in rows if q.get("answers") and not q.get("unanswerable")]
        questions += rows[: args.limit] if args.limit else rows

    if not questions:
        sys.exit(f"no answerable question in {', '.join(map(str, args.questions))}")

    settings = Settings(_env_file=None, data_dir=args.data_dir, collection=args.collection)
    assistant = NewsAssistant(settings)
    count = assistant.backend("local").count_tokens
    model_count = model_token_counter(settings)

    found = {b: 0 for b in args.budgets}
    sizes: dict[int, list[int]] = {b: [] for b in args.budgets}
    model_sizes: dict[int, list[int]] = {b: [] for b in args.budgets}
    ceiling = 0
    for q in questions:
        as_of = date.fromisoformat(q["as_of"]) if q.get("as_of") else None
        asked = rewrite_rule_based(q["question"], [])
        passages = select_context(assistant.retriever.retrieve(asked, as_of=as_of), asked)
        ceiling += any(contains_answer(p.text, q["answers"]) for p in passages)
        for budget in args.budgets:
            shown = format_passages(evidence_passages(asked, passages, count, budget))
            found[budget] += contains_answer(shown, q["answers"])
            sizes[budget].append(count(shown))
            if model_count:
                model_sizes[budget].append(model_count(shown))

    n = len(questions)
    print(f"{n} answerable questions; gold in the retrieved passages, whole: {ceiling / n:.3f}")
    for budget in args.budgets:
        line = (
            f"budget {budget:>4}: gold in evidence {found[budget] / n:.3f} "
            f"({found[budget]}/{n}), median {statistics.median(sizes[budget]):.0f} tokens"
        )
        if model_sizes[budget]:
            line += f", {statistics.median(model_sizes[budget]):.0f} model tokens"
        print(line, flush=True)


if __name__ == "__main__":
    main()
