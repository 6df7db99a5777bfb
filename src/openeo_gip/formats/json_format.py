"""JSON output: plain values as they are, a cube as nested arrays with its dimensions and labels
(``json_values.py``); a vector data cube as GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openeo_gip.formats.json_values import to_json_value
from openeo_gip.formats.record import OutputFormat
from openeo_gip.formats.vector import write_geojson


def write_json(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    path = folder / "result.json"
    path.write_text(json.dumps(to_json_value(data, client), allow_nan=False), encoding="utf-8")
    return [path]


FORMAT = OutputFormat(
    name="JSON",
    title="JSON",
    description="Plain values, or a cube as nested arrays with its dimension labels.",
    gis_data_types=("raster", "vector", "table", "other"),
    media_type="application/json",
    suffix=".json",
    write=write_json,
    write_vector=write_geojson,
)
