"""The local model's worker process: llama.cpp's OpenAI-compatible server, tied to its parent.

    python -m assistant.model_server --parent-pid PID -- <llama_cpp.server arguments>
    python -m assistant.model_server --selftest MODEL.gguf

newsqa never loads llama.cpp into its own process: a build that faults on this CPU, an
out-of-memory kill or a hang then ends this process only, and the parent reports it and starts
a new one. The worker exits by itself when its parent is gone, so a killed app leaves no 1 GB
process behind. `--selftest` loads a model, writes a few tokens and prints what the build
supports: `newsqa doctor` runs it in a child so that a crash is reported, never inherited.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

# How often the worker looks for its parent; a lost parent is noticed within this.
PARENT_POLL_S = 1.0


def _watch_parent(parent_pid: int) -> None:
    while True:
        # A child whose parent died is re-parented (to init or a subreaper).
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(PARENT_POLL_S)


def prompt_cache(capacity_bytes: int) -> Any:
    """llama.cpp's cache of evaluated prompts, with two changes that make its size a bound.

    llama-cpp-python counts only the model state against the capacity, but each entry also
    holds a logits row per prompt token (151,936 floats a row for Qwen2.5: about 230 MB for a
    400-token prompt), so a 256 MB cache could grow to gigabytes. The rows are never read: a
    prompt found in the cache is still evaluated from its last token on, which writes fresh
    logits. So one row is kept, and the size counts it.
    """
    from llama_cpp.llama_cache import LlamaRAMCache

    class PromptCache(LlamaRAMCache):
        @property
        def cache_size(self) -> int:
            return sum(s.llama_state_size + s.scores.nbytes for s in self.cache_state.values())

        def __setitem__(self, key: Sequence[int], value: Any) -> None:
            value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return PromptCache(capacity_bytes=capacity_bytes)


def _serve(parent_pid: int, server_args: list[str]) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    import llama_cpp
    from llama_cpp.server.__main__ import main

    # The server builds its cache as `llama_cpp.LlamaRAMCache(capacity_bytes=...)`.
    llama_cpp.LlamaRAMCache = prompt_cache  # type: ignore[misc,assignment]
    sys.argv = ["llama_cpp.server", *server_args]
    main()


def _selftest(model: str, tokens: int) -> None:
    import llama_cpp

    started = time.perf_counter()
    llama = llama_cpp.Llama(model_path=model, n_ctx=512, n_threads=2, verbose=False)
    loaded = time.perf_counter()
    # A prompt of about a hundred tokens: evaluated as one batch, it runs the matrix kernels
    # that a CPU-specific build faults in (the AMX crash was there, not in one-token steps).
    prompt = (
        "Read the report and answer in one word. The council met on Tuesday and voted on the "
        "budget for the coming year, which adds money for schools, buses and the harbour, and "
        "cuts the cost of parking in the old town. Nine members voted for it and two against. "
        "Question: how did the council vote? Answer:"
    )
    out = llama.create_completion(prompt, max_tokens=tokens, temperature=0)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "version": llama_cpp.__version__,
                "prompt_tokens": out["usage"]["prompt_tokens"],
                "system_info": llama_cpp.llama_print_system_info().decode(errors="replace"),
                "text": out["choices"][0]["text"],
                "completion_tokens": out["usage"]["completion_tokens"],
                "load_s": round(loaded - started, 3),
                "generate_s": round(done - loaded, 3),
            }
        )
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    server_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, server_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(prog="python -m assistant.model_server")
    parser.add_argument("--parent-pid", type=int)
    parser.add_argument("--selftest", metavar="MODEL")
    parser.add_argument("--tokens", type=int, default=4)
    args = parser.parse_args(argv)
    if args.selftest:
        _selftest(args.selftest, args.tokens)
    elif args.parent_pid:
        _serve(args.parent_pid, server_args)
    else:
        parser.error("give --parent-pid PID -- SERVER_ARGS, or --selftest MODEL")


if __name__ == "__main__":
    main()
