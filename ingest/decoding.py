"""Bytes to text: UTF-8 (stray bytes replaced and counted), else Windows-1252 / Latin-1;
binary content is refused."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass


class NotText(ValueError):
    """The content is binary (or in no encoding we read), not text."""


# C0 controls other than tab/newline/carriage return/form feed, and the C1 range: text in any
# encoding we accept has (almost) none of them, binary data has many.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.01


@dataclass(frozen=True)
class Decoded:
    text: str
    # Invalid byte sequences that became U+FFFD (one per run of bad bytes).
    replaced: int = 0


_REPLACEMENT = "\ufffd"
_REPLACEMENT_UTF8 = _REPLACEMENT.encode()


def _evidence(data: bytes) -> tuple[Decoded, int]:
    """`data` read as UTF-8 with bad bytes replaced, and how many characters beyond ASCII
    came out valid: what tells UTF-8 with a stray byte from a file in a legacy encoding."""
    text = data.decode("utf-8", errors="replace")
    replaced = text.count(_REPLACEMENT) - data.count(_REPLACEMENT_UTF8)
    valid = sum(1 for ch in text if ch > "\x7f") - text.count(_REPLACEMENT)
    return Decoded(text, replaced), valid


def _legacy(data: bytes) -> str:
    # cp1252 is what "Latin-1" text from Windows tools really is; it only lacks five byte
    # values, for which true Latin-1 is the fallback.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _check_controls(text: str) -> None:
    if text and len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise NotText("binary file, not text")


def decode_bytes(data: bytes) -> Decoded:
    """Decode file or response bytes; raise NotText for binary content.

    Text that is UTF-8 apart from a few stray bytes stays UTF-8, the strays replaced and
    counted: one bad byte used to send a whole German file to cp1252 ("GrÃ¶ÃŸe"). Only text
    whose bytes beyond ASCII are mostly not UTF-8 is read as cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        decoded, _ = _evidence(data[len(codecs.BOM_UTF8) :])
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoded = Decoded(data.decode("utf-16", errors="replace"))
    else:
        if b"\x00" in data:
            raise NotText("binary file, not text")
        decoded = LineDecoder().decoded(data)
    _check_controls(decoded.text)
    return decoded


class LineDecoder:
    """Decodes a streamed export line by line under one rule for the whole file: what the
    lines so far showed (valid UTF-8 beyond ASCII, or bytes that are not UTF-8) decides how a
    line that is not valid UTF-8 is read. Never fails: one odd line must not stop the rest."""

    def __init__(self) -> None:
        self.valid = 0  # characters beyond ASCII that were valid UTF-8, so far
        self.invalid = 0  # bad UTF-8 sequences, so far
        self.replaced = 0  # of those, the ones replaced (in lines read as UTF-8)

    def decoded(self, data: bytes) -> Decoded:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not text.isascii():
                self.valid += sum(1 for ch in text if ch > "\x7f")
            return Decoded(text)
        decoded, valid = _evidence(data)
        self.valid += valid
        self.invalid += decoded.replaced
        if self.valid and self.valid >= self.invalid:
            self.replaced += decoded.replaced
            return decoded
        return Decoded(_legacy(data))

    def decode(self, data: bytes) -> str:
        return self.decoded(data).text


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
