"""Whether each answer backend can answer now: model file present and loaded, server reachable."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from assistant import llm, local_model
from newsqa.settings import Settings

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
    path = local_model.model_path(settings)
    if not path.is_file():
        return BackendStatus(
            "local", False, f"model file missing ({path.name}): run `newsqa models pull`"
        )
    size_gb = path.stat().st_size / 1e9
    state = "loaded" if llm.is_loaded(path) else "present, loads on the first question"
    return BackendStatus("local", True, f"{path.name} ({size_gb:.2f} GB): {state}")


def openai_status(settings: Settings, timeout: float = 2.0) -> BackendStatus:
    base = settings.openai_base_url
    if not base:
        if settings.openai_api_key:
            return BackendStatus("openai", True, "OpenAI API key set (server not probed)")
        return BackendStatus("openai", False, "no server configured (NEWSQA_OPENAI_BASE_URL)")
    url = base.rstrip("/") + "/models"
    headers = (
        {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
    )
    try:
        response = httpx.get(url, timeout=timeout, headers=headers)
    except httpx.HTTPError as exc:
        return BackendStatus("openai", False, f"{base} unreachable: {type(exc).__name__}")
    if response.status_code >= 400:
        return BackendStatus("openai", False, f"{base} answered HTTP {response.status_code}")
    return BackendStatus("openai", True, f"{base} reachable, model {settings.openai_model}")


def backend_status(settings: Settings, backend: str) -> BackendStatus:
    if backend == "local":
        return local_status(settings)
    if backend == "openai":
        return openai_status(settings)
    if backend == "extractive":
        return BackendStatus("extractive", True, "quotes the best passage; no model needed")
    return BackendStatus(backend, False, f"unknown backend {backend!r}")
