"""A cancel signal for one answer, given by whoever may want to stop it (the app's Stop button).

The answer's steps register what stopping means for them (the local model kills its worker);
`cancel()` runs those at once from the caller's thread, however busy the answering thread is.
The answering side reports `ended()` when it will write nothing more, so the one who stopped it
can wait for that before showing the stopped state (`wait_ended`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._callbacks: dict[int, Callable[[], object]] = {}
        self._next = 0
        self._ended = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run `callback` on cancel (now, if already cancelled); returns a function that
        unregisters it."""
        with self._lock:
            if not self._cancelled:
                key = self._next
                self._next += 1
                self._callbacks[key] = callback

                def forget() -> None:
                    with self._lock:
                        self._callbacks.pop(key, None)

                return forget
        callback()
        return lambda: None

    def ended(self) -> None:
        self._ended.set()

    def wait_ended(self, timeout: float) -> bool:
        """True once the answer has ended, False if `timeout` seconds passed first."""
        return self._ended.wait(timeout)

    def __deepcopy__(self, memo: dict) -> Cancel:
        # Session state may be deep-copied; a copy must still stop the same answer.
        return self
