"""Failed logins slow down, per user and address.

Gradio checks a password as fast as it is sent (200 wrong ones in 2.3 s, then the right one
accepted). This ASGI middleware sits in front of Gradio's `POST /login`: after `FREE_FAILURES`
wrong passwords for one user from one address, that pair is locked out for a time that doubles
with each further failure (up to `MAX_LOCK_S`); a right password resets it. An address that
fails for many users is locked as a whole, so guessing across user names gains nothing. The
lock answers 429 before the password is looked at, so a locked-out guess learns nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

FREE_FAILURES = 5
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 900.0
# Failures from one address, whatever the user name, before the address itself is locked.
ADDRESS_FAILURES = 4 * FREE_FAILURES
# A login form is a user name and a password; anything longer is not one.
_MAX_BODY = 16 * 1024
# Pairs remembered at most; the oldest go first (a flood of made-up names must not fill memory).
_MAX_KEYS = 10_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/").endswith("/login")
        ):
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        user = _form_user(body) if not more else ""
        address = (scope.get("client") or ("?", 0))[0]
        wait = self._wait(user, address)
        if wait > 0:
            await _too_many(send, wait)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, replay, watch)
        if status:
            self._record(user, address, ok=status[0] < 400)

    def _wait(self, user: str, address: str) -> float:
        now = self.clock()
        with self._lock:
            waits = [
                r.locked_until - now
                for r in (self._records.get((user, address)), self._records.get(("", address)))
                if r is not None
            ]
        return max([0.0, *waits])

    def _record(self, user: str, address: str, ok: bool) -> None:
        now = self.clock()
        with self._lock:
            if ok:
                self._records.pop((user, address), None)
                return
            for key, free in (((user, address), FREE_FAILURES), (("", address), ADDRESS_FAILURES)):
                record = self._records.pop(key, None) or _Record()
                record.failures += 1
                if record.failures >= free:
                    lock = FIRST_LOCK_S * 2 ** (record.failures - free)
                    record.locked_until = now + min(MAX_LOCK_S, lock)
                self._records[key] = record  # re-inserted: newest last
            while len(self._records) > _MAX_KEYS:
                del self._records[next(iter(self._records))]


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body up to _MAX_BODY, and whether more of it is left unread."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        more = bool(message.get("more_body"))
        if not more or len(body) > _MAX_BODY:
            return body, more


def _form_user(body: bytes) -> str:
    try:
        form = parse_qs(body.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    return (form.get("username") or [""])[0].strip()


async def _too_many(send: Send, wait: float) -> None:
    seconds = max(1, round(wait))
    detail = f"Too many failed logins; try again in {seconds} s."
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(seconds).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
