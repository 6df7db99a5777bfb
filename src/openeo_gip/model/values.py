"""The values that travel between processes besides plain JSON values and DataArrays.

A vector data cube is a DataArray too: its dimension ``geometry`` has shapely geometries as labels, their
CRS is ``attrs["crs"]`` (``EPSG:n`` or WKT), feature properties are further coordinates along
``geometry``, and other dimensions (``t``, ``bands``, ``properties``) are ordinary ones. Helpers:
``openeo_gip.model.vectors`` (``is_vector_cube``, ``vector_cube``, ``geometries_of``...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xarray as xr


@dataclass(frozen=True)
class ArrayView:
    """An openEO array seen along one dimension of a cube: ``data`` keeps all other dimensions.

    ``reduce_dimension`` over ``t`` hands ``ArrayView(cube, "t")`` to its reducer, so ``mean(data)`` is one
    nan-aware reduction over ``t`` of the whole cube, and ``array_element(data, index=2)`` is
    ``cube.isel(t=2)``. A plain labeled array is an ``ArrayView`` of a one-dimensional DataArray.
    """

    data: xr.DataArray
    dim: str

    @property
    def labels(self) -> list:
        return list(self.data[self.dim].values) if self.dim in self.data.coords else []

    def __len__(self) -> int:
        return self.data.sizes[self.dim]


@dataclass
class Callback:
    """A child process graph ready to run: ``callback(x=..., context=...)`` evaluates it once."""

    run: Callable[..., Any]

    def __call__(self, **arguments: Any) -> Any:
        return self.run(**arguments)


@dataclass
class ProcessContext:
    """What a process may need besides its arguments (declared as keyword-only ``ctx``)."""

    services: Any
    user: Any = None
    node_id: str = ""
    process_id: str = ""
    log: logging.Logger | logging.LoggerAdapter = field(
        default_factory=lambda: logging.getLogger("openeo_gip")
    )
    # Set for batch jobs; ``None`` for synchronous requests.
    job_id: str | None = None
    # What ``save_result`` asked for, in graph order: written by the caller once evaluation is done.
    saved: list[SaveRequest] = field(default_factory=list)
    # Folders under the user's files that ``export_workspace`` asked the results to be copied to.
    exports: list[str] = field(default_factory=list)
    # Dask name of a cube read straight from a collection -> what it reads, so that filters after it
    # narrow the read itself (processes/cube/pushdown.py).
    sources: dict[str, Any] = field(default_factory=dict)


@dataclass
class SaveRequest:
    """One ``save_result`` call: the (lazy) value, the output format name as listed in /file_formats, and
    the format options. ``openeo_gip.formats.write_result`` turns it into files."""

    data: Any
    format: str
    options: dict = field(default_factory=dict)
