"""Publication dates as a source writes them, read into ISO 8601 (``rag.language.dates`` turns
those into the numbers filters compare)."""

from __future__ import annotations

from datetime import UTC, datetime

from dateutil import parser as date_parser

# A news date outside these years is a misread (a version number, a price), never a date.
_FIRST_YEAR = 1900
_LAST_YEAR = 2200
_DEFAULTS = (datetime(1, 1, 1), datetime(2, 2, 2))


def normalise_published(raw: str | None) -> str | None:
    """``raw`` as ISO 8601, or None when it is no readable date (never an invented one).

    A date alone stays a date (``2005-03-14``); a time with a zone becomes UTC
    (``2005-03-14T09:30:00+00:00``); a time without a zone is kept as written, since
    guessing the zone would move the date. Numeric dates are read month first, as
    dateutil does, unless the day cannot be a month (``14/03/2005``); a date must name its
    year in four digits, its month and its day."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        parsed: datetime = date_parser.parse(text, default=_DEFAULTS[0])
        # Parsed again with other defaults: a part that changes was never in the text
        # ("2005" has no day, "Tuesday" no year), and a date missing a part is not given.
        complete = parsed == date_parser.parse(text, default=_DEFAULTS[1])
    except (ValueError, OverflowError):
        return None
    if not complete or str(parsed.year) not in text or not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC).isoformat()
    if (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) == (0, 0, 0, 0) and (
        ":" not in text
    ):
        return parsed.date().isoformat()
    return parsed.isoformat()
