"""The one base of the errors a user can act on.

Its message says what went wrong and what to do; the CLI prints it as one line and exits with
`exit_code`, the app shows it in the chat. Anything else that escapes is a bug, and gets a
traceback."""

from __future__ import annotations

import errno
import shutil
import sqlite3


class NewsqaError(Exception):
    # 2: the input or the configuration is wrong; 1: a service (a model, a server) failed.
    exit_code: int = 2


# Less free space than this where the data lives, and a storage error is taken for a full disk.
_FULL_BYTES = 1 << 20


def storage_error(exc: BaseException, data_dir: object) -> str | None:
    """A storage failure (a full disk, a file that cannot be written, a damaged database) in
    one sentence with what to do, or None when `exc` is not one: that is a bug, and keeps its
    traceback. Chroma's embedded database reports through its own error types, told by module
    so that this bottom layer imports none of it."""
    text = str(exc)
    from_chroma = type(exc).__module__.startswith("chromadb")
    if not isinstance(exc, OSError | sqlite3.Error) and not from_chroma:
        return None
    try:
        # SQLite says only "disk I/O error" when its journal finds no room.
        no_room = shutil.disk_usage(str(data_dir)).free < _FULL_BYTES
    except OSError:
        no_room = False
    if (
        no_room
        or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
        or "disk is full" in text
        or "No space left" in text
    ):
        return (
            f"the disk holding {data_dir} is full: free some space and run the command "
            "again (what was stored before is kept)"
        )
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS) or (
        "readonly database" in text
    ):
        where = getattr(exc, "filename", None) or data_dir
        return f"cannot write to {where}: {getattr(exc, 'strerror', None) or text}"
    if isinstance(exc, sqlite3.DatabaseError) and "malformed" in text:
        return f"the article store in {data_dir} is damaged ({text})"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"storage error in {data_dir}: {first[:300]}"
