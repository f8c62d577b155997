"""An OpenAI-compatible chat server on loopback that writes a scripted reply.

A stand-in, and only where no real one can: no model here can be made to write a given answer
("… [1, 2]."), yet the app's handling of exactly that answer is what a test must see. The
app talks to it through its real OpenAI backend (langchain-openai, the openai client, HTTP,
server-sent events); only the words are scripted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = str | Callable[[str], str]  # the reply, or the reply to a prompt (all its messages)


def _handler(reply: Reply, delay: float, prompts: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet in the test output
            pass

        def _json(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._json({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            base = {"id": "c1", "created": 0, "model": "scripted"}
            prompt = "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
            prompts.append(prompt)
            text = reply(prompt) if callable(reply) else reply
            if not request.get("stream"):
                message = {"role": "assistant", "content": text}
                self._json(
                    base
                    | {
                        "object": "chat.completion",
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    }
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in text.split(" "):
                piece = {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
                chunk = base | {"object": "chat.completion.chunk", "choices": [piece]}
                try:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    return
                time.sleep(delay)
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


@contextmanager
def scripted_openai(
    reply: Reply, delay: float = 0.0, prompts: list[str] | None = None
) -> Iterator[str]:
    """Serve `reply` to every chat completion, a word every `delay` seconds when streamed;
    yields the base URL (".../v1"). Each prompt received is appended to `prompts`."""
    seen = prompts if prompts is not None else []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(reply, delay, seen))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
