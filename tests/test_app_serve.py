"""`python app.py` and `newsqa serve` start the app on loopback, and refuse bad login settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from servers import free_port

REPO = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update({"NEWSQA_DATA_DIR": str(tmp_path / "data"), **extra})
    return env


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses with a socket listening on `port`, from the kernel's table."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_app_py_serves_the_page_on_127_0_0_1(tmp_path):
    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--backend", "extractive"]
    server = subprocess.Popen(command, cwd=REPO, env=_env(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        page = None
        for _ in range(240):  # polls until the server is up or has died; bounded in count
            if server.poll() is not None:
                break
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert page is not None, server.stdout.read() if server.poll() is not None else "no reply"
        assert page.status_code == 200
        config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).json()
        assert config["title"] == "newsqa"
        assert config["analytics_enabled"] is False
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_malformed_login_setting(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "newsqa", "serve", "--port", str(free_port())],
        cwd=REPO,
        env=_env(tmp_path, NEWSQA_AUTH="no-colon"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bad NEWSQA_AUTH" in result.stderr and "expected user:password" in result.stderr
