"""Publication dates: every way a source writes one becomes ISO 8601, and nothing else does."""

from __future__ import annotations

from datetime import date

import pytest

from index.dates import normalise_published
from rag.language.dates import day_bounds, published_timestamp

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2005-03-14", "2005-03-14"),
        ("20050314", "2005-03-14"),
        ("14/03/2005", "2005-03-14"),
        ("March 14, 2005", "2005-03-14"),
        ("Mon, 14 Mar 2005 09:30:00 GMT", "2005-03-14T09:30:00+00:00"),  # RSS
        ("2005-03-14T09:30:00+01:00", "2005-03-14T08:30:00+00:00"),  # Atom, JSON-LD
        ("2005-03-14T00:30:00-02:00", "2005-03-14T02:30:00+00:00"),
        ("2024-01-05T10:00:00", "2024-01-05T10:00:00"),  # no zone: kept as written
    ],
)
def test_dates_in_every_format_become_iso(raw: str, iso: str) -> None:
    assert normalise_published(raw) == iso


@pytest.mark.parametrize(
    "raw",
    [None, "", "  ", "not a date", "Tuesday", "2005", "March 2005", "1.2.3", "v2", "1850-01-01"],
)
def test_what_is_no_whole_date_gives_none_never_an_invented_one(raw: str | None) -> None:
    assert normalise_published(raw) is None


def test_timestamps_order_dates_and_a_day_spans_its_whole_utc_day() -> None:
    day = published_timestamp("2005-03-14")
    later = published_timestamp("2005-03-14T09:30:00+00:00")
    assert day is not None and later is not None and later - day == 9.5 * 3600
    start, end = day_bounds(date(2005, 3, 14))
    assert start == day and start < later < end < published_timestamp("2005-03-15")  # type: ignore[operator]
    assert published_timestamp(None) is None and published_timestamp("garbage") is None
