"""Login for the app: settings.auth is "user:password" or a path to a file of such lines."""

from __future__ import annotations

from pathlib import Path

from core.errors import NewsqaError


class AuthConfigError(NewsqaError, ValueError):
    """settings.auth could not be read; the message names the line and why."""


def _pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise AuthConfigError(f"{where}: expected user:password, got {text!r}")
    return user.strip(), password


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """The (user, password) pairs to accept, or None when no login is configured.

    A value naming an existing file is read as one user:password per line (blank lines and
    lines starting with # are skipped); anything else is taken as one user:password.
    """
    if value is None or not value.strip():
        return None
    path = Path(value.strip()).expanduser()
    if path.is_file():
        pairs = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if line and not line.startswith("#"):
                pairs.append(_pair(line, f"{path}:{number}"))
        if not pairs:
            raise AuthConfigError(f"{path}: no user:password lines")
        return pairs
    return [_pair(value.strip(), "NEWSQA_AUTH")]
