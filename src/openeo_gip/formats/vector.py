"""Vector cube output: GeoJSON, CSV, GeoParquet and netCDF (representation: ``model/vectors.py``).

GeoJSON and GeoParquet hold one feature per geometry; its properties are the feature properties plus one
column per combination of the other dimensions' labels (joined with ``~``, or ``value`` for a cube of one
dimension). CSV is a long table, one row per geometry and label combination, easy to load in any
spreadsheet or data-frame library.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from openeo_gip.formats.json_values import to_json_value
from openeo_gip.formats.raster_layout import compute, unsuitable
from openeo_gip.formats.record import OutputFormat
from openeo_gip.model.labels import label_to_json
from openeo_gip.model.vectors import GEOMETRY, feature_properties, geometries_of, is_vector_cube, vector_crs

_SEPARATOR = "~"


def _require_vector(data: Any, format_name: str) -> xr.DataArray:
    if not is_vector_cube(data):
        raise unsuitable(f"{format_name} stores vector data cubes (e.g. the result of aggregate_spatial).")
    return data


def _label_text(value: Any) -> str:
    return str(label_to_json(value))


def wide_frame(cube: xr.DataArray) -> gpd.GeoDataFrame:
    """One row per geometry: feature properties, then one column per label combination."""
    others = [str(dim) for dim in cube.dims if dim != GEOMETRY]
    columns: dict[str, Any] = {name: cube[name].values for name in feature_properties(cube)}
    if not others:
        columns["value"] = cube.values
    else:
        flat = cube.transpose(GEOMETRY, *others).stack(_column=others)
        labels = zip(*[flat[dim].values for dim in others], strict=True)
        names = [_SEPARATOR.join(_label_text(v) for v in combination) for combination in labels]
        for i, name in enumerate(names):
            columns[name] = flat.values[:, i]
    return gpd.GeoDataFrame(columns, geometry=list(geometries_of(cube)), crs=vector_crs(cube))


def long_frame(cube: xr.DataArray) -> pd.DataFrame:
    """One row per geometry and label combination: ``feature_index``, properties, dimension labels, value."""
    others = [str(dim) for dim in cube.dims if dim != GEOMETRY]
    index = pd.MultiIndex.from_product(
        [range(cube.sizes[GEOMETRY])] + [[_label_text(v) for v in cube[dim].values] for dim in others],
        names=["feature_index", *others],
    )
    frame = pd.DataFrame({"value": cube.transpose(GEOMETRY, *others).values.reshape(-1)}, index=index)
    frame = frame.reset_index()
    for name in reversed(feature_properties(cube)):
        frame.insert(1, name, np.repeat(cube[name].values, len(frame) // max(cube.sizes[GEOMETRY], 1)))
    return frame


def write_geojson(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    cube = compute(_require_vector(data, "GeoJSON"), client)
    frame = wide_frame(cube).to_crs(4326)  # RFC 7946: GeoJSON is always WGS 84 longitude/latitude
    features = []
    for position, row in enumerate(frame.itertuples(index=False)):
        record = dict(zip(frame.columns, row, strict=True))
        geometry = record.pop("geometry")
        features.append(
            {
                "type": "Feature",
                "id": position,
                "geometry": None if geometry is None else shapely.geometry.mapping(geometry),
                "properties": record,  # made plain JSON (numpy scalars, NaN) by to_json_value below
            }
        )
    path = folder / "result.geojson"
    document = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(to_json_value(document), allow_nan=False), encoding="utf-8")
    return [path]


def write_csv(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    cube = compute(_require_vector(data, "CSV"), client)
    path = folder / "result.csv"
    long_frame(cube).to_csv(path, index=False, na_rep="")
    return [path]


def write_geoparquet(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    cube = compute(_require_vector(data, "GeoParquet"), client)
    frame = wide_frame(cube)
    for name in frame.columns:  # parquet needs one type per column: mixed objects become text
        if name != "geometry" and frame[name].dtype == object:
            frame[name] = frame[name].map(lambda v: None if v is None else str(v))
    path = folder / "result.parquet"
    frame.to_parquet(path, index=False)
    return [path]


def write_vector_netcdf(data: xr.DataArray, folder: Path, options: dict, client: Any = None) -> list[Path]:
    """The values with the geometries as WKT text along ``geometry`` and the CRS as an attribute."""
    cube = compute(data, client)
    wkt = [None if g is None else shapely.to_wkt(g) for g in geometries_of(cube)]
    cube = cube.assign_coords({GEOMETRY: np.arange(cube.sizes[GEOMETRY])})
    cube = cube.assign_coords(geometry_wkt=(GEOMETRY, np.array(wkt, dtype=str)))
    for name in feature_properties(cube):
        if cube[name].dtype == object:
            cube = cube.assign_coords({name: (GEOMETRY, cube[name].astype(str).values)})
    for dim in cube.dims:
        if dim in cube.coords and cube[dim].dtype == object:
            cube = cube.assign_coords({dim: cube[dim].astype(str).values})
    dataset = cube.rename(str(cube.name or "data")).to_dataset()
    dataset.attrs = {"Conventions": "CF-1.9", "crs": vector_crs(data).to_wkt()}
    path = folder / "result.nc"
    dataset.to_netcdf(path, engine="netcdf4")
    return [path]


FORMATS = (
    OutputFormat(
        name="GeoJSON",
        title="GeoJSON",
        description=(
            "A vector data cube as a FeatureCollection in WGS 84: one feature per geometry with its "
            "properties and one property per label combination of the other dimensions (joined by ~)."
        ),
        gis_data_types=("vector",),
        media_type="application/geo+json",
        suffix=".geojson",
        write=write_geojson,
    ),
    OutputFormat(
        name="CSV",
        title="CSV table",
        description=(
            "A vector data cube as a long table: one row per geometry (feature_index, its properties) "
            "and label combination of the other dimensions, with the column value."
        ),
        gis_data_types=("vector",),
        media_type="text/csv",
        suffix=".csv",
        write=write_csv,
    ),
    OutputFormat(
        name="GeoParquet",
        title="GeoParquet",
        description="A vector data cube with the columns of the GeoJSON output, geometries in their CRS.",
        gis_data_types=("vector",),
        media_type="application/vnd.apache.parquet",
        suffix=".parquet",
        write=write_geoparquet,
    ),
)
