"""Publication dates in the shapes news sources write them, to `datetime.date`."""

from __future__ import annotations

import datetime
import re
import time
from email.utils import parsedate_to_datetime

_GERMAN_MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6,
    "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
}  # fmt: skip
_DOTTED = re.compile(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b")
_GERMAN_LONG = re.compile(r"^(\d{1,2})\.\s*([a-zäöü]+)\s+(\d{4})\b", re.IGNORECASE)
_ENGLISH_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")


def parse_date(value: object) -> datetime.date | None:
    """A date from ISO text, RFC 822 ("Wed, 13 Aug 2025 10:00:00 +0200"), "13.08.2025",
    "13. August 2025", "August 13, 2025", a date/datetime, or a time.struct_time; else None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, time.struct_time):
        return datetime.date(value.tm_year, value.tm_mon, value.tm_mday)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    return _parse_written(text)


def _parse_written(text: str) -> datetime.date | None:
    try:
        if match := _DOTTED.match(text):
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if (match := _GERMAN_LONG.match(text)) and match.group(2).lower() in _GERMAN_MONTHS:
            month = _GERMAN_MONTHS[match.group(2).lower()]
            return datetime.date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None
    for fmt in _ENGLISH_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
