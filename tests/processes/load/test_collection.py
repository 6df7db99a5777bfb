"""save_result, and load_collection against the real catalogue and its synthetic rasters."""

from __future__ import annotations

import numpy as np
import pytest

from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.load.collection import _spatial_filter
from openeo_gip.processes.output.save_result import save_result
from tests.support.cube_builders import make_cube


def test_save_result_records_the_request_with_the_listed_format_name():
    ctx = ProcessContext(services=None)
    cube = make_cube()
    assert save_result(cube, "gtiff", {"tile_size": 256}, ctx=ctx) is True
    assert save_result(3, "json", ctx=ctx) is True
    assert [(s.format, s.options) for s in ctx.saved] == [("GTiff", {"tile_size": 256}), ("JSON", {})]
    assert ctx.saved[0].data is cube


@pytest.mark.parametrize(
    ("data", "format_name", "options", "code"),
    [
        ("cube", "XLSX", {}, "FormatUnsupported"),
        ("cube", "GTiff", {"colour": "red"}, "ProcessParameterInvalid"),
        (5, "GTiff", {}, "FormatUnsuitable"),
        ("empty", "netCDF", {}, "DataCubeEmpty"),
    ],
)
def test_save_result_errors(data, format_name, options, code):
    cube = make_cube()
    value = {"cube": cube, "empty": cube.isel(t=[])}.get(data, data)
    with pytest.raises(ApiError) as error:
        save_result(value, format_name, options, ctx=ProcessContext(services=None))
    assert error.value.code == code and error.value.status == 400


def test_spatial_extent_of_geojson_becomes_a_wgs84_box_and_polygons():
    polygon = {"type": "Polygon", "coordinates": [[[5, 50], [6, 50], [6, 51.5], [5, 50]]]}
    bbox, polygons = _spatial_filter(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": polygon}],
        }
    )
    assert bbox == {"west": 5, "south": 50, "east": 6, "north": 51.5, "crs": 4326}
    assert polygons.area == pytest.approx(0.75)
    box, none = _spatial_filter({"west": 1, "south": 2, "east": 3, "north": 4})
    assert box["crs"] == 4326 and none is None
    assert np.array_equal(_spatial_filter(None), (None, None))
