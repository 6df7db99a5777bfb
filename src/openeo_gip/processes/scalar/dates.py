"""Date and time processes: date_shift, date_between, date_difference.

Single values are openEO strings (``YYYY-MM-DD``, RFC 3339 date-times, ``HH:MM:SS`` for date_between);
null in gives null out. Inside callbacks they may also be arrays: the labels of a temporal dimension
(``datetime64``, naive UTC as the cube stores them) or arrays of date strings. Such arrays hold a few labels,
never pixels, so they are handled value by value and keep their kind (``datetime64`` stays ``datetime64``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.model.values import ArrayView
from openeo_gip.processes.arraylike import is_array_value
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}")
_LEAP_SECOND = re.compile(r"(T\d{2}:\d{2}:)60")
# Fixed-length units in seconds; month and year follow the calendar.
_SECONDS = {
    "millisecond": 0.001,
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
}
UNITS = (*_SECONDS, "month", "year")


@dataclass(frozen=True)
class _Instant:
    """A parsed value: an aware datetime and how it was written (``date``, ``date-time`` or ``time``)."""

    when: datetime
    kind: str
    zulu: bool = True  # written with "Z" (or as a cube label), so "Z" is written back


def _parse(value: Any, process_id: str, parameter: str, times: bool = False) -> _Instant:
    if isinstance(value, np.datetime64 | pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            raise invalid(process_id, parameter, "not a date")
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        return _Instant(stamp.to_pydatetime(), "date-time")
    if not isinstance(value, str):
        raise invalid(process_id, parameter, f"expected a date as text, got {type(value).__name__}")
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            return _Instant(datetime.fromisoformat(text).replace(tzinfo=UTC), "date")
        if _TIME.fullmatch(text):
            if not times:
                raise ValueError("a time without date")
            clock = time.fromisoformat(text)
            return _Instant(datetime.combine(datetime(1970, 1, 1), clock, UTC), "time")
        text = text.replace("t", "T").replace("z", "Z")
        leap = _LEAP_SECOND.search(text) is not None  # 23:59:60 is read as the second after 23:59:59
        when = datetime.fromisoformat(_LEAP_SECOND.sub(r"\g<1>59", text))
    except ValueError:
        raise invalid(process_id, parameter, f"'{value}' is not a valid date or date-time") from None
    if when.tzinfo is None:  # RFC 3339 requires a zone; without one the time is taken as UTC
        when = when.replace(tzinfo=UTC)
    if leap:
        when += timedelta(seconds=1)
    return _Instant(when, "date-time", zulu=text.endswith("Z"))


def _format(instant: _Instant) -> str:
    when = instant.when
    if instant.kind == "date":
        return when.astimezone(UTC).date().isoformat()
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond % 1000:
        text += f".{when.microsecond:06d}"
    elif when.microsecond:
        text += f".{when.microsecond // 1000:03d}"
    offset = when.utcoffset() or timedelta(0)
    if instant.zulu and not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _add_months(when: datetime, months: int) -> datetime:
    """``when`` moved by whole months; a day the target month lacks becomes its last day."""
    index = when.year * 12 + (when.month - 1) + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def _check_unit(unit: Any, process_id: str) -> None:
    if unit not in UNITS:
        raise invalid(process_id, "unit", f"use one of {', '.join(UNITS)}")


def _each(func, *values: Any) -> Any:
    """``func`` on single values, or value by value when one argument is an array (result of same shape)."""
    arrays = [v for v in values if is_array_value(v)]
    if not arrays:
        return func(*values)
    template = arrays[0]
    plain = [_cells(v) if is_array_value(v) else v for v in values]
    shape = np.broadcast_shapes(*(p.shape for p in plain if isinstance(p, np.ndarray)))
    cells = [np.broadcast_to(p, shape) if isinstance(p, np.ndarray) else p for p in plain]
    out = np.empty(shape, dtype=object)
    for position in np.ndindex(shape):
        out[position] = func(*(c[position] if isinstance(c, np.ndarray) else c for c in cells))
    return _rewrap(template, out)


def _cells(value: Any) -> np.ndarray:
    """An array's values as objects, NaN and NaT as None (null)."""
    data = value.data if isinstance(value, ArrayView) else value
    raw = np.asarray(data.values if isinstance(data, xr.DataArray) else data)
    out = np.empty(raw.shape, dtype=object)
    for position in np.ndindex(raw.shape):
        item = raw[position]
        out[position] = None if _is_null(item) else item
    return out


