"""How a dimension label is shown outside a cube (in JSON, in the columns of vector outputs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from openeo_gip.model.dates import rfc3339


def label_to_json(value: Any) -> Any:
    """A dimension label as openEO shows it: ISO date-times for time, plain str/int/float otherwise."""
    if isinstance(value, np.datetime64 | pd.Timestamp):
        return rfc3339(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
