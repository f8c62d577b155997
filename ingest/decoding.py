"""Bytes to text: UTF-8 first, then Windows-1252 / Latin-1; binary content is refused."""

from __future__ import annotations

import codecs
import re


class NotText(ValueError):
    """The content is binary (or in no encoding we read), not text."""


# C0 controls other than tab/newline/carriage return/form feed, and the C1 range: text in any
# encoding we accept has (almost) none of them, binary data has many.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01


def decode_bytes(data: bytes) -> str:
    """Decode file or response bytes; raise NotText for binary content."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        if b"\x00" in data:
            raise NotText("binary file, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # cp1252 is what "Latin-1" text from Windows tools really is; it only lacks five
            # byte values, for which true Latin-1 is the fallback.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    if text and len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise NotText("binary file, not text")
    return text


def decode_line(data: bytes) -> str:
    """Decode one line of a streamed export, never failing: a file already judged to be text
    may still have a stray byte, and one odd line must not stop the lines after it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def looks_binary(head: bytes) -> bool:
    """True for the first few kB of a file that is binary (NUL bytes, or mostly controls)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    # Only control characters matter here, so bytes that are not UTF-8 (Latin-1 umlauts, a
    # character cut at the 8 kB edge) may simply be dropped.
    text = head.decode("utf-8", errors="ignore")
    return bool(text) and len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text)
