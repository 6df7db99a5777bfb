"""Vector cubes (load_geojson, vector_buffer, vector_reproject), aggregate_spatial, reduce_spatial,
mask_polygon, apply_polygon and filter_spatial with a vector cube, checked with rasterio masks and shapely."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import rasterio.features
import shapely
import shapely.geometry
import xarray as xr

from openeo_gip.errors import ApiError
from openeo_gip.model.values import Callback
from openeo_gip.processes.cube.filter import filter_spatial
from openeo_gip.processes.cube.polygons import apply_polygon, mask_polygon
from openeo_gip.processes.cube.zonal import aggregate_spatial, reduce_spatial
from openeo_gip.processes.vector.operations import load_geojson, vector_buffer, vector_reproject
from tests.support.cube_builders import CRS, ORIGIN_X, ORIGIN_Y, make_cube, mean_reducer, nanmean

TO_WGS84 = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)


def lonlat(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(TO_WGS84.transform(xy[:, 0], xy[:, 1])))


def fields_geojson():
    """Two overlapping fields, a point and a feature without geometry, written in WGS 84 as GeoJSON is."""
    fields = [
        shapely.Polygon([(500003, 5599952), (500031, 5599958), (500027, 5599999), (500008, 5599991)]),
        shapely.box(500012, 5599941, 500049, 5599972),
    ]
    point = shapely.Point(500024.0, 5599946.0)
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(lonlat(g)),
            "properties": {"name": n, "id": i},
        }
        for i, (g, n) in enumerate(zip([*fields, point], ["north", "east", "well"], strict=True))
    ]
    features.append({"type": "Feature", "geometry": None, "properties": {"name": "nothing", "id": 3}})
    return {"type": "FeatureCollection", "features": features}, [*fields, point]


def masks_for(cube, shapes):
    """Pixel-centre masks for polygons, touched pixels for points: independent of the implementation."""
    transform = cube.rio.transform(recalc=True)
    return [
        rasterio.features.geometry_mask(
            [s],
            out_shape=(cube.sizes["y"], cube.sizes["x"]),
            transform=transform,
            invert=True,
            all_touched=s.geom_type == "Point",
        )
        for s in shapes
    ]


def test_load_geojson_keeps_geometries_and_properties():
    geojson, shapes = fields_geojson()
    vectors = load_geojson(geojson)
    assert vectors.dims == ("geometry",) and vectors.attrs["crs"] == "EPSG:4326"
    assert list(vectors["name"].values) == ["north", "east", "well", "nothing"]
    assert vectors["geometry"].values[3].is_empty
    assert vectors["geometry"].values[0].equals_exact(lonlat(shapes[0]), 1e-9)
    table = load_geojson(geojson, ["id"])
    assert table.dims == ("geometry", "properties") and list(table["properties"].values) == ["id"]
    np.testing.assert_array_equal(table.values[:, 0], [0, 1, 2, 3])


def test_vector_reproject_and_buffer_in_meters():
    geojson, shapes = fields_geojson()
    utm = vector_reproject(load_geojson(geojson), "EPSG:32631")
    assert utm.attrs["crs"] == "EPSG:32631"
    assert utm["geometry"].values[1].equals_exact(shapes[1], 1e-3)
    buffered = vector_buffer(utm, 5)
    assert buffered["geometry"].values[2].area == pytest.approx(np.pi * 25, rel=0.01)
    assert list(buffered["name"].values) == ["north", "east", "well", "nothing"]
    with pytest.raises(ApiError) as error:
        vector_buffer(load_geojson(geojson), 5)  # degrees, not meters
    assert error.value.code == "UnitMismatch"


def test_aggregate_spatial_means_per_geometry_and_date_against_numpy_masks():
    cube = make_cube(height=8, width=6)
    geojson, shapes = fields_geojson()
    calls = []

    def mean(data, context=None):
        calls.append(data.dim)
        return data.data.mean(data.dim, skipna=True)

    out = aggregate_spatial(cube, load_geojson(geojson), Callback(mean))
    assert len(calls) == 1, "the reducer runs once for all geometries"
    assert out.dims == ("geometry", "t", "bands") and out.attrs["crs"] == "EPSG:4326"
    assert list(out["name"].values) == ["north", "east", "well", "nothing"]
    values = out.values
    for index, mask in enumerate(masks_for(cube, shapes)):
        assert mask.sum() >= 1
        expected = nanmean(cube.values[:, :, mask], axis=-1)
        np.testing.assert_allclose(values[index], expected, rtol=1e-6)
    assert np.isnan(values[3]).all(), "an empty geometry gives no-data"


def test_aggregate_spatial_with_target_dimension_counts_pixels_and_accepts_geojson():
    cube = make_cube(height=8, width=6, nan_fraction=0.3)
    geojson, shapes = fields_geojson()
    out = aggregate_spatial(cube, geojson, mean_reducer(), target_dimension="stats")
    assert out.dims == ("geometry", "stats", "t", "bands")
    assert list(out["stats"].values) == ["value", "total_count", "valid_count"]
    for index, mask in enumerate(masks_for(cube, shapes)):
        selected = cube.values[:, :, mask]
        np.testing.assert_array_equal(out.sel(stats="total_count").values[index], mask.sum())
        np.testing.assert_array_equal(
            out.sel(stats="valid_count").values[index], np.isfinite(selected).sum(-1)
        )
    with pytest.raises(ApiError) as error:
        aggregate_spatial(cube, geojson, mean_reducer(), target_dimension="t")
    assert error.value.code == "TargetDimensionExists"


def test_reduce_spatial_over_all_pixels():
    cube = make_cube()
    out = reduce_spatial(
        cube, Callback(lambda data, context=None: data.data.max(data.dim) * context), context=2
    )
    assert out.dims == ("t", "bands") and "x" not in out.coords
    np.testing.assert_allclose(out.values, np.nanmax(cube.values, axis=(2, 3)) * 2, rtol=1e-6)


def test_mask_polygon_outside_inside_and_replacement():
    cube = make_cube(height=8, width=6)
    geojson, shapes = fields_geojson()
    inside = np.logical_or(*masks_for(cube, shapes[:2]))
    out = mask_polygon(cube, geojson, replacement=-5)
    expected = np.where(~inside & np.isfinite(cube.values), -5, cube.values)
    np.testing.assert_array_equal(out.values, expected)
    out = mask_polygon(cube, load_geojson(geojson), inside=True)
    np.testing.assert_array_equal(out.values, np.where(inside, np.nan, cube.values))
    assert out.rio.crs == cube.rio.crs and out.dims == cube.dims


def test_filter_spatial_with_a_vector_cube_crops_and_masks():
    cube = make_cube(height=8, width=6)
    geojson, shapes = fields_geojson()
    out = filter_spatial(cube, vector_reproject(load_geojson(geojson), 32631))
    field = shapely.union_all(shapes)
    west, south, east, north = field.bounds
    assert out["x"].values.min() >= west - 10 and out["x"].values.max() <= east + 10
    assert out["y"].values.min() >= south - 10 and out["y"].values.max() <= north + 10
    assert out.sizes["x"] < cube.sizes["x"] or out.sizes["y"] < cube.sizes["y"]


def test_apply_polygon_runs_the_process_inside_each_polygon():
    cube = make_cube(height=8, width=6)
    polygons = [
        shapely.box(ORIGIN_X, ORIGIN_Y - 40, ORIGIN_X + 30, ORIGIN_Y),
        shapely.box(ORIGIN_X + 30, ORIGIN_Y - 80, ORIGIN_X + 60, ORIGIN_Y - 40),
    ]
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": shapely.geometry.mapping(lonlat(p)), "properties": {}}
            for p in polygons
        ],
    }
    process = Callback(lambda data, context=None: data - data.mean(["x", "y"]))
    out = apply_polygon(cube, geojson, process, mask_value=0)
    masks = masks_for(cube, polygons)
    expected = np.zeros_like(cube.values)
    for mask in masks:
        selected = np.where(mask, cube.values, np.nan)
        expected = np.where(mask, selected - nanmean(selected, axis=(2, 3))[..., None, None], expected)
    np.testing.assert_allclose(out.values, expected, rtol=1e-5, atol=1e-3)
    overlapping = {"type": "FeatureCollection", "features": geojson["features"] * 2}
    with pytest.raises(ApiError) as error:
        apply_polygon(cube, overlapping, process)
    assert error.value.code == "GeometriesOverlap"
    assert isinstance(out, xr.DataArray)
