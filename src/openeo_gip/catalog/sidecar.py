"""Optional sidecar files that add or override what the rasters cannot say.

A folder collection reads ``collection.toml`` (or a ``collection.json`` that is not a STAC document); a single
file ``NAME.tif`` reads ``NAME.toml`` (or ``NAME.json``). Keys (all optional)::

    id, title, description, license, keywords, providers, links
    file_pattern, time_format          # see naming.py
    crs                                # the files' CRS ("EPSG:4326"), for files that give none or a wrong one
    nodata, scale, offset              # for all bands, overriding the files
    [bands.B04]                        # per band: common_name, center_wavelength, description,
    common_name = "red"                #   nodata, scale, offset
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from openeo_gip.catalog.naming import compile_file_pattern
from openeo_gip.raster.headers import valid_crs


class SidecarError(ValueError):
    """The sidecar file cannot be used; the message says why."""


class BandOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    common_name: str | None = None
    center_wavelength: float | None = None
    description: str | None = None
    nodata: float | None = None
    scale: float | None = None
    offset: float | None = None


class Sidecar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    title: str | None = None
    description: str | None = None
    license: str | None = None
    keywords: list[str] | None = None
    providers: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    file_pattern: str | None = None
    time_format: str | None = None
    crs: str | None = None
    nodata: float | None = None
    scale: float | None = None
    offset: float | None = None
    bands: dict[str, BandOverride] = {}

    @field_validator("file_pattern")
    @classmethod
    def _usable_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            compile_file_pattern(value)
        return value

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return None if value is None else valid_crs(value)

    def band(self, name: str) -> BandOverride:
        return self.bands.get(name, BandOverride())


def sidecar_paths(source: Path) -> list[Path]:
    """Where the sidecar of a folder or single-file source may be."""
    if source.is_dir() and source.suffix.lower() != ".zarr":
        return [source / "collection.toml", source / "collection.json"]
    return [source.with_suffix(".toml"), source.with_suffix(".json")]


def is_stac_document(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "stac_version" in data


def load_sidecar(source: Path) -> Sidecar:
    """The sidecar of ``source``, or an empty one when there is none."""
    for path in sidecar_paths(source):
        if not path.is_file():
            continue
        if path.suffix == ".json" and is_stac_document(path):
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
            return Sidecar(**data)
        except (ValueError, ValidationError, TypeError) as exc:
            raise SidecarError(f"{path}: {exc}") from exc
    return Sidecar()
