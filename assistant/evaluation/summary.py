"""Aggregating per-question records into the figures of a run (summary.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.evaluation.metrics import percentile, summarize
from assistant.evaluation.scoring import SCORE_NAMES

TIMINGS = ("rewrite", "retrieval", "first_token", "total")
TOKENS = ("prompt", "completion")


def _values(records: Sequence[dict[str, Any]], name: str) -> list[float]:
    return [r["scores"][name] for r in records if r["scores"].get(name) is not None]


def score_table(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    table = {}
    for name in SCORE_NAMES:
        s = summarize(_values(records, name))
        if s is not None:
            table[name] = s.as_dict()
    return table


def breakdown(records: Sequence[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    """Correctness (and retrieval hit) per value of a field, e.g. language or question kind."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r.get(field) or "und"), []).append(r)
    out = {}
    for key, group in sorted(groups.items()):
        entry: dict[str, Any] = {"questions": len(group)}
        for name in ("correct", "f1", "hit"):
            s = summarize(_values(group, name))
            if s is not None:
                entry[name] = s.as_dict()
        out[key] = entry
    return out


def speed(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key in TIMINGS:
        values = [r["timings"][key] for r in records if key in (r.get("timings") or {})]
        if values:
            out[f"{key}_s"] = {
                "median": round(percentile(values, 50), 4),
                "p95": round(percentile(values, 95), 4),
                "n": len(values),
            }
    for key in TOKENS:
        values = [r["tokens"][key] for r in records if key in (r.get("tokens") or {})]
        if values:
            out[f"{key}_tokens"] = {
                "mean": round(sum(values) / len(values), 1),
                "median": percentile(values, 50),
                "total": sum(values),
                "n": len(values),
            }
    return out


def build_summary(records: Sequence[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    answered = [r for r in records if not r.get("error")]
    return {
        "run": run,
        "questions": len(records),
        "cases": len({r["case_id"] for r in records}),
        "errors": len(records) - len(answered),
        "declined": sum(1 for r in answered if r.get("declined")),
        "scores": score_table(records),
        "by_lang": breakdown(records, "lang"),
        "by_kind": breakdown(records, "kind"),
        "speed": speed(answered),
    }
