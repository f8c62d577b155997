"""A first-come, first-served line for the local model (one worker process), one answer at a time.

The worker itself takes one generation at a time (assistant.model_worker); this line exists so
that a waiting user can be told their place in it while they wait, instead of staring at a
frozen page.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque


class TurnLine:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: deque[int] = deque()
        self._tickets = itertools.count(1)

    def join(self) -> int:
        with self._cond:
            ticket = next(self._tickets)
            self._line.append(ticket)
            return ticket

    def position(self, ticket: int) -> int:
        """0 when it is this ticket's turn, else how many are ahead of it."""
        with self._cond:
            return self._line.index(ticket)

    def wait(self, ticket: int, timeout: float) -> int:
        """Wait up to `timeout` seconds for the line to move; return the position then."""
        with self._cond:
            if self._line.index(ticket) > 0:
                self._cond.wait(timeout)
            return self._line.index(ticket)

    def leave(self, ticket: int) -> None:
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
                self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._line)
