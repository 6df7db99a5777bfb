"""rfc3339: every kind of date-time the back-end meets is written the one way."""

from __future__ import annotations

import datetime as dt

import cftime
import numpy as np
import pandas as pd
import pytest

from openeo_gip.model.dates import rfc3339


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2023, 1, 5, 10, 30, 15),  # naive: UTC
        dt.datetime(2023, 1, 5, 11, 30, 15, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        pd.Timestamp("2023-01-05T10:30:15.25Z"),
        np.datetime64("2023-01-05T10:30:15.123456789"),
        cftime.DatetimeGregorian(2023, 1, 5, 10, 30, 15),
        "2023-01-05T12:30:15+02:00",
        "2023-01-05T10:30:15Z",
    ],
    ids=type,
)
def test_date_times_are_utc_whole_seconds_with_z(value):
    assert rfc3339(value) == "2023-01-05T10:30:15Z"


def test_a_date_is_its_midnight():
    assert rfc3339(dt.date(2023, 1, 5)) == "2023-01-05T00:00:00Z"
