"""Results as a ragas-compatible dataset (one JSON object per line, ragas' single-turn fields)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def ragas_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        if r.get("error"):
            continue
        rows.append(
            {
                "user_input": r["question"],
                "response": r.get("answer", ""),
                "retrieved_contexts": [p["text"] for p in r.get("retrieved", [])],
                # ragas takes one reference; the first gold answer is the canonical one.
                "reference": r["gold"][0] if r["gold"] else "",
            }
        )
    return rows


def write_ragas(records: Sequence[dict[str, Any]], path: Path) -> int:
    rows = ragas_rows(records)
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return len(rows)
