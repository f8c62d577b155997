"""Speed of llama.cpp builds side by side: prompt and generation tokens/s on the answer model.

    .venv/bin/python bench/llama_build.py --build avx2=DIR --build native=DIR [--runs 5]
    .venv/bin/python bench/llama_build.py --build avx512=DIR:LIBDIR ...

Each DIR holds an installed llama-cpp-python (`pip install --no-deps --target DIR WHEEL`);
after a colon, LIBDIR is another build's `llama_cpp/lib` to load instead (LLAMA_CPP_LIB_PATH,
which is how newsqa picks its AVX-512 variant). Without --build the one installed in this
environment is measured, with the variant newsqa would pick on this CPU. Every measurement runs in
a child process of its own (a build that faults ends that child, and is reported so), the
builds taking turns run by run so that a change in the machine's load falls on all of them.
Figures: the median over the runs of prompt tokens/s (a ~1,000-token news prompt, as the
answering step sends) and generation tokens/s (128 tokens, greedy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, sys, time
import llama_cpp
model, threads, gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=threads,
                      n_threads_batch=threads, verbose=False)
text = open(sys.argv[4], encoding="utf-8").read()
prompt = llm.tokenize(text.encode("utf-8"))[:1000]
t0 = time.perf_counter()
llm.eval(prompt)
prompt_s = time.perf_counter() - t0
llm.reset()
stamps = []
for _ in llm.create_completion("Tell the story of a lighthouse keeper, at length.",
                               max_tokens=gen, temperature=0.0, stream=True):
    stamps.append(time.perf_counter())
print(json.dumps({"prompt_tps": len(prompt) / prompt_s,
                  "gen_tps": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
                  "gen_tokens": len(stamps),
                  "system_info": llama_cpp.llama_print_system_info().decode()}))
"""


def prompt_text() -> Path:
    """About 1,000 tokens of real news (the seed report), written to a temporary file."""
    seed = REPO.parent / "shared" / "bench" / "seed" / "corpus.jsonl"
    texts = [json.loads(line)["text"] for line in seed.open(encoding="utf-8") if line.strip()]
    text = "\n\n".join(texts)
    while len(text) < 6000:
        text += "\n\n" + text
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "newsqa-llama-bench-prompt.txt"
    out.write_text(text, encoding="utf-8")
    return out


def measure(site: str | None, model: Path, threads: int, gen: int, prompt: Path) -> dict:
    env = dict(os.environ)
    site, _, lib = (site or "").partition(":")
    if site:
        env["PYTHONPATH"] = site
    if lib:  # another build's libraries under the same Python package
        env["LLAMA_CPP_LIB_PATH"] = lib
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(model), str(threads), str(gen), str(prompt)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if run.returncode != 0:
        return {"error": f"exit {run.returncode}: {run.stderr.strip()[-300:]}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    from assistant.local_model import default_model_path
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gen", type=int, default=128)
    args = parser.parse_args()
    model = args.model or default_model_path(Settings())
    builds = [tuple(b.split("=", 1)) for b in args.build] or [("installed", None)]
    prompt = prompt_text()
    results: dict[str, list[dict]] = {name: [] for name, _ in builds}
    for run in range(args.runs):
        for name, site in builds:
            result = measure(site, model, args.threads, args.gen, prompt)
            results[name].append(result)
            shown = {k: v for k, v in result.items() if k != "system_info"}
            print(f"run {run + 1} {name}: {json.dumps(shown)}", flush=True)
    print(f"\nmodel {model.name}, {args.threads} threads, medians of {args.runs} runs")
    print("| build | compiled for | prompt tok/s | generation tok/s |")
    print("|---|---|---|---|")
    base = None
    for name, _ in builds:
        ok = [r for r in results[name] if "error" not in r]
        if not ok:
            print(f"| {name} | – | failed: {results[name][0]['error'][:80]} | |")
            continue
        info = ok[0]["system_info"]
        flags = " ".join(
            f.split("=")[0].strip() for f in info.split("|") if f.strip().endswith("= 1")
        )
        p = statistics.median(r["prompt_tps"] for r in ok)
        g = statistics.median(r["gen_tps"] for r in ok)
        base = base or (p, g)
        print(
            f"| {name} | {flags.replace('CPU : ', '')} | {p:.1f} ({p / base[0]:.2f}×) "
            f"| {g:.1f} ({g / base[1]:.2f}×) |"
        )


if __name__ == "__main__":
    main()
