"""What changed between two runs: question by question, and in the aggregate scores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.evaluation.report import LABELS, _md_text
from assistant.evaluation.runner import read_results

SUMMARY = "summary.json"


@dataclass
class Comparison:
    fixed: list[str] = field(default_factory=list)  # wrong in A, right in B
    broken: list[str] = field(default_factory=list)  # right in A, wrong in B
    still_right: list[str] = field(default_factory=list)
    still_wrong: list[str] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    deltas: dict[str, tuple[float, float]] = field(default_factory=dict)  # score: (A, B)
    questions: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)


def _records(folder: Path) -> dict[str, dict[str, Any]]:
    if not (folder / "results.jsonl").is_file():
        raise FileNotFoundError(f"{folder}: no results.jsonl (is it a run folder?)")
    return {r["id"]: r for r in read_results(folder)}


def _scores(folder: Path) -> dict[str, Any]:
    path = folder / SUMMARY
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("scores", {})


def compare_runs(a: Path, b: Path) -> Comparison:
    ra, rb = _records(a), _records(b)
    out = Comparison()
    for qid in ra.keys() - rb.keys():
        out.only_a.append(qid)
    for qid in rb.keys() - ra.keys():
        out.only_b.append(qid)
    for qid in sorted(ra.keys() & rb.keys()):
        was, now = ra[qid]["scores"].get("correct"), rb[qid]["scores"].get("correct")
        out.questions[qid] = (ra[qid], rb[qid])
        if was is None or now is None:
            continue
        bucket = {
            (0.0, 1.0): out.fixed,
            (1.0, 0.0): out.broken,
            (1.0, 1.0): out.still_right,
            (0.0, 0.0): out.still_wrong,
        }[(was, now)]
        bucket.append(qid)
    sa, sb = _scores(a), _scores(b)
    for name in sa.keys() & sb.keys():
        out.deltas[name] = (sa[name]["mean"], sb[name]["mean"])
    out.only_a.sort()
    out.only_b.sort()
    return out


def _score_delta(a: dict[str, Any], b: dict[str, Any]) -> str:
    parts = []
    for name in ("f1", "ndcg", "citation_recall"):
        x, y = a["scores"].get(name), b["scores"].get(name)
        if x is not None and y is not None and round(x, 2) != round(y, 2):
            parts.append(f"{name} {x:.2f}→{y:.2f}")
    return ", ".join(parts)


def comparison_markdown(c: Comparison, a: Path, b: Path) -> str:
    out = [
        f"# {a} → {b}",
        "",
        f"fixed {len(c.fixed)}, broken {len(c.broken)}, still right {len(c.still_right)}, "
        f"still wrong {len(c.still_wrong)}; only in A {len(c.only_a)}, only in B {len(c.only_b)}",
        "",
        "| score | A | B | change |",
        "|---|---|---|---|",
    ]
    for name in LABELS:
        if name in c.deltas:
            x, y = c.deltas[name]
            out.append(f"| {LABELS[name]} | {x:.3f} | {y:.3f} | {y - x:+.3f} |")
    for title, ids in (("Fixed", c.fixed), ("Broken", c.broken)):
        if not ids:
            continue
        out += ["", f"## {title} ({len(ids)})", ""]
        for qid in ids:
            ra, rb = c.questions[qid]
            out.append(
                f"- **{qid}** {_md_text(ra['question'], 120)}: "
                f"{_md_text(ra.get('answer') or ra.get('error') or '', 120)} → "
                f"{_md_text(rb.get('answer') or rb.get('error') or '', 120)}"
            )
    changed = [
        (qid, d) for qid in c.still_right + c.still_wrong if (d := _score_delta(*c.questions[qid]))
    ]
    if changed:
        out += ["", f"## Unchanged verdict, other scores moved ({len(changed)})", ""]
        out += [f"- **{qid}**: {d}" for qid, d in changed]
    return "\n".join(out) + "\n"
