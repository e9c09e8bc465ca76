"""The sources layer's records: the time format every listed MACB time goes through."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.sources.model import iso_time

LIMIT = 1 << 40  # some 35,000 years either side of 1970


def _reference(seconds: int, nanoseconds: int) -> str | None:
    """The plain way: gmtime of the whole value, formatted field by field."""
    if not seconds and not nanoseconds:
        return None
    try:
        t = time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        return None
    text = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{text}.{nanoseconds:09d}Z" if nanoseconds else f"{text}Z"


@settings(max_examples=400, deadline=None)
@given(
    st.integers(-LIMIT, LIMIT) | st.integers(0, 1 << 31),
    st.just(0) | st.integers(0, 999_999_999),
)
def test_iso_time_equals_gmtime_formatting(seconds: int, nanoseconds: int) -> None:
    assert iso_time(seconds, nanoseconds) == _reference(seconds, nanoseconds)


def test_iso_time_examples() -> None:
    assert iso_time(0) is None and iso_time(None) is None and iso_time(0, 0) is None
    assert iso_time(1717250531) == "2024-06-01T14:02:11Z"
    assert iso_time(1717250531, 123456789) == "2024-06-01T14:02:11.123456789Z"
    assert iso_time(1717250531, 5) == "2024-06-01T14:02:11.000000005Z"
    assert iso_time(0, 1) == "1970-01-01T00:00:00.000000001Z"
    assert iso_time(-1) == "1969-12-31T23:59:59Z"
    assert iso_time(86399) == "1970-01-01T23:59:59Z" and iso_time(86400) == "1970-01-02T00:00:00Z"
    assert iso_time(951868800) == "2000-03-01T00:00:00Z" and iso_time(951868799) == "2000-02-29T23:59:59Z"
    assert iso_time(1 << 62) is None  # a damaged time field: no date, not an exception
