"""save_result: ask for a value to be written in a format; the results pipeline (``results/``) writes it
once the whole graph is evaluated. The options are checked here, against what ``/file_formats`` lists."""

from __future__ import annotations

from typing import Any

import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.formats import check_options, find_output_format
from openeo_gip.model.values import ProcessContext, SaveRequest
from openeo_gip.processes.registry import process


@process()
def save_result(data: Any, format: str, options: dict | None = None, *, ctx: ProcessContext) -> bool:
    record = find_output_format(format)
    name = record.name
    options = dict(options or {})
    check_options(record, options, "save_result")
    if "vector" not in record.gis_data_types and not isinstance(data, xr.DataArray):
        raise ApiError("FormatUnsuitable", f"{name} can only store raster data cubes.", status=400)
    if isinstance(data, xr.DataArray) and any(size == 0 for size in data.shape) and name != "JSON":
        raise ApiError("DataCubeEmpty", f"The data cube is empty; {name} cannot store it.", status=400)
    ctx.saved.append(SaveRequest(data=data, format=name, options=options))
    return True
