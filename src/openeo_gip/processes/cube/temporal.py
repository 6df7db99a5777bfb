"""Time-series processes: aggregate_temporal, climatological_normal, anomaly, resample_cube_temporal."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.common import (
    is_temporal,
    keep_metadata,
    require_cube,
    require_dimension,
    temporal_dims,
    to_timestamp,
)
from openeo_gip.processes.cube.filter import parse_interval
from openeo_gip.processes.cube.reduce import _temporal_dimension, finish_reduction
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process

_TIME_OF_DAY = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def reduce_groups(
    cube: xr.DataArray, dim: str, groups: list[np.ndarray], labels: list, reducer: Callback, context: Any
) -> xr.DataArray:
    """One reducer call per group of positions along ``dim``; empty groups give no-data. The result has
    ``dim`` labeled with ``labels``."""
    pieces: list[xr.DataArray | None] = []
    for positions in groups:
        if positions.size == 0:
            pieces.append(None)
            continue
        group = cube.isel({dim: positions})
        result = reducer(data=ArrayView(group, dim), context=context)
        pieces.append(finish_reduction(result, group, dim, "aggregate_temporal"))
    template = next((piece for piece in pieces if piece is not None), None)
    if template is None:  # no group holds a time stamp: all no-data
        template = cube.isel({dim: 0}, drop=True).astype(np.result_type(cube.dtype, np.float32))
    empty = xr.full_like(template, np.nan, dtype=np.result_type(template.dtype, np.float32))
    filled = [empty if piece is None else piece for piece in pieces]
    result = xr.concat(filled, dim=pd.Index(labels, name=dim), coords="minimal", compat="override")
    return keep_metadata(result.transpose(*[d for d in cube.dims if d in result.dims]), cube)


@process()
def aggregate_temporal(
    data: xr.DataArray,
    intervals: list,
    reducer: Callback,
    labels: list | None = (),
    dimension: str | None = None,
    context: Any = None,
) -> xr.DataArray:
    cube = require_cube(data, "aggregate_temporal")
    dim = _temporal_dimension(cube, dimension)
    if not isinstance(intervals, list) or not intervals:
        raise invalid("aggregate_temporal", "intervals", "at least one interval is expected")
    times = pd.DatetimeIndex(cube[dim].values)
    groups = [_positions_in(times, interval) for interval in intervals]
    labels = list(labels or [])
    if labels and len(labels) != len(intervals):
        raise invalid("aggregate_temporal", "labels", "there must be as many labels as intervals")
    if not labels:
        labels = [_default_label(interval) for interval in intervals]
    if len(set(map(str, labels))) != len(labels):
        raise process_error(
            "DistinctDimensionLabelsRequired", "The labels of the intervals must be distinct."
        )
    return reduce_groups(cube, dim, groups, _as_labels(labels), reducer, context)


def _positions_in(times: pd.DatetimeIndex, interval: Any) -> np.ndarray:
    if isinstance(interval, list) and len(interval) == 2 and all(_is_time_of_day(v) for v in interval):
        start, end = (pd.Timedelta(v.rstrip("Z")) for v in interval)
        of_day = times - times.normalize()
        # An interval whose end precedes its start wraps around midnight.
        inside = (of_day >= start) & (of_day < end) if start < end else (of_day >= start) | (of_day < end)
        return np.flatnonzero(inside)
    start, end = parse_interval(interval, "aggregate_temporal", "intervals")
    keep = np.ones(len(times), dtype=bool)
    if start is not None:
        keep &= times >= start
    if end is not None:
        keep &= times < end
    return np.flatnonzero(keep)


def _is_time_of_day(value: Any) -> bool:
    return isinstance(value, str) and bool(_TIME_OF_DAY.match(value))


def _default_label(interval: list) -> Any:
    """The start of the interval; an interval open at its start is named like ISO 8601 does (``../end``)."""
    return interval[0] if interval[0] is not None else f"../{interval[1]}"


def _as_labels(labels: list) -> np.ndarray | list:
    """Date labels become time stamps, so the dimension stays temporal; other labels stay as given."""
    try:
        if all(isinstance(v, str) and not _is_time_of_day(v) and not v.startswith("..") for v in labels):
            return np.array([np.datetime64(to_timestamp(v)) for v in labels])
    except (ValueError, TypeError):
        pass
    return [str(v) for v in labels]


# ---- climatology -------------------------------------------------------------------------------------

_SEASON_OF_MONTH = ["djf", "djf", "mam", "mam", "mam", "jja", "jja", "jja", "son", "son", "son", "djf"]
_TROPICAL_OF_MONTH = ["ndjfma"] * 4 + ["mjjaso"] * 6 + ["ndjfma"] * 2
_NORMAL_LABELS = {
    "day": [f"{d:03d}" for d in range(1, 366)],
    "month": [f"{m:02d}" for m in range(1, 13)],
    "season": ["djf", "mam", "jja", "son"],
    "tropical-season": ["ndjfma", "mjjaso"],
    "climatology-period": ["climatology-period"],
}


def _day_of_year(times: pd.DatetimeIndex) -> np.ndarray:
    """Day of the year 1..365: in leap years 29 February shares its day with 28 February."""
    day = times.dayofyear.to_numpy()
    return np.where(times.is_leap_year & (day > 59), day - 1, day)


def period_keys(period: str, times: pd.DatetimeIndex) -> list[str]:
    """The label of the recurring period (day of year, month, season...) of every time stamp."""
    months = times.month.to_numpy()
    if period == "hour":
        return [f"{h:02d}" for h in times.hour]
    if period == "day":
        return [f"{d:03d}" for d in _day_of_year(times)]
    if period == "week":
        return [f"{w:02d}" for w in times.isocalendar().week]
    if period == "dekad":
        return [
            f"{(m - 1) * 3 + min((d - 1) // 10, 2) + 1:02d}" for m, d in zip(months, times.day, strict=True)
        ]
    if period == "month":
        return [f"{m:02d}" for m in months]
    if period == "season":
        return [_SEASON_OF_MONTH[m - 1] for m in months]
    if period == "tropical-season":
        return [_TROPICAL_OF_MONTH[m - 1] for m in months]
    if period == "year":
        return [f"{y:04d}" for y in times.year]
    if period == "decade":
        return [f"{y // 10 * 10:04d}" for y in times.year]
    if period == "decade-ad":
        return [f"{(y - 1) // 10 * 10 + 1:04d}" for y in times.year]
    return ["climatology-period"] * len(times)


@process()
def climatological_normal(
    data: xr.DataArray, period: str, climatology_period: list | None = (1981, 2010)
) -> xr.DataArray:
    cube = require_cube(data, "climatological_normal")
    dim = _temporal_dimension(cube, None)
    if period not in _NORMAL_LABELS:
        raise invalid(
            "climatological_normal", "period", f"'{period}' is not one of {', '.join(_NORMAL_LABELS)}"
        )
    first, last = (int(year) for year in climatology_period)
    # Seasons starting in the previous year (December, or November for tropical seasons) belong to the
    # first season of the climatology period; the same months of the last year belong to the next one.
    shift = {"season": 1, "tropical-season": 2}.get(period, 0)
    start = pd.Timestamp(year=first, month=1, day=1) - pd.DateOffset(months=shift)
    end = pd.Timestamp(year=last + 1, month=1, day=1) - pd.DateOffset(months=shift)
    times = pd.DatetimeIndex(cube[dim].values)
    inside = np.flatnonzero((times >= start) & (times < end))
    selected = cube.isel({dim: inside})
    keys = xr.DataArray(period_keys(period, times[inside]), dims=(dim,), name="_period")
    normals = selected.groupby(keys).mean(dim, skipna=True)
    normals = normals.reindex(_period=_NORMAL_LABELS[period]).rename(_period=dim)
    order = [d for d in cube.dims]
    return keep_metadata(normals.transpose(*order), cube)


@process()
def anomaly(data: xr.DataArray, normals: xr.DataArray, period: str) -> xr.DataArray:
    cube = require_cube(data, "anomaly")
    normals = require_cube(normals, "anomaly", "normals")
    dim, normal_dim = _period_dimension(cube, "data"), _period_dimension(normals, "normals")
    labels = cube[dim].values
    if period in ("climatology-period", "single-period"):
        if normals.sizes[normal_dim] != 1:
            raise invalid("anomaly", "normals", f"a {period} normal has exactly one label")
        reference = normals.isel({normal_dim: 0}, drop=True)
        return keep_metadata(cube - reference, cube)
    if np.issubdtype(labels.dtype, np.datetime64):
        keys = period_keys(period, pd.DatetimeIndex(labels))
    else:
        keys = [_key_of_label(period, str(label)) for label in labels]
    normal_keys = [str(v) for v in normals[normal_dim].values]
    missing = sorted(set(keys) - set(normal_keys))
    if missing:
        raise invalid("anomaly", "normals", f"no normal for the period(s) {', '.join(missing[:5])}")
    positions = [normal_keys.index(key) for key in keys]
    matched = normals.isel({normal_dim: positions}).drop_vars(normal_dim, errors="ignore")
    if normal_dim != dim:
        matched = matched.rename({normal_dim: dim})
    matched = matched.assign_coords({dim: cube[dim].values})
    return keep_metadata((cube - matched).transpose(*cube.dims), cube)


def _key_of_label(period: str, label: str) -> str:
    """The recurring part of a label written by aggregate_temporal_period (``2020-07`` -> ``07``)."""
    if period in ("year", "decade", "decade-ad"):
        return label
    return label.rsplit("-", 1)[-1]


def _period_dimension(cube: xr.DataArray, parameter: str) -> str:
    candidates = temporal_dims(cube) or (["t"] if "t" in cube.dims else [])
    if len(candidates) != 1:
        raise invalid("anomaly", parameter, "exactly one temporal dimension is expected")
    return candidates[0]


# ---- resampling along time ---------------------------------------------------------------------------


@process()
def resample_cube_temporal(
    data: xr.DataArray, target: xr.DataArray, dimension: str | None = None, valid_within: float | None = None
) -> xr.DataArray:
    cube = require_cube(data, "resample_cube_temporal")
    target = require_cube(target, "resample_cube_temporal", "target")
    if dimension is not None:
        require_dimension(cube, dimension)
        require_dimension(target, dimension)
        if not (is_temporal(cube, dimension) and is_temporal(target, dimension)):
            raise process_error(
                "DimensionMismatch", f"Dimension '{dimension}' is not temporal in both cubes."
            )
        dims = [dimension]
    else:
        dims = [d for d in temporal_dims(cube) if d in temporal_dims(target)]
        if not dims:
            raise process_error("DimensionMismatch", "The cubes share no temporal dimension.")
    for dim in dims:
        cube = _nearest_in_time(cube, dim, target[dim].values, valid_within)
    return cube


def _nearest_in_time(cube: xr.DataArray, dim: str, wanted: np.ndarray, valid_within: float | None):
    source = cube[dim].values.astype("datetime64[ns]").astype(np.int64)
    targets = np.asarray(wanted).astype("datetime64[ns]").astype(np.int64)
    # Candidates by distance; a stable sort on the source order settles ties for the earlier stamp.
    distance = np.abs(source[None, :] - targets[:, None])
    order = np.argsort(distance, axis=1, kind="stable")
    if valid_within is None:
        result = cube.isel({dim: order[:, 0]})
    else:
        limit = float(valid_within) * 86_400 * 1e9
        slots = []
        for row, candidates in enumerate(order):
            near = [int(i) for i in candidates if distance[row, i] <= limit]
            if not near:
                slots.append(
                    xr.full_like(cube.isel({dim: 0}), np.nan, dtype=np.result_type(cube.dtype, np.float32))
                )
                continue
            value = cube.isel({dim: near[0]})
            for i in near[1:]:  # the nearest valid value: fill the gaps with ever farther candidates
                value = value.fillna(cube.isel({dim: i}))
            slots.append(value)
        slots = [slot.drop_vars(dim, errors="ignore") for slot in slots]
        result = xr.concat(slots, dim=dim, coords="minimal", compat="override")
    result = result.assign_coords({dim: np.asarray(wanted)})
    return keep_metadata(result.transpose(*cube.dims), cube)
