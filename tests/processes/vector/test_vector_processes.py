"""filter_vector, vector_to_regular_points and vector_to_random_points on small vector cubes, checked with
shapely predicates and hand-computed grids."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import shapely
import xarray as xr

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from openeo_gip.model.vectors import geometries_of, vector_cube
from tests.support.processes import PREDEFINED

UTM = "EPSG:32631"
SQUARE = shapely.box(0, 0, 100, 100)
CANDIDATES = {
    "inside": shapely.box(10, 10, 20, 20),
    "crossing": shapely.box(90, 40, 120, 60),
    "outside": shapely.box(200, 200, 210, 210),
    "touching": shapely.box(100, 0, 110, 10),
    "line_through": shapely.LineString([(-10, 50), (110, 50)]),
    "point_in": shapely.Point(50, 50),
}


def run(process_id: str, **arguments):
    values = {name: {"from_parameter": name} for name in arguments}
    graph = {"n": {"process_id": process_id, "arguments": values, "result": True}}
    return run_process(
        {"process_graph": graph}, ProcessContext(services=None), processes=PREDEFINED, parameters=arguments
    )


def candidates_cube():
    return vector_cube(list(CANDIDATES.values()), UTM, {"name": list(CANDIDATES)})


@pytest.mark.parametrize(
    "relation", ["intersects", "disjoint", "touches", "crosses", "overlaps", "contains", "within"]
)
def test_filter_vector_keeps_what_the_relation_says(relation):
    base = vector_cube([shapely.box(0, 0, 60, 100), shapely.box(40, 0, 100, 100)], UTM)  # union: SQUARE
    out = run("filter_vector", data=candidates_cube(), geometries=base, relation=relation)
    predicate = getattr(shapely, relation)
    expected = [name for name, shape in CANDIDATES.items() if predicate(SQUARE, shape)]
    assert list(out["name"].values) == expected
    assert out.attrs["crs"] == UTM
    if relation == "contains":
        assert expected == ["inside", "point_in"]  # the base geometry is the first operand


def test_filter_vector_with_geojson_base_in_wgs84_and_empty_candidates():
    import pyproj

    to_wgs84 = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    ring = [list(to_wgs84.transform(x, y)) for x, y in SQUARE.exterior.coords]
    geojson = {"type": "Polygon", "coordinates": [ring]}
    data = vector_cube([*CANDIDATES.values(), shapely.Polygon()], UTM, {"name": [*CANDIDATES, "empty"]})
    out = run("filter_vector", data=data, geometries=geojson, relation="disjoint")
    assert list(out["name"].values) == ["outside"]  # the empty geometry is dropped even though disjoint


def test_filter_vector_refuses_raster_cubes_and_unknown_relations():
    with pytest.raises(ApiError) as error:
        run("filter_vector", data=candidates_cube(), geometries=candidates_cube(), relation="near")
    assert error.value.code == "ProcessParameterInvalid"


def test_regular_points_in_polygons_lines_and_points():
    tiny = shapely.Polygon([(0, 0), (2, 0), (2, 2), (0, 2)])
    shapes = [shapely.box(0, 0, 35, 20), shapely.LineString([(0, 0), (25, 0)]), shapely.Point(7, 8), tiny]
    shapes.append(shapely.Polygon())
    cube = vector_cube(shapes, UTM, {"id": [1, 2, 3, 4, 5]})
    out = run("vector_to_regular_points", data=cube, distance=10)
    points = [shapely.get_coordinates(g).tolist() for g in geometries_of(out)]
    # 10 m cells from the upper-left corner (0, 20): centres at x 5, 15, 25, 35 (35 is on the edge: out)
    assert points[0] == [[5, 15], [15, 15], [25, 15], [5, 5], [15, 5], [25, 5]]
    assert points[1] == [[0, 0], [10, 0], [20, 0]]  # along the line every 10 m
    assert points[2] == [[7, 8]]
    assert points[3] == [[0, 0]]  # too small for a cell centre: its first vertex
    assert points[4] == []
    assert all(g.geom_type == "MultiPoint" for g in geometries_of(out))
    assert list(out["id"].values) == [1, 2, 3, 4, 5]

    flat = run("vector_to_regular_points", data=cube, distance=10, group=False)
    assert [g.geom_type for g in geometries_of(flat)] == ["Point"] * 11
    assert list(flat["id"].values) == [1] * 6 + [2] * 3 + [3, 4]


def test_regular_points_need_metres():
    cube = vector_cube([shapely.box(4, 50, 5, 51)], "EPSG:4326")
    with pytest.raises(ApiError) as error:
        run("vector_to_regular_points", data=cube, distance=10)
    assert error.value.code == "UnitMismatch"


def test_random_points_are_inside_counted_and_repeatable():
    triangle = shapely.Polygon([(0, 0), (50, 0), (0, 50)])
    shapes = [shapely.box(0, 0, 100, 100), triangle, shapely.LineString([(0, 0), (30, 40)])]
    shapes.append(shapely.MultiPoint([(1, 1), (2, 2), (3, 3)]))
    cube = vector_cube(shapes, UTM, {"name": ["square", "triangle", "line", "points"]})
    out = run("vector_to_random_points", data=cube, geometry_count=5, seed=42)
    again = run("vector_to_random_points", data=cube, geometry_count=5, seed=42)
    other = run("vector_to_random_points", data=cube, geometry_count=5, seed=7)
    samples = list(geometries_of(out))
    assert [len(g.geoms) for g in samples] == [5, 5, 5, 3]  # three points can each be picked only once
    for shape, sample in zip(shapes, samples, strict=True):
        assert shapely.distance(shape, sample) < 1e-9  # on or inside the geometry
    assert [g.wkt for g in samples] == [g.wkt for g in geometries_of(again)]
    assert [g.wkt for g in samples] != [g.wkt for g in geometries_of(other)]

    # total_count splits the points; each geometry gets at least one
    total = run("vector_to_random_points", data=cube, total_count=6, group=False, seed=1)
    assert list(total["name"].values) == ["square", "square", "triangle", "triangle", "line", "points"]
    assert all(g.geom_type == "Point" for g in geometries_of(total))
    default = run("vector_to_random_points", data=cube, seed=1)
    assert [len(g.geoms) for g in geometries_of(default)] == [1, 1, 1, 1]


def test_random_points_count_mismatch():
    cube = vector_cube([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)], UTM)
    with pytest.raises(ApiError) as error:
        run("vector_to_random_points", data=cube, total_count=1)
    assert error.value.code == "CountMismatch" and error.value.status == 400


def test_random_points_spread_uniformly_over_a_polygon():
    cube = vector_cube([shapely.box(0, 0, 100, 100)], UTM)
    out = run("vector_to_random_points", data=cube, geometry_count=2000, seed=3)
    xy = shapely.get_coordinates(geometries_of(out)[0])
    assert len(np.unique(xy, axis=0)) == 2000
    left = (xy[:, 0] < 50).mean()
    assert 0.45 < left < 0.55  # half the area, about half the points


def refusal(process_id: str, **arguments) -> ApiError:
    with pytest.raises(ApiError) as error:
        run(process_id, **arguments)
    assert error.value.code == "ProcessParameterInvalid" and error.value.status == 400
    return error.value


def test_vector_processes_refuse_what_is_not_a_vector_cube():
    raster = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"))
    for process_id, parameter, extra in [
        ("filter_vector", "data", {"geometries": candidates_cube()}),
        ("vector_to_regular_points", "data", {"distance": 10}),
        ("vector_to_random_points", "data", {}),
        ("vector_buffer", "geometries", {"distance": 5}),
        ("vector_reproject", "data", {"projection": 4326}),
    ]:
        error = refusal(process_id, **{parameter: raster}, **extra)
        assert error.fields["parameter"] == parameter and "vector data cube" in error.message


@pytest.mark.slow  # takes seconds
def test_regular_points_refuse_a_tiny_distance_before_building_the_grid():
    # 1500 m at 1 m: 2.25 million cell centres, checked before any is computed
    cube = vector_cube([shapely.box(0, 0, 1500, 1500)], UTM)
    tracemalloc.start()
    try:
        error = refusal("vector_to_regular_points", data=cube, distance=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.fields["parameter"] == "distance" and "1,000,000" in error.message
    assert peak < 5_000_000  # the grid (2 x 18 MB of coordinates) was never allocated

    # a distance so small that the number of cells overflows a float, and a line of a billion steps
    assert "1,000,000" in refusal("vector_to_regular_points", data=cube, distance=1e-300).message
    line = vector_cube([shapely.LineString([(0, 0), (1000, 0)])], UTM)
    assert "1,000,000" in refusal("vector_to_regular_points", data=line, distance=1e-6).message

    # the limit is for the whole cube: two 800 m squares fit one by one (640,000 points), not together
    squares = vector_cube([shapely.box(0, 0, 800, 800), shapely.box(0, 0, 800, 800)], UTM)
    refusal("vector_to_regular_points", data=squares, distance=1)
    one = run("vector_to_regular_points", data=squares.isel(geometry=[0]), distance=1)
    assert len(geometries_of(one)[0].geoms) == 640_000


def test_regular_points_in_far_apart_parts_and_nested_collections():
    # two 3 m squares 5 km apart: one grid from the upper-left corner, but only the parts' cells built
    far = shapely.MultiPolygon([shapely.box(0, 0, 3, 3), shapely.box(5_000, 5_000, 5_003, 5_003)])
    nested = shapely.GeometryCollection(
        [shapely.MultiPolygon([shapely.box(0, 0, 2, 2)]), shapely.MultiPoint([(9, 9)])]
    )
    out = run("vector_to_regular_points", data=vector_cube([far, nested], UTM), distance=1)
    points = [shapely.get_coordinates(g).tolist() for g in geometries_of(out)]
    top = [[5_000.5 + i, 5_002.5 - j] for j in range(3) for i in range(3)]
    assert points[0] == top + [[0.5 + i, 2.5 - j] for j in range(3) for i in range(3)]
    assert points[1] == [[9, 9], [0.5, 1.5], [1.5, 1.5], [0.5, 0.5], [1.5, 0.5]]


def test_random_points_in_a_thin_diagonal_polygon_draw_in_bounded_batches():
    # 10 cm wide along the diagonal of a 1 km square: 1 draw in 7,000 lands inside; without a cap on the
    # batch, 1,000 points meant one batch of 10 million draws (180 MB)
    thin = shapely.LineString([(0, 0), (1000, 1000)]).buffer(0.05)
    cube = vector_cube([thin], UTM)
    tracemalloc.start()
    try:
        out = run("vector_to_random_points", data=cube, geometry_count=1000, seed=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    sample = geometries_of(out)[0]
    assert len(np.unique(shapely.get_coordinates(sample), axis=0)) == 1000
    assert shapely.contains(thin, sample)
    assert peak < 60_000_000


def test_random_points_limit_names_the_parameter_that_set_the_number():
    cube = vector_cube([shapely.box(0, 0, 10, 10), shapely.box(20, 20, 30, 30)], UTM)
    error = refusal("vector_to_random_points", data=cube, total_count=2_000_000)
    assert error.fields["parameter"] == "total_count" and "1,000,000" in error.message
    error = refusal("vector_to_random_points", data=cube, geometry_count=600_000)
    assert error.fields["parameter"] == "geometry_count"
