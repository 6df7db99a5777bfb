"""load_uploaded_files: files the user uploaded (``/files``) as one data cube, or a vector cube for GeoJSON.

Paths are relative to the user's own files folder and confined to it (``resolve_in``), so another user's
files, or anything outside, cannot be named. Rasters are described as the catalogue describes a folder of
files and read lazily by the same reader: several GeoTIFFs become one cube with a ``t`` dimension, each file
dated by a date in its name (e.g. ``scene_2024-05-01.tif``) or its time tag, files of one date holding
different bands are combined; files without any date give a cube without ``t`` (several are mosaicked), and
dated and undated files together are refused rather than some left out.
netCDF files keep their variables as bands and their time coordinate as ``t``. GeoJSON files become one
vector cube holding the features of all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from openeo_gip.catalog.scan import ScanError, raster_record
from openeo_gip.catalog.sidecar import Sidecar
from openeo_gip.errors import ApiError
from openeo_gip.formats import find_input_format, unsuitable
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.load.collection import cube_from_record
from openeo_gip.processes.registry import process
from openeo_gip.processes.vector.common import features_of_geojson
from openeo_gip.processes.vector.operations import load_geojson
from openeo_gip.raster.headers import has_signature
from openeo_gip.workspace import files_folder
from openeo_gip.workspace.paths import resolve_in

PROCESS = "load_uploaded_files"


@process()
def load_uploaded_files(
    paths: list, format: str, options: dict | None = None, *, ctx: ProcessContext
) -> xr.DataArray:
    name = find_input_format(format, options, PROCESS)
    if not isinstance(paths, list) or not paths:
        raise invalid(PROCESS, "paths", "give at least one file path")
    files = _resolved(paths, ctx)
    if name == "GeoJSON":
        return _vector_cube(files, paths)
    for file, path in zip(files, paths, strict=True):
        _check_signature(file, path, name)
    try:
        record = raster_record("uploaded", "file", files[0].parent, files, Sidecar())
    except (ScanError, ValueError, OSError) as exc:
        raise unsuitable(", ".join(paths), name, str(exc)) from None
    if record.problems:  # a file left out would silently change the result: refuse instead
        raise unsuitable(", ".join(paths), name, record.problems[0])
    return cube_from_record(
        record, None, None, None, None, process_id=PROCESS, what=", ".join(paths), ctx=ctx
    )


def _resolved(paths: list, ctx: ProcessContext) -> list[Path]:
    """Each path as a file of the user's files folder; a missing one is ``FileNotFound``."""
    if ctx.user is None:  # only signed-in users have a workspace
        raise ApiError("FileNotFound", file=str(paths[0]))
    root = files_folder(ctx.services.config, ctx.user.id)
    files = []
    for path in paths:
        if not isinstance(path, str):
            raise invalid(PROCESS, "paths", "every path must be a string")
        file = resolve_in(root, path)
        if not file.is_file():
            raise ApiError("FileNotFound", file=path)
        files.append(file)
    return files


def _check_signature(file: Path, path: str, name: str) -> None:
    if not has_signature(file, name):
        raise unsuitable(path, name, "the file is not in this format")
    if name == "netCDF" and file.suffix.lower() not in (".nc", ".nc4"):
        # The reader picks the netCDF way of reading (variables, time coordinate) by the name.
        raise unsuitable(path, name, "netCDF files need the extension .nc or .nc4")


def _vector_cube(files: list[Path], paths: list[str]) -> xr.DataArray:
    features: list[dict] = []
    for file, path in zip(files, paths, strict=True):
        try:
            document = json.loads(file.read_bytes())
        except (ValueError, UnicodeDecodeError):
            raise unsuitable(path, "GeoJSON", "not JSON") from None
        features_of_geojson(document, PROCESS, "paths")  # refuses what is not GeoJSON
        if document.get("type") == "FeatureCollection":
            features += document["features"]
        elif document.get("type") == "Feature":
            features.append(document)
        else:  # a bare geometry
            features.append({"type": "Feature", "geometry": document, "properties": {}})
    return load_geojson({"type": "FeatureCollection", "features": features})
