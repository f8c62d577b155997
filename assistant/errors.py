"""The error of an answer backend that cannot answer, apart from the model code that raises it:
the extractive path catches it without importing LangChain's model side."""

from __future__ import annotations

from core.errors import NewsqaError


class BackendError(NewsqaError, RuntimeError):
    """The chosen backend cannot answer; the message says why and what to do."""

    exit_code = 1  # the backend could not answer; the input was fine
