"""Whether each answer backend can answer now, from the same checks as `newsqa doctor`."""

from __future__ import annotations

from dataclasses import dataclass

from assistant import health, llm
from core.settings import Settings

BACKEND_LABELS = {
    "local": "Local model",
    "openai": "OpenAI-compatible server",
    "extractive": "Extractive (no model)",
}


@dataclass(frozen=True)
class BackendStatus:
    backend: str
    ready: bool
    detail: str


def local_status(settings: Settings) -> BackendStatus:
    # The size-and-stamp check: hashing 1.1 GB on every page load would cost seconds.
    check = health.model_file(settings, full_hash=False)
    if not check.ok:
        return BackendStatus("local", False, f"{check.detail}: run `{check.fix}`")
    state = llm.local_worker(settings).state()
    if state.running:
        now = f"loaded in its worker process (pid {state.pid})"
    else:
        now = "present, loads on the first question"
        if state.last_exit:
            now += f" (the last worker {state.last_exit})"
    return BackendStatus("local", True, f"{check.detail}: {now}")


def openai_status(settings: Settings, timeout: float = 2.0) -> BackendStatus:
    base = settings.openai_base_url
    if not base:
        if settings.openai_api_key:
            return BackendStatus("openai", True, "OpenAI API key set (server not probed)")
        return BackendStatus("openai", False, "no server configured (NEWSQA_OPENAI_BASE_URL)")
    check = health.models_endpoint("answer server", base, settings.openai_api_key, timeout)
    detail = f"{check.detail}, model {settings.openai_model}" if check.ok else check.detail
    return BackendStatus("openai", check.ok, detail)


def backend_status(settings: Settings, backend: str) -> BackendStatus:
    if backend == "local":
        return local_status(settings)
    if backend == "openai":
        return openai_status(settings)
    if backend == "extractive":
        return BackendStatus("extractive", True, "quotes the best passage; no model needed")
    return BackendStatus(backend, False, f"unknown backend {backend!r}")
