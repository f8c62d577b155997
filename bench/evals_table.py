"""Print the table of baseline figures in evals/README.md from the committed summaries.

.venv/bin/python bench/evals_table.py
"""

from __future__ import annotations

import json
from pathlib import Path

EVALS = Path(__file__).resolve().parents[1] / "evals"
COLUMNS = (
    ("correct", "correct"),
    ("f1", "F1"),
    ("hit", "hit@k"),
    ("ndcg", "nDCG@k"),
    ("declined_unanswerable", "declined unansw."),
    ("citation_precision", "cit. prec."),
    ("citation_recall", "cit. rec."),
    ("citation_gold", "cit. on gold"),
)


def _cell(scores: dict, name: str) -> str:
    entry = scores.get(name)
    if entry is None:
        return "–"
    return f"{entry['mean']:.2f} [{entry['ci_low']:.2f}–{entry['ci_high']:.2f}]"


def main() -> None:
    head = [
        "run",
        "questions",
        *(label for _, label in COLUMNS),
        "correct by language",
        "answer s (median / p95)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for summary_path in sorted(EVALS.glob("*/summary.json")):
        s = json.loads(summary_path.read_text(encoding="utf-8"))
        total = s["speed"].get("total_s")
        speed = f"{total['median']:.2f} / {total['p95']:.2f}" if total else "–"
        limit = s["run"].get("limit")
        questions = f"{s['questions']}" + (f" (first {limit} per set)" if limit else "")
        if not s["run"].get("complete", True):
            questions += " INCOMPLETE"
        cells = [_cell(s["scores"], name) for name, _ in COLUMNS]
        by_lang = ", ".join(
            f"{lang} {entry['correct']['mean']:.2f} ({entry['questions']})"
            for lang, entry in s["by_lang"].items()
            if "correct" in entry
        )
        row = [summary_path.parent.name, questions, *cells, by_lang, speed]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
