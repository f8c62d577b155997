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
    """Split pasted text into URLs (one per line or space-separated); keep http(s) ones."""
    out = Accepted()
    for token in re.split(r"\s+", text or ""):
        token = token.strip().strip(",;")
        if not token:
            continue
        parsed = urlparse(token)
        if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
            out.sources.append(token)
        else:
            out.rejected.append(Failure(item=token, reason="not an http(s) URL"))
    return out


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
