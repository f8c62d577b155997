"""Real servers on loopback for the tests: a free port, and a process that is up before use."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    command: Sequence[str], health_url: str, *, what: str, timeout_s: float = 120.0
) -> Iterator[subprocess.Popen]:
    """Start `command`, wait until `health_url` answers 200, stop the process afterwards.

    Fails the test (naming `what`) if the process exits first or does not come up in time;
    the wait is bounded, so a broken server never hangs the suite.
    """
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the {what} exited with status {proc.returncode} before it was up")
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the {what} did not come up within {timeout_s:.0f} s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
