"""date_shift, date_between, date_difference and nan: single values, nulls, errors, and inside callbacks
on the temporal labels of a cube (filter_labels, array_filter in a reducer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openeo_gip.engine.execute import run_process
from openeo_gip.errors import ApiError
from openeo_gip.model.values import ProcessContext
from openeo_gip.processes.scalar.dates import date_between, date_difference, date_shift
from openeo_gip.processes.scalar.math import nan
from tests.support.cube_builders import make_cube, nanmean
from tests.support.processes import PREDEFINED


def run(graph: dict, **parameters):
    return run_process(
        {"process_graph": graph}, ProcessContext(services=None), processes=PREDEFINED, parameters=parameters
    )


def one(process_id: str, **arguments):
    return run({"n": {"process_id": process_id, "arguments": arguments, "result": True}})


@pytest.mark.parametrize(
    ("date", "value", "unit", "expected"),
    [
        ("2020-03-31", -1, "month", "2020-02-29"),
        ("2019-03-31T10:00:00Z", -13, "month", "2018-02-28T10:00:00Z"),
        ("2020-12-31T23:00:00-02:00", 1, "hour", "2021-01-01T00:00:00-02:00"),
        ("2020-01-01T00:00:00.250Z", -500, "millisecond", "2019-12-31T23:59:59.750Z"),
        ("2020-01-06", 2, "week", "2020-01-20"),
        ("2020-01-01T12:00:00+00:00", 90, "minute", "2020-01-01T13:30:00+00:00"),
    ],
)
def test_date_shift_keeps_the_form_of_its_input(date, value, unit, expected):
    assert one("date_shift", date=date, value=value, unit=unit) == expected


def test_a_leap_second_goes_in_but_never_comes_out():
    # (the graph validator's date-time format check refuses second 60, so the function is called directly)
    assert date_shift("2016-12-31T23:59:60Z", 1, "second") == "2017-01-01T00:00:01Z"
    assert date_shift("2016-12-31T23:59:60Z", 0, "second") == "2017-01-01T00:00:00Z"


def test_date_difference_in_every_unit():
    assert one("date_difference", date1="2020-01-01", date2="2020-01-08", unit="week") == 1
    assert (
        one("date_difference", date1="2020-01-01T00:00:00Z", date2="2020-01-01T00:30:00Z", unit="hour") == 0.5
    )
    # Calendar units: whole months, then the share of the month the end falls into (February 2020: 29 days).
    assert one("date_difference", date1="2020-01-31", date2="2020-02-29", unit="month") == 1
    months = one("date_difference", date1="2020-01-15", date2="2020-02-29", unit="month")
    assert months == pytest.approx(1 + 14 / 29)
    assert one("date_difference", date1="2021-06-01", date2="2020-06-01", unit="year") == -1
    assert one("date_difference", date1="2020-01-01T00:00:00Z", date2="2020-01-01T00:00:01Z",
               unit="millisecond") == 1000  # fmt: skip


def test_date_between_dates_times_and_bounds():
    assert one("date_between", x="2021-06-01T12:00:00+02:00", min="2021-06-01T10:00:00Z", max="2021-06-02")
    assert not one("date_between", x="2022-01-01", min="2021-01-01", max="2022-01-01", exclude_max=True)
    assert one("date_between", x="2022-01-01", min="2021-01-01", max="2022-01-01")
    assert not one("date_between", x="2021-06-01", min="2022-01-01", max="2021-01-01")  # swapped bounds
    # Times of day: a date-time is compared by its UTC time.
    assert one("date_between", x="2021-06-01T10:30:00+02:00", min="08:00:00", max="09:00:00")
    assert one("date_between", x="12:00:00", min="11:00:00", max="13:00:00")
    assert not one("date_between", x="12:00:00", min="2021-01-01", max="2022-01-01")


def test_nulls_give_null():
    assert date_shift(None, 1, "day") is None
    assert date_between(None, "2020-01-01", "2021-01-01") is None
    assert date_difference("2020-01-01", None) is None


def test_bad_input_is_a_process_parameter_error():
    with pytest.raises(ApiError) as error:
        one("date_shift", date="yesterday", value=1, unit="day")
    assert error.value.code == "ProcessParameterInvalid" and error.value.status == 400
    with pytest.raises(ApiError) as error:
        date_difference("2020-01-01", "10:00:00")  # a time alone is not an instant
    assert error.value.code == "ProcessParameterInvalid"
    with pytest.raises(ApiError):
        date_shift("2020-01-01", 1, "fortnight")


def test_nan_is_nan():
    assert math.isnan(nan()) and math.isnan(one("nan"))


def test_filter_labels_with_date_between_on_a_cube():
    cube = make_cube()
    graph = {
        "f": {
            "process_id": "filter_labels",
            "arguments": {
                "data": {"from_parameter": "cube"},
                "dimension": "t",
                "condition": {
                    "process_graph": {
                        "b": {
                            "process_id": "date_between",
                            "arguments": {
                                "x": {"from_parameter": "value"},
                                "min": "2021-01-10",
                                "max": "2021-02-03",
                            },
                            "result": True,
                        }
                    }
                },
            },
            "result": True,
        }
    }
    out = run(graph, cube=cube)
    assert [str(t)[:10] for t in out["t"].values] == ["2021-01-20", "2021-02-03"]
    np.testing.assert_array_equal(out.values, cube.values[1:3])


def test_date_processes_vectorised_on_labels_inside_a_reducer():
    """mean over the dates within 20 days of 2021-01-10 (date_difference on the label array)."""
    cube = make_cube()
    condition = {
        "d": {
            "process_id": "date_difference",
            "arguments": {"date1": "2021-01-10", "date2": {"from_parameter": "label"}, "unit": "day"},
        },
        "a": {"process_id": "absolute", "arguments": {"x": {"from_node": "d"}}},
        "l": {"process_id": "lte", "arguments": {"x": {"from_node": "a"}, "y": 20}, "result": True},
    }
    reducer = {
        "keep": {
            "process_id": "array_filter",
            "arguments": {"data": {"from_parameter": "data"}, "condition": {"process_graph": condition}},
        },
        "mean": {"process_id": "mean", "arguments": {"data": {"from_node": "keep"}}, "result": True},
    }
    graph = {
        "r": {
            "process_id": "reduce_dimension",
            "arguments": {
                "data": {"from_parameter": "cube"},
                "dimension": "t",
                "reducer": {"process_graph": reducer},
            },
            "result": True,
        }
    }
    out = run(graph, cube=cube)
    # 2021-01-05 (5 days) and 2021-01-20 (10 days) are within 20 days; 2021-02-03 and 2021-04-11 are not.
    np.testing.assert_allclose(out.values, nanmean(cube.values[0:2], 0), rtol=1e-6, equal_nan=True)


def test_date_shift_and_between_on_label_arrays_keep_datetimes():
    labels = make_cube()["t"].reset_coords(drop=True)
    shifted = date_shift(labels, 1, "month")
    assert shifted.dtype.kind == "M"
    assert [str(v)[:10] for v in shifted.values] == ["2021-02-05", "2021-02-20", "2021-03-03", "2021-05-11"]
    inside = date_between(labels, "2021-01-20", "2021-02-03", exclude_max=True)
    assert inside.values.tolist() == [False, True, False, False]
    texts = date_shift(np.array(["2021-01-31", None], dtype=object), 1, "month")
    assert texts.tolist() == ["2021-02-28", None]
