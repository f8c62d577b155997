"""What the page accepts to ingest: uploaded files of known types and size, and http(s) URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from core.records import Failure

ALLOWED_EXTENSIONS = (
    ".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".xml", ".rss", ".atom",
)  # fmt: skip


@dataclass
class Accepted:
    sources: list[str] = field(default_factory=list)
    rejected: list[Failure] = field(default_factory=list)


def display_name(path: str | Path) -> str:
    return Path(path).name


def check_files(paths: list[str], max_mb: float) -> Accepted:
    """Keep files with an allowed extension within the size limit; name the others and why."""
    out = Accepted()
    limit = int(max_mb * 1024 * 1024)
    for raw in paths:
        path = Path(raw)
        name = display_name(path)
        if path.suffix.lower() not in ALLOWED_EXTENSIONS:
            allowed = " ".join(ALLOWED_EXTENSIONS)
            out.rejected.append(
                Failure(
                    item=name,
                    reason=f"file type {path.suffix or '(none)'} is not accepted "
                    f"(allowed: {allowed})",
                )
            )
        elif not path.is_file():
            out.rejected.append(Failure(item=name, reason="the upload did not arrive"))
        elif path.stat().st_size > limit:
            size = path.stat().st_size / 1024 / 1024
            out.rejected.append(
                Failure(item=name, reason=f"{size:.1f} MB is over the {max_mb:g} MB limit")
            )
        elif path.stat().st_size == 0:
            out.rejected.append(Failure(item=name, reason="the file is empty"))
        else:
            out.sources.append(str(path))
    return out


def check_urls(text: str) -> Accepted:
    """The http(s) URLs of pasted text (one per line, or several on a line separated by
    spaces). Other addresses are refused one by one; the plain words of a line are one refused
    item ("not a url" is one mistake, not three)."""
    out = Accepted()
    for line in (text or "").splitlines():
        words = [word.strip(",;") for word in line.split()]
        words = [word for word in words if word]
        out.sources.extend(word for word in words if _is_web_url(word))
        # An address of another kind (ftp:, javascript:) is refused on its own; plain words
        # are one item per line.
        for word in words:
            if _SCHEME.match(word) and not _is_web_url(word):
                out.rejected.append(Failure(item=word, reason="not an http(s) URL"))
        plain = [word for word in words if not _SCHEME.match(word)]
        if plain:
            out.rejected.append(Failure(item=" ".join(plain), reason="not an http(s) URL"))
    return out


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def _is_web_url(word: str) -> bool:
    parsed = urlparse(word)
    return parsed.scheme.lower() in ("http", "https") and bool(parsed.netloc)


def discard_uploads(paths: list[str], upload_folder: Path) -> None:
    """Remove uploaded files once they are ingested (the store keeps what they held): Gradio
    would keep every upload in its folder for as long as the app runs. Only files inside
    `upload_folder` are touched, and the per-upload folder Gradio made when it empties."""
    root = upload_folder.resolve()
    for raw in paths:
        path = Path(raw).resolve()
        if root not in path.parents:
            continue
        path.unlink(missing_ok=True)
        parent = path.parent
        if parent != root and not any(parent.iterdir()):
            parent.rmdir()
