"""The one way dates and times are written out: in JSON answers, STAC documents, labels and logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np


def rfc3339(value: Any) -> str:
    """``value`` as ``YYYY-MM-DDTHH:MM:SSZ``: UTC, whole seconds.

    Takes Python and pandas date-times (naive ones are UTC), numpy ``datetime64``, dates, cftime dates
    (anything with ``isoformat``) and ISO 8601 text."""
    if isinstance(value, np.datetime64):
        value = str(value.astype("datetime64[s]"))
    elif not isinstance(value, str | dt.datetime):
        value = value.isoformat()
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
