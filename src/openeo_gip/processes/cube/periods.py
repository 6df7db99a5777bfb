"""Calendar periods of aggregate_temporal_period: each time stamp gets an ordinal number per period, so
groups are runs of equal ordinals and the complete label list is the range between the extremes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

_EPOCH = pd.Timestamp("1970-01-01")
_EPOCH_MONDAY = pd.Timestamp("1969-12-29")  # the Monday of ISO week 1970-W01
_SEASONS = ("djf", "mam", "jja", "son")
_TROPICAL = ("ndjfma", "mjjaso")


def _hour_label(n: int) -> str:
    return (_EPOCH + pd.Timedelta(hours=n)).strftime("%Y-%m-%d-%H")


def _day_label(n: int) -> str:
    day = _EPOCH + pd.Timedelta(days=n)
    return f"{day.year:04d}-{day.dayofyear:03d}"


def _week_label(n: int) -> str:
    year, week, _ = (_EPOCH_MONDAY + pd.Timedelta(weeks=n)).isocalendar()
    return f"{year:04d}-{week:02d}"


def _season_label(n: int) -> str:
    # Ordinals count seasons from a December; the December-February season carries December's year.
    year, index = divmod(n, 4)
    return f"{year - 1 if index == 0 else year:04d}-{_SEASONS[index]}"


def _tropical_label(n: int) -> str:
    year, index = divmod(n, 2)
    return f"{year - 1 if index == 0 else year:04d}-{_TROPICAL[index]}"


def _ordinals(period: str, times: pd.DatetimeIndex) -> np.ndarray:
    year, month0, day = times.year.to_numpy(), times.month.to_numpy() - 1, times.day.to_numpy()
    if period == "hour":
        return ((times - _EPOCH) // pd.Timedelta(hours=1)).to_numpy()
    if period == "day":
        return ((times.normalize() - _EPOCH) // pd.Timedelta(days=1)).to_numpy()
    if period == "week":
        return ((times.normalize() - _EPOCH_MONDAY) // pd.Timedelta(weeks=1)).to_numpy()
    if period == "dekad":
        return year * 36 + month0 * 3 + np.minimum((day - 1) // 10, 2)
    if period == "month":
        return year * 12 + month0
    if period == "season":
        return (year * 12 + month0 + 1) // 3
    if period == "tropical-season":
        return (year * 12 + month0 + 2) // 6
    if period == "year":
        return year
    if period == "decade":
        return year // 10
    if period == "decade-ad":
        return (year - 1) // 10
    raise ValueError(period)


_LABELS: dict[str, Callable[[int], str]] = {
    "hour": _hour_label,
    "day": _day_label,
    "week": _week_label,
    "dekad": lambda n: f"{n // 36:04d}-{n % 36 + 1:02d}",
    "month": lambda n: f"{n // 12:04d}-{n % 12 + 1:02d}",
    "season": _season_label,
    "tropical-season": _tropical_label,
    "year": lambda n: f"{n:04d}",
    "decade": lambda n: f"{n * 10:04d}",
    "decade-ad": lambda n: f"{n * 10 + 1:04d}",
}

PERIODS = tuple(_LABELS)


def period_groups(period: str, times) -> list[tuple[str, np.ndarray]]:
    """Every period from the first to the last time stamp, as ``(label, positions in times)``;
    periods without time stamps have no positions."""
    index = pd.DatetimeIndex(times)
    ordinals = np.asarray(_ordinals(period, index), dtype=np.int64)
    if ordinals.size == 0:
        return []
    label = _LABELS[period]
    return [
        (label(int(n)), np.flatnonzero(ordinals == n))
        for n in range(int(ordinals.min()), int(ordinals.max()) + 1)
    ]
