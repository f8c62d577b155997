"""Language of a text, as an ISO 639-1 code ("und" when too short or unsure): one classifier
(py3langid) for articles at ingest and for questions when answering."""

from __future__ import annotations

import contextlib
import os
import threading
import zipfile
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

# Restricting the classifier to languages news here plausibly comes in avoids the classic
# misfires of an unrestricted langid on short text (German guessed as Luxembourgish, etc.).
LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "cs", "sv", "da", "no", "fi",
    "ru", "uk", "tr", "ar", "zh", "ja", "ko",
)  # fmt: skip
# How prompts name each language ("answer in French").
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "pl": "Polish", "cs": "Czech", "sv": "Swedish",
    "da": "Danish", "no": "Norwegian", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian",
    "tr": "Turkish", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
}  # fmt: skip
assert set(LANGUAGE_NAMES) == set(LANGUAGES)
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5
# The classifier is linear in the text length; a few thousand characters decide any article.
SAMPLE_CHARS = 4000


_lock = threading.Lock()
_state: dict[str, object] = {}


def use_cache_dir(path: Path) -> None:
    """Keep the classifier unpacked in `path`. py3langid ships it LZMA-packed, and unpacking
    takes about 0.45 s, a quarter of a `newsqa ask`; an unpacked copy loads in a few ms."""
    with _lock:
        _state["cache_dir"] = Path(path)


def _cache_file(cache_dir: Path) -> Path:
    packed = MODEL_DIR / MODEL_FILE
    # Named after the packed model's size and time: a new py3langid unpacks afresh.
    stamp = packed.stat()
    return cache_dir / f"langid-{stamp.st_size}-{int(stamp.st_mtime)}.npz"


def _from_cache(path: Path) -> LanguageIdentifier | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return LanguageIdentifier(
            arrays["ptc"],
            arrays["pc"],
            arrays["classes"].tolist(),
            _flat_array(arrays["nextmove"]),
            arrays["out_feat"].tolist(),
            norm_probs=True,
            tk_row=_flat_array(arrays["nextmove_row"]),
        )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # damaged: unpacked again
        return None


def _flat_array(values: np.ndarray) -> array:
    # The tokenizer indexes these per character: a stdlib array is what py3langid reads.
    out = array("I")
    out.frombytes(np.ascontiguousarray(values, dtype=np.uint32).tobytes())
    return out


def _to_cache(identifier: LanguageIdentifier, path: Path) -> None:
    ptc, pc, classes = identifier._full_model
    partial = path.with_suffix(f".{os.getpid()}.part.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            partial,
            ptc=ptc,
            pc=pc,
            classes=np.array(classes),
            nextmove=np.asarray(identifier.tk_nextmove),
            nextmove_row=np.asarray(identifier.tk_row, dtype=np.uint32),
            out_feat=np.asarray(identifier.tk_output, dtype=np.int32),
        )
        partial.replace(path)
    except OSError:  # a data folder that cannot be written: unpacked again next time
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def _identifier() -> LanguageIdentifier:
    with _lock:
        identifier = _state.get("identifier")
        if identifier is not None:
            return identifier  # type: ignore[return-value]
        cache_dir = _state.get("cache_dir")
        cached = _cache_file(cache_dir) if isinstance(cache_dir, Path) else None
        identifier = _from_cache(cached) if cached is not None and cached.exists() else None
        if identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            if cached is not None:
                _to_cache(identifier, cached)
        identifier.set_languages(list(LANGUAGES))
        _state["identifier"] = identifier
        return identifier


def _classify(text: str) -> str:
    language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE else "und"


def detect_language(text: str) -> str:
    """The language of an article (at least MIN_LETTERS letters, or "und")."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return "und"
    return _classify(sample)


def question_language(text: str) -> str:
    """The language of a question or a chat message, however short ("und" when unsure)."""
    return _classify(text[:SAMPLE_CHARS]) if any(ch.isalpha() for ch in text) else "und"
