"""The local model's worker process: llama.cpp's OpenAI-compatible server, tied to its parent.

    python -m assistant.model_server --parent-pid PID -- <llama_cpp.server arguments>
    python -m assistant.model_server --selftest MODEL.gguf

newsqa never loads llama.cpp into its own process: a build that faults on this CPU, an
out-of-memory kill or a hang then ends this process only, and the parent reports it and starts
a new one. The worker exits by itself when its parent is gone, so a killed app leaves no 1 GB
process behind. `--selftest` loads a model, writes a few tokens and prints what the build
supports: `newsqa doctor` runs it in a child so that a crash is reported, never inherited.
Besides the OpenAI protocol's routes, the worker answers `POST /newsqa/likelihood`: how likely
the model finds a text after a chat, which the OpenAI protocol cannot ask of llama.cpp's server
without computing every prompt token's logits for every request.
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
# The longest text `/newsqa/likelihood` scores.
MAX_CONTINUATION_TOKENS = 256


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


def continuation_logprobs(llama: Any, prompt: str, continuation: str) -> tuple[list[float], int]:
    """The log-probability of each token of `continuation` after the chat-formatted `prompt`,
    and how many tokens had to be evaluated for it.

    The prompt's tokens that the model's context already holds (the system prompt that every
    request begins with) are not evaluated again, and what is evaluated stays in the context
    as llama.cpp's own evaluation would leave it, so the next answer reuses the shared prefix.
    Only the rows of the continuation's tokens are asked of llama.cpp: a row is 151,936 floats
    for Qwen2.5, too many to keep for every prompt token (the server runs with
    `logits_all` off for that reason)."""
    import numpy as np

    head = llama.tokenize(prompt.encode(), add_bos=False, special=True)
    tail = llama.tokenize(continuation.encode(), add_bos=False, special=False)
    tokens = head + tail
    # Each scored token keeps a row (0.6 MB for Qwen2.5): a question, not a document.
    if not 0 < len(tail) <= MAX_CONTINUATION_TOKENS or len(tokens) > llama.n_ctx():
        raise ValueError(
            f"a continuation of 1 to {MAX_CONTINUATION_TOKENS} tokens that fits the context "
            f"is scored; this one has {len(tail)} after {len(head)} tokens of prompt"
        )
    # The row that predicts the first continuation token is the last prompt token's.
    first_row = len(head) - 1
    held = llama.input_ids[: llama.n_tokens].tolist()
    keep = min(llama.longest_token_prefix(held, tokens), first_row)
    llama.n_tokens = keep
    llama._ctx.kv_cache_seq_rm(-1, keep, -1)
    rows: list[Any] = []
    n_vocab = llama.n_vocab()
    for start in range(keep, len(tokens), llama.n_batch):
        batch = tokens[start : start + llama.n_batch]
        llama._batch.set_batch(batch=batch, n_past=start, logits_all=False)
        for i in range(len(batch)):
            llama._batch.batch.logits[i] = start + i >= first_row
        llama._ctx.decode(llama._batch)
        wanted = sum(1 for i in range(len(batch)) if start + i >= first_row)
        if wanted:
            out = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(wanted * n_vocab,))
            rows.append(out.reshape(wanted, n_vocab).copy())
        llama.input_ids[start : start + len(batch)] = batch
        llama.n_tokens = start + len(batch)
    logits = np.concatenate(rows)[: len(tail)]
    logits = logits - logits.max(axis=1, keepdims=True)
    logprobs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    picked = [float(logprobs[i, token]) for i, token in enumerate(tail)]
    return picked, len(tokens) - keep


def chat_prompt(llama: Any, messages: list[dict[str, str]]) -> str:
    """`messages` as the text the server's chat template makes of them, up to the assistant's
    turn (the GGUF's own template; ChatML where it has none)."""
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return llama_chat_format.format_chatml(messages=messages).prompt
    eos, bos = llama.token_eos(), llama.token_bos()
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
    )
    return formatter(messages=messages).prompt


def _with_likelihood(create_app: Any) -> Any:
    """llama.cpp's server app with one more route, `POST /newsqa/likelihood`: how likely the
    model finds a text after a chat (`{"messages": [...], "continuation": "..."}` →
    `{"logprobs": [...], "evaluated": n}`). The OpenAI protocol has no such question; newsqa
    asks it to choose between clauses by how likely each makes the question."""

    def create(*args: Any, **kwargs: Any) -> Any:
        from fastapi import Body, Depends, HTTPException
        from llama_cpp.server import app as server
        from starlette.concurrency import run_in_threadpool

        app = create_app(*args, **kwargs)

        @app.post("/newsqa/likelihood", dependencies=[Depends(server.authenticate)])
        async def likelihood(
            body: dict[str, Any] = Body(...),  # noqa: B008 (FastAPI's way)
            llama_proxy: Any = Depends(server.get_llama_proxy),  # noqa: B008
        ) -> dict[str, Any]:
            messages, continuation = body.get("messages"), body.get("continuation")
            if not isinstance(messages, list) or not isinstance(continuation, str):
                raise HTTPException(422, "give messages (a list) and continuation (a string)")
            llama = llama_proxy(None)

            def score() -> dict[str, Any]:
                prompt = chat_prompt(llama, messages)
                logprobs, evaluated = continuation_logprobs(llama, prompt, continuation)
                return {"logprobs": logprobs, "evaluated": evaluated}

            try:
                return await run_in_threadpool(score)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from exc

        return app

    return create


def _serve(parent_pid: int, server_args: list[str]) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    import llama_cpp
    from llama_cpp.server import __main__ as server_main

    # The server builds its cache as `llama_cpp.LlamaRAMCache(capacity_bytes=...)`.
    llama_cpp.LlamaRAMCache = prompt_cache  # type: ignore[misc,assignment]
    server_main.create_app = _with_likelihood(server_main.create_app)
    sys.argv = ["llama_cpp.server", *server_args]
    server_main.main()


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
