"""The side panel's word on each answer backend: can it answer right now, and why not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webapp.backend_status import backend_status


class _Models(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps({"data": [{"id": "m"}]}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def models_server():
    """A real HTTP server on loopback that lists models the way OpenAI-compatible servers do."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_local_model_missing_says_how_to_get_it(settings):
    status = backend_status(settings, "local")
    assert not status.ready
    assert "newsqa models pull" in status.detail


def test_local_model_file_present_but_not_loaded(settings, tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 1000)
    status = backend_status(settings.model_copy(update={"llm_model_path": gguf}), "local")
    assert status.ready
    assert "tiny.gguf" in status.detail and "loads on the first question" in status.detail


def test_openai_server_reachable(settings, models_server):
    configured = settings.model_copy(update={"openai_base_url": models_server + "/v1"})
    status = backend_status(configured, "openai")
    assert status.ready and "reachable" in status.detail


def test_openai_server_unreachable_or_unconfigured(settings, models_server):
    assert "no server configured" in backend_status(settings, "openai").detail
    wrong_path = settings.model_copy(update={"openai_base_url": models_server + "/nope"})
    assert "HTTP 404" in backend_status(wrong_path, "openai").detail
    closed = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    status = backend_status(closed, "openai")
    assert not status.ready and "unreachable" in status.detail


def test_extractive_is_always_ready(settings):
    assert backend_status(settings, "extractive").ready
