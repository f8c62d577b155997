"""The app's view of the answer backends: their labels and whether each can answer now."""

from __future__ import annotations

from assistant.backends import BACKENDS, BackendStatus, backend_class
from core.settings import Settings

BACKEND_LABELS = {name: cls.label for name, cls in BACKENDS.items()}


def backend_status(settings: Settings, backend: str) -> BackendStatus:
    if backend not in BACKENDS:
        return BackendStatus(backend, False, f"unknown backend {backend!r}")
    return backend_class(backend)(settings).status()
