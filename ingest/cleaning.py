"""Text clean-up for scraped news: Unicode and whitespace normalisation, boilerplate removal.

Boilerplate is removed line by line and only where a line is *nothing but* boilerplate (a
navigation crumb, a "Read more" teaser, a cookie notice, an image credit). Words inside real
sentences are never touched: a short stand-alone line is the unit of judgement.
"""

from __future__ import annotations

import re
import unicodedata

# Whole lines (case-insensitive, trailing punctuation ignored) that are page furniture.
_FURNITURE = {
    # German
    "startseite", "zur startseite", "kommentare", "kommentar", "kommentieren",
    "auch interessant", "mehr zum thema", "lesen sie auch", "lesen sie mehr", "weiterlesen",
    "mehr lesen", "mehr", "teilen", "artikel teilen", "drucken", "anzeige", "werbung",
    "nach oben", "zurück", "jetzt abonnieren", "newsletter", "zum newsletter",
    "mehr zum artikel", "video", "bildergalerie", "zur bildergalerie", "merken",
    # English
    "home", "advertisement", "ad", "sponsored", "skip to content", "skip to main content",
    "share", "share this", "share this article", "share this story", "read more",
    "read more below", "related", "related articles", "related stories", "more on this story",
    "back to top", "print", "email", "e-mail", "subscribe", "sign up", "log in", "menu",
    "comments", "show comments", "trending", "most read", "up next", "watch", "listen",
    "open image", "close", "loading", "continue reading", "story continues below advertisement",
}  # fmt: skip

_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
# Control characters other than tab and the line breaks: a NUL from a JSON "\u0000" or a stray
# escape code has no place in stored text (the line breaks are unified before this applies).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_TRAILING_PUNCT = " .:;!?|›»>-–—·•"

# A numbered crumb run starts with "1. Startseite" / "1. Home" ("  1. Startseite\n  2. Politik").
_CRUMB_START = re.compile(r"^\d{1,2}\.\s*(startseite|home)$", re.IGNORECASE)
_CRUMB_NEXT = re.compile(r"^\d{1,2}\.\s*[\w&,' -]{1,40}$")

# Teaser lines that link elsewhere: "READ MORE:The National Zoo pandas ...", "Lesen Sie auch: ..."
_TEASER = re.compile(
    r"^(read more|read also|more|related|see also|also read|lesen sie auch|lesen sie mehr|"
    r"mehr zum thema|auch interessant|zum thema|weiterlesen|mehr dazu)\s*[:>»›]",
    re.IGNORECASE,
)
_TEASER_MAX = 200

# Image credits and copyright lines standing alone.
_CREDIT = re.compile(
    r"^("
    r"©|\(c\)\s|copyright\b|"
    r"(foto|fotos|bild|bilder|grafik|quelle foto|image|images|photo|photos|picture|credit|"
    r"illustration|video)\s*:|"
    r"\(?(photo|image|picture) (by|credit|courtesy)\b"
    r")",
    re.IGNORECASE,
)
_CREDIT_MAX = 160
# A credit glued to the end of an image caption: "... (Archivbild) © IMAGO/Yonhap News".
_TRAILING_CREDIT = re.compile(r"\s*©\s*[^©\n]{1,60}$")

# Consent banners, in the phrasing they actually use; "cookies" alone is a word bakeries use too.
_COOKIE_NOTICE = re.compile(
    r"(we use cookies|uses cookies|use of cookies|accept (all )?cookies|cookie (settings|policy|"
    r"preferences|consent)|manage cookies|wir (verwenden|nutzen|setzen) cookies|"
    r"(verwendet|nutzt|setzt) cookies|cookies (akzeptieren|zulassen|ablehnen)|"
    r"cookie-einstellungen|alle akzeptieren|datenschutzeinstellungen)",
    re.IGNORECASE,
)
_COOKIE_MAX = 400


def normalize_whitespace(text: str) -> str:
    """NFC, unified line ends and spaces; paragraphs separated by exactly one blank line."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = _CONTROLS.sub("", _INVISIBLE.sub("", text))
    # str.split() with no argument splits on every Unicode space (no-break, thin, ideographic).
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _join_lines(lines)


def one_line(value: str) -> str:
    """A metadata value (source, author) as one clean line: no controls, single spaces."""
    return " ".join(_CONTROLS.sub("", _INVISIBLE.sub("", value)).split())


def _join_lines(lines: list[str | None]) -> str:
    """Lines to text: runs of blank lines become one paragraph break; None (a removed line) is
    skipped, so removing a line never merges the paragraphs around it."""
    out: list[str] = []
    blank = False
    for line in lines:
        if line is None:
            continue
        if not line:
            blank = True
            continue
        if out:
            out.append("\n\n" if blank else "\n")
        out.append(line)
        blank = False
    return "".join(out)


def _key(line: str) -> str:
    return line.strip(_TRAILING_PUNCT).casefold()


def is_boilerplate(line: str) -> bool:
    """True when a stripped, stand-alone line is page furniture rather than article text."""
    if _key(line) in _FURNITURE:
        return True
    if len(line) <= _TEASER_MAX and _TEASER.match(line):
        return True
    if len(line) <= _CREDIT_MAX and _CREDIT.match(line):
        return True
    return bool(len(line) <= _COOKIE_MAX and _COOKIE_NOTICE.search(line))


def clean_text(text: str, language: str | None = None) -> str:
    """Normalised article text with stand-alone boilerplate lines removed.

    `language` is accepted for callers that know it; the rules cover German and English
    together because scraped pages mix both (German sites say "Teilen" and "Home").
    """
    lines: list[str | None] = list(normalize_whitespace(text).split("\n"))
    in_crumbs = False
    for i, line in enumerate(lines):
        if not line:
            continue  # blank lines stay: they mark paragraphs
        if _CRUMB_START.match(line):
            in_crumbs = True
            lines[i] = None
            continue
        if in_crumbs and _CRUMB_NEXT.match(line):
            lines[i] = None
            continue
        in_crumbs = False
        if is_boilerplate(line):
            lines[i] = None
            continue
        stripped = _TRAILING_CREDIT.sub("", line) if "©" in line else line
        lines[i] = stripped if stripped else None
    return _join_lines(lines)
