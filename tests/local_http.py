"""Real HTTP servers on 127.0.0.1 for the loader tests: a page/feed server, a server that
accepts connections and never answers, and a port with nothing listening."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # for a redirect


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        self.seen.append((self.path, self.headers.get("User-Agent", "")))
        route = self.routes.get(self.path)
        if route is None:
            route = Route(b"not found", "text/plain", 404)
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        if route.location:
            self.send_header("Location", route.location)
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class Site:
    def __init__(self, server: ThreadingHTTPServer, handler: type[_Handler]) -> None:
        self._server = server
        self.handler = handler

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self.handler.seen


@contextlib.contextmanager
def serve(routes: dict[str, Route], host: str = "127.0.0.1") -> Iterator[Site]:
    """Serve `routes` (path → Route) on an ephemeral loopback port for the `with` block."""
    handler = type("Handler", (_Handler,), {"routes": dict(routes), "seen": []})
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(server, handler)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Silent:
    url: str
    connections: list[socket.socket]


@contextlib.contextmanager
def silent_server() -> Iterator[Silent]:
    """A loopback server that accepts connections and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    silent = Silent(f"http://127.0.0.1:{listener.getsockname()[1]}/slow", [])

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            silent.connections.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield silent
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in silent.connections:
            connection.close()
        listener.close()


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (the port was just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/article"
