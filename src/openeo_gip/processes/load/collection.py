"""load_collection, and how the other load processes turn a collection record into a cube."""

from __future__ import annotations

from typing import Any

import xarray as xr

from openeo_gip.model.values import Callback, ProcessContext
from openeo_gip.processes.cube.filter import parse_interval
from openeo_gip.processes.cube.geometry import (
    WGS84,
    bbox_in_crs,
    cube_crs,
    geojson_polygons,
    mask_outside,
    select_bbox,
    to_crs,
)
from openeo_gip.processes.cube.pushdown import remember_source
from openeo_gip.processes.errors import invalid, process_error
from openeo_gip.processes.registry import process
from openeo_gip.raster.grid import wgs84_bbox
from openeo_gip.raster.reader import build_cube, select_source


@process()
def load_collection(
    id: str,
    spatial_extent: dict | None,
    temporal_extent: list | None,
    bands: list | None = None,
    properties: dict | None = None,
    *,
    ctx: ProcessContext,
) -> xr.DataArray:
    record = ctx.services.catalog.get(id, user=ctx.user)
    return cube_from_record(
        record,
        spatial_extent,
        temporal_extent,
        bands,
        properties,
        process_id="load_collection",
        what=f"Collection '{id}'",
        ctx=ctx,
    )


def cube_from_record(
    record: Any,
    spatial_extent: Any,
    temporal_extent: list | None,
    bands: list | None,
    properties: dict | None,
    *,
    process_id: str,
    what: str,
    ctx: ProcessContext,
) -> xr.DataArray:
    """The lazy cube of a ``CollectionRecord`` cut to the arguments of a load process (``load_collection``,
    ``load_stac``, ``load_result``, ...); ``NoDataAvailable`` (naming ``what``) when nothing is left. Filters
    that follow narrow the read itself (``cube/pushdown.py``, through ``ctx``)."""
    bbox, polygons = _spatial_filter(spatial_extent, process_id)
    if temporal_extent is not None:
        parse_interval(temporal_extent, process_id, "temporal_extent")  # validates only
    if bands is not None and not bands:
        raise invalid(process_id, "bands", "give at least one band, or null for all")
    source = select_source(
        record,
        spatial_extent=bbox,
        temporal_extent=list(temporal_extent) if temporal_extent else None,
        bands=bands,
        properties=_property_tests(properties),
        chunks=_chunk_pixels(ctx),
        process=process_id,
    )
    cube = _with_band_metadata(build_cube(source), record)
    remember_source(ctx, cube, source)
    if bbox is not None:  # the reader may hand back whole blocks; keep exactly the pixel centres inside
        cube = select_bbox(cube, bbox_in_crs(bbox, cube_crs(cube), process_id, "spatial_extent"), ctx)
    if polygons is not None:
        cube = mask_outside(cube, to_crs(polygons, cube_crs(cube)))
    if any(size == 0 for size in cube.shape):
        raise process_error(
            "NoDataAvailable", f"{what} has no data in the requested extent. {_coverage(record)}"
        )
    return cube


def _chunk_pixels(ctx: ProcessContext) -> int | None:
    config = getattr(ctx.services, "config", None)  # no services where a test runs a graph itself
    return config.dask.chunk_pixels if config is not None else None


def _coverage(record: Any) -> str:
    """What the collection does cover, so a swapped longitude/latitude or a wrong year shows."""
    west, south, east, north = wgs84_bbox(record.grid)
    text = f"It covers west {west:.5g}, south {south:.5g}, east {east:.5g}, north {north:.5g} (WGS 84)"
    times = sorted(item.datetime for item in record.items if item.datetime)
    return text + (f" from {times[0]} to {times[-1]}." if times else ".")


def _property_tests(properties: dict | None) -> dict | None:
    """The reader calls ``test(value)``; an openEO condition is a callback with the parameter ``value``."""
    if not properties:
        return None
    tests = {}
    for name, condition in properties.items():
        if isinstance(condition, Callback):
            tests[name] = lambda value, condition=condition: condition(value=value) is True
        else:
            tests[name] = condition
    return tests


def _with_band_metadata(cube: xr.DataArray, record: Any) -> xr.DataArray:
    """Common names and wavelengths as coordinates along ``bands``, for ndvi and filter_bands."""
    if "bands" not in cube.dims:
        return cube
    info = {band.name: band for band in getattr(record, "bands", [])}
    names = [str(v) for v in cube["bands"].values]
    common = [getattr(info.get(name), "common_name", None) or "" for name in names]
    wavelengths = [getattr(info.get(name), "center_wavelength", None) for name in names]
    coords = {"common_name": ("bands", common)}
    if all(w is not None for w in wavelengths):
        coords["center_wavelength"] = ("bands", [float(w) for w in wavelengths])
    return cube.assign_coords(coords)  # one call: each aligns the whole cube, as costly as building it


def _spatial_filter(extent: Any, process_id: str = "load_collection") -> tuple[dict | None, Any]:
    """The bounding box handed to the reader, and the polygons to mask with afterwards (if GeoJSON)."""
    if extent is None:
        return None, None
    polygons = None
    if isinstance(extent, dict) and {"west", "south", "east", "north"} <= extent.keys():
        bbox = {**extent, "crs": extent.get("crs") or 4326}
    else:
        polygons = geojson_polygons(extent, process_id, "spatial_extent")
        if polygons.is_empty:
            raise invalid(process_id, "spatial_extent", "the geometries are empty")
        west, south, east, north = polygons.bounds
        bbox = {"west": west, "south": south, "east": east, "north": north, "crs": WGS84.to_epsg()}
    bbox_in_crs(bbox, None, process_id, "spatial_extent")  # numbers, finite, in order: before any read
    return bbox, polygons
