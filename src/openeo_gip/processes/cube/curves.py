"""Curve fitting along a dimension: fit_curve (inside apply_dimension) and predict_curve.

The model function (a child process graph) is never called per pixel: it is evaluated on whole arrays,
``x`` holding all labels and ``parameters`` an array view whose elements are per-pixel parameter arrays.
fit_curve runs a fixed number of damped Gauss-Newton (Levenberg-Marquardt) steps for all pixels at once,
with the Jacobian from finite differences; everything stays lazy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from openeo_gip.model.limits import MAX_CURVE_PARAMETERS
from openeo_gip.model.values import ArrayView, Callback
from openeo_gip.processes.cube.common import is_temporal, keep_metadata, require_cube, to_timestamp
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process

PARAMETERS = "_parameters"
_ITERATIONS = 12


def numeric_labels(values: np.ndarray) -> np.ndarray:
    """Labels as the independent variable: time stamps in seconds since 1970, others as numbers."""
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]").astype(np.int64) / 1e9
    try:
        return values.astype(float)
    except (TypeError, ValueError):
        return np.array([pd.Timestamp(to_timestamp(v)).value / 1e9 for v in values])


def _model(function: Callback, x: xr.DataArray, params: xr.DataArray) -> xr.DataArray:
    result = function(x=x, parameters=ArrayView(params, PARAMETERS))
    result = result.data if isinstance(result, ArrayView) else result
    if not isinstance(result, xr.DataArray):
        result = xr.DataArray(np.asarray(result, dtype=float))
    return result


def _solve(matrix: xr.DataArray, vector: xr.DataArray) -> xr.DataArray:
    """Per pixel, the solution of ``matrix @ step = vector`` (NaN where the system is singular)."""

    def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.full(b.shape, np.nan)
        ok = np.isfinite(a).all(axis=(-1, -2)) & np.isfinite(b).all(axis=-1)
        ok &= np.abs(np.linalg.det(np.where(ok[..., None, None], a, np.eye(a.shape[-1])))) > 1e-300
        if ok.any():
            out[ok] = np.linalg.solve(a[ok], b[ok][..., None])[..., 0]
        return out

    if matrix.chunks is not None:
        matrix = matrix.chunk({PARAMETERS: -1, "_q": -1})
    if vector.chunks is not None:
        vector = vector.chunk({PARAMETERS: -1})
    return xr.apply_ufunc(
        solve,
        matrix,
        vector,
        input_core_dims=[[PARAMETERS, "_q"], [PARAMETERS]],
        output_core_dims=[[PARAMETERS]],
        dask="parallelized",
        output_dtypes=[float],
    )


@process()
def fit_curve(data: Any, parameters: list, function: Callback, ignore_nodata: bool = True) -> ArrayView:
    if not isinstance(data, ArrayView):
        raise invalid("fit_curve", "data", "a labeled array (e.g. from apply_dimension) is expected")
    if not isinstance(parameters, list) or not parameters:
        raise invalid("fit_curve", "parameters", "an array of at least one initial value is expected")
    if len(parameters) > MAX_CURVE_PARAMETERS:
        raise invalid("fit_curve", "parameters", f"at most {MAX_CURVE_PARAMETERS} parameters")
    dim, y = data.dim, data.data.astype(float)
    try:
        x = xr.DataArray(
            numeric_labels(y[dim].values if dim in y.coords else np.arange(y.sizes[dim])), dims=(dim,)
        )
    except (TypeError, ValueError):  # band names, say
        raise invalid("fit_curve", "data", f"the labels of {dim} must be numbers or dates") from None
    valid = y.notnull() if ignore_nodata else xr.ones_like(y, dtype=bool)
    y0 = y.fillna(0) if ignore_nodata else y
    shape = y.isel({dim: 0}, drop=True)
    initial = xr.DataArray(np.asarray(parameters, dtype=float), dims=(PARAMETERS,))
    params = (xr.zeros_like(shape, dtype=float) + initial).transpose(..., PARAMETERS)
    damping = xr.full_like(shape, 1e-3, dtype=float)

    def cost(p: xr.DataArray) -> xr.DataArray:
        return ((y0 - _model(function, x, p)).where(valid, 0) ** 2).sum(dim)

    current = cost(params)
    for _ in range(_ITERATIONS):
        residual = (y0 - _model(function, x, params)).where(valid, 0)
        columns = []
        for k in range(len(parameters)):
            step = 1e-6 * np.maximum(abs(params.isel({PARAMETERS: k})), 1.0)
            moved = params + xr.DataArray(np.eye(len(parameters))[k], dims=(PARAMETERS,)) * step
            columns.append(
                ((_model(function, x, moved) - _model(function, x, params)) / step).where(valid, 0)
            )
        jacobian = xr.concat(columns, dim=PARAMETERS)
        normal = (jacobian * jacobian.rename({PARAMETERS: "_q"})).sum(dim)
        diagonal = xr.DataArray(np.eye(len(parameters)), dims=(PARAMETERS, "_q"))
        normal = normal + damping * normal * diagonal
        gradient = (jacobian * residual).sum(dim)
        candidate = params + _solve(normal, gradient).fillna(0)
        candidate_cost = cost(candidate)
        better = candidate_cost < current
        params = xr.where(better, candidate, params).transpose(*params.dims)
        current = xr.where(better, candidate_cost, current)
        damping = xr.where(better, damping / 3, damping * 4)
    return ArrayView(params, PARAMETERS)


def _parameter_dimension(cube: xr.DataArray, dimension: str) -> str:
    candidates = [
        str(d) for d in cube.dims if d not in ("x", "y", "bands", dimension) and not is_temporal(cube, str(d))
    ]
    preferred = [d for d in candidates if d in ("parameters", "params", "coefficients")]
    if len(preferred) == 1 or len(candidates) == 1:
        return (preferred or candidates)[0]
    raise invalid(
        "predict_curve", "parameters", "the cube must have exactly one dimension holding parameters"
    )


@process()
def predict_curve(parameters: xr.DataArray, function: Callback, dimension: str, labels: list | None = None):
    cube = require_cube(parameters, "predict_curve", "parameters")
    if not labels:
        raise invalid("predict_curve", "labels", "give the labels to predict values for")
    source = _parameter_dimension(cube, dimension)
    params = cube.rename({source: PARAMETERS}).drop_vars(PARAMETERS, errors="ignore").astype(float)
    temporal = any(isinstance(v, str) for v in labels)
    values = np.array([np.datetime64(to_timestamp(v)) for v in labels]) if temporal else np.asarray(labels)
    x = xr.DataArray(numeric_labels(values), dims=(dimension,))
    result = _model(function, x, params.transpose(..., PARAMETERS)).assign_coords({dimension: values})
    order = [dimension if d == source else d for d in cube.dims]
    return keep_metadata(result.transpose(*order), cube)
