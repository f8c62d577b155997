"""One writer at a time per collection, across processes and threads.

Every write path (an ingest run from its sweep to its last article, a delete, a single
upload) holds this lock. Without it, a second run's sweep removed the first run's articles in
flight (they look exactly like a killed run's leftovers), and both runs reported success.

The lock is an `flock` on a file beside the article store: the kernel drops it when its
process dies, so a killed ingest never leaves a stale lock, and the next writer's sweep only
ever meets rows of runs that are really gone. `flock` excludes other open files of the same
process too, so threads are queued first on an in-process lock, which also makes the lock
re-entrant (an ingest deletes the old versions it replaces while it holds it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.errors import NewsqaError

# How often a waiting writer tries again; a writer holds the lock for seconds to hours.
_POLL_S = 0.2


class StoreBusy(NewsqaError, RuntimeError):
    """Another writer held the collection for longer than this one was willing to wait."""

    exit_code = 1


@dataclass
class _PathLock:
    threads: threading.RLock = field(default_factory=threading.RLock)
    fd: int | None = None
    depth: int = 0


_locks: dict[Path, _PathLock] = {}
_locks_guard = threading.Lock()


def _path_lock(path: Path) -> _PathLock:
    key = path.resolve()
    with _locks_guard:
        return _locks.setdefault(key, _PathLock())


def _holder(path: Path) -> str:
    """Who holds the lock, as its holder wrote it down (best effort: it may be ending)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"


@dataclass(frozen=True)
class WriteLock:
    path: Path  # the lock file
    collection: str
    wait_s: float  # how long a writer waits for another before giving up

    @contextlib.contextmanager
    def hold(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the collection for writing; if another writer has it, say so through `on_wait`
        once, and wait for it (up to `wait_s`)."""
        state = _path_lock(self.path)
        deadline = time.monotonic() + self.wait_s
        told = False

        def tell(who: str) -> None:
            nonlocal told
            if not told and on_wait is not None:
                on_wait(
                    f"collection {self.collection!r} is being written by {who}; "
                    "waiting for it to finish…"
                )
            told = True

        if not state.threads.acquire(blocking=False):
            tell("another task of this process")
            if not state.threads.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise self._busy("another task of this process")
        try:
            if state.depth == 0:
                state.fd = self._take(deadline, tell)
            state.depth += 1
            try:
                yield
            finally:
                state.depth -= 1
                if state.depth == 0 and state.fd is not None:
                    fd, state.fd = state.fd, None
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
        finally:
            state.threads.release()

    def _take(self, deadline: float, tell: Callable[[str], None]) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    who = _holder(self.path)
                    if time.monotonic() >= deadline:
                        raise self._busy(who) from None
                    tell(who)
                    time.sleep(_POLL_S)
            command = " ".join(os.path.basename(a) for a in sys.argv[:2]) or "python"
            since = datetime.now().strftime("%H:%M:%S")
            # Only for the message of a writer that waits: a full disk must not stop this one.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"pid {os.getpid()} ({command}, since {since})\n".encode(), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise

    def _busy(self, who: str) -> StoreBusy:
        return StoreBusy(
            f"collection {self.collection!r} is still being written by {who} after "
            f"{self.wait_s:.0f} s; try again when it has finished "
            "(or raise NEWSQA_WRITE_WAIT_S)"
        )
