"""run_udf: the user's Python code applied to a cube (or to a callback's values) in sandboxed processes."""

from __future__ import annotations

import json
from typing import Any

import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ArrayView, ProcessContext
from openeo_gip.processes.cube.common import keep_metadata
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.udf.blocks import SPATIAL, UdfCall, apply_udf
from openeo_gip.udf.runtimes import RUNTIME, accepted_versions
from openeo_gip.udf.sandbox import UdfLimits
from openeo_gip.workspace import files_folder
from openeo_gip.workspace.paths import resolve_in

MAX_CODE_BYTES = 1024**2


@process()
def run_udf(
    data: Any, udf: str, runtime: str, version: str | None = None, context: Any = None, *, ctx: ProcessContext
) -> Any:
    if not isinstance(runtime, str) or runtime.lower() != RUNTIME.lower():
        raise process_error(
            "InvalidRuntime", f"There is no UDF runtime '{runtime}'; this back-end offers Python."
        )
    if version is not None and str(version) not in accepted_versions():
        raise process_error(
            "InvalidVersion", f"Python {version} is not available for UDFs; see GET /udf_runtimes."
        )
    source = _source(udf, ctx)
    context = {} if context is None else context
    try:
        json.dumps(context)
    except (TypeError, ValueError):
        raise invalid("run_udf", "context", "only JSON values (no cubes) can be handed to a UDF") from None
    cube = data.data if isinstance(data, ArrayView) else data
    if not isinstance(cube, xr.DataArray):
        raise invalid("run_udf", "data", "a data cube (or a callback's array of a cube) is expected")
    settings = ctx.services.config.udf
    result = apply_udf(cube, UdfCall(source, context, UdfLimits.from_config(settings)), settings.piece_pixels)
    return keep_metadata(result.transpose(*_order(cube, result)), cube)


def _source(udf: Any, ctx: ProcessContext) -> str:
    """The code itself, or the code in a file of the user's workspace; URLs are not fetched."""
    if not isinstance(udf, str) or not udf.strip():
        raise invalid("run_udf", "udf", "Python code (or a file in your workspace) is expected")
    if len(udf.encode()) > MAX_CODE_BYTES:
        raise invalid("run_udf", "udf", "the code is larger than 1 MB")
    if "\n" in udf or "\r" in udf:
        return udf
    if udf.startswith(("http://", "https://")):
        raise invalid("run_udf", "udf", "UDFs are not loaded from URLs here; send the code itself")
    if ctx.user is None:
        raise invalid("run_udf", "udf", "a file path needs a logged-in user")
    path = resolve_in(files_folder(ctx.services.config, ctx.user.id), udf)
    if not path.is_file():
        raise ApiError("FileNotFound", file=udf)
    if path.stat().st_size > MAX_CODE_BYTES:
        raise invalid("run_udf", "udf", "the code is larger than 1 MB")
    return path.read_text(encoding="utf-8", errors="replace")


def _order(cube: xr.DataArray, result: xr.DataArray) -> list[str]:
    """Dimensions of the cube in their order, new ones of the UDF before x and y."""
    kept = [d for d in cube.dims if d in result.dims and d not in SPATIAL]
    new = [d for d in result.dims if d not in cube.dims]
    return [*kept, *new, *[d for d in cube.dims if d in SPATIAL and d in result.dims]]