def _is_null(item: Any) -> bool:
    if item is None:
        return True
    if isinstance(item, float | np.floating | np.datetime64):
        return bool(pd.isna(item))
    return False


def _rewrap(template: Any, out: np.ndarray) -> Any:
    values = _typed(out)
    if isinstance(template, ArrayView):
        return ArrayView(template.data.copy(data=values), template.dim)
    if isinstance(template, xr.DataArray):
        return template.copy(data=values)
    return values


def _typed(out: np.ndarray) -> np.ndarray:
    """Numbers as floats (null as NaN), booleans as bools (or floats with NaN), datetimes as datetime64."""
    present = [v for v in out.flat if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        if len(present) == out.size:
            return out.astype(bool)
        return np.array([np.nan if v is None else float(v) for v in out.flat]).reshape(out.shape)
    if present and all(isinstance(v, int | float) for v in present):
        return np.array([np.nan if v is None else v for v in out.flat], dtype=float).reshape(out.shape)
    if present and all(isinstance(v, datetime) for v in present):
        naive = [None if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in out.flat]
        return np.array(naive, dtype="datetime64[ns]").reshape(out.shape)
    return out


@process()
def date_shift(date: Any, value: int, unit: str) -> Any:
    _check_unit(unit, "date_shift")
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise invalid("date_shift", "value", "an integer is required")

    def shift(item: Any) -> Any:
        if item is None:
            return None
        instant = _parse(item, "date_shift", "date")
        try:
            if unit == "month" or unit == "year":
                moved = _add_months(instant.when, int(value) * (12 if unit == "year" else 1))
            else:
                moved = instant.when + timedelta(seconds=_SECONDS[unit] * int(value))
        except (OverflowError, ValueError):  # beyond what dates can be written with four-digit years
            raise invalid(
                "date_shift", "value", f"{value} {unit}s lead outside the years 1 to 9999"
            ) from None
        if not isinstance(item, str):  # a cube label stays a datetime
            return moved
        return _format(_Instant(moved, instant.kind, instant.zulu))

    return _each(shift, date)


@process()
def date_between(x: Any, min: Any, max: Any, exclude_max: bool = False) -> Any:
    def between(item: Any, low: Any, high: Any) -> bool | None:
        if item is None or low is None or high is None:
            return None
        value = _parse(item, "date_between", "x", times=True)
        start = _parse(low, "date_between", "min", times=True)
        end = _parse(high, "date_between", "max", times=True)
        if "time" in (value.kind, start.kind, end.kind):
            if start.kind != "time" or end.kind != "time":
                return False  # a time of day does not lie between dates, nor a date between a date and a time
            # bounds as times of day: a date-time is compared by its time of day (UTC)
            point, first, last = (_time_of_day(i.when) for i in (value, start, end))
        else:
            point, first, last = value.when, start.when, end.when
        if first > last:
            return False
        return first <= point and (point < last if exclude_max else point <= last)

    return _each(between, x, min, max)


def _time_of_day(when: datetime) -> timedelta:
    utc = when.astimezone(UTC)
    return timedelta(hours=utc.hour, minutes=utc.minute, seconds=utc.second, microseconds=utc.microsecond)


@process()
def date_difference(date1: Any, date2: Any, unit: str = "second") -> Any:
    _check_unit(unit, "date_difference")

    def difference(first: Any, second: Any) -> float | int | None:
        if first is None or second is None:
            return None
        start = _parse(first, "date_difference", "date1").when
        end = _parse(second, "date_difference", "date2").when
        if unit in _SECONDS:
            amount = (end - start) / timedelta(seconds=1) / _SECONDS[unit]
        else:
            amount = _calendar_steps(start, end, 12 if unit == "year" else 1)
        return int(amount) if float(amount).is_integer() else amount

    return _each(difference, date1, date2)


def _calendar_steps(start: datetime, end: datetime, months: int) -> float:
    """How many steps of ``months`` months lead from ``start`` to ``end``: whole steps plus the elapsed
    share of the step in which ``end`` falls (months differ in length, so no fixed divisor is right)."""
    if end < start:
        return -_calendar_steps(end, start, months)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    whole = ((end.year - start.year) * 12 + end.month - start.month) // months
    while whole > 0 and _add_months(start, whole * months) > end:
        whole -= 1
    low = _add_months(start, whole * months)
    try:
        step = _add_months(start, (whole + 1) * months) - low
    except ValueError:  # the step would end after the year 9999: taken as long as the step before
        step = low - _add_months(start, (whole - 1) * months)
    return whole + (end - low) / step
