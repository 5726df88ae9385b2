"""Publication dates as numbers: what Chroma's ``where`` and the manifest compare.

Dates are stored as ISO 8601 strings (``index.dates.normalise_published`` reads whatever a
source wrote) and as seconds since the epoch, since Chroma compares numbers only. A time
without a zone counts as UTC, and a date alone as its whole day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ..errors import InputError

_LAST_SECOND = 86_399.999


def published_timestamp(iso: str | None) -> float | None:
    """Seconds since the epoch for an ISO date or date-time (a date alone counts from its
    midnight, UTC), or None when ``iso`` is none."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return _seconds(moment)


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def day_bounds(day: date) -> tuple[float, float]:
    """The first and last second of ``day`` (UTC): `since`/`until` given as dates include
    the whole day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    return start, start + _LAST_SECOND


def bound_seconds(bound: date, *, end: bool) -> float:
    """A filter bound in seconds: a date-time as given, a date as its first second (or,
    for an ``end`` bound, its last)."""
    if isinstance(bound, datetime):  # before date: every datetime is a date
        return _seconds(bound)
    first, last = day_bounds(bound)
    return last if end else first


def parse_bound(text: str, name: str) -> date | datetime:
    """``2025-01-01`` as a date, ``2025-01-01T12:00`` (or with a zone) as a date-time; any
    other text is an InputError naming the option ``name``."""
    cleaned = text.strip()
    try:
        if len(cleaned) == len("2025-01-01"):
            return date.fromisoformat(cleaned)
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise InputError(
            f"{name} must be an ISO date (2025-01-31) or date-time (2025-01-31T12:00), not {text!r}"
        ) from None
