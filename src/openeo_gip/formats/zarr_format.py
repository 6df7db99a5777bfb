"""Zarr output for raster cubes: the whole cube in one zipped Zarr store (a single file to download,
opened with ``xarray.open_zarr(zarr.storage.ZipStore(path, mode="r"), decode_coords="all")``)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from openeo_gip.formats.raster_layout import computed_raster
from openeo_gip.formats.record import OutputFormat


def write_zarr(data: Any, folder: Path, options: dict, client: Any = None) -> list[Path]:
    cube, crs = computed_raster(data, client, "Zarr")
    for dim in cube.dims:  # labels of mixed types (e.g. from rename_labels) are stored as text
        if dim in cube.coords and cube[dim].dtype == object:
            cube = cube.assign_coords({dim: cube[dim].astype(str).values})
    dataset = cube.rename(str(cube.name or "data")).to_dataset()
    if crs is not None:
        dataset = dataset.rio.write_crs(crs).rio.write_grid_mapping("spatial_ref")
    chunks = {str(dim): min(size, 512) for dim, size in cube.sizes.items()}
    dataset = dataset.chunk(chunks)
    path = folder / "result.zarr.zip"
    # Written as a directory first: zarr rewrites metadata while writing, which a zip file cannot take.
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        store = Path(scratch) / "store.zarr"
        dataset.to_zarr(store, mode="w", consolidated=True, zarr_format=int(options.get("zarr_format", 2)))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for file in sorted(store.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(store).as_posix())
    return [path]


FORMAT = OutputFormat(
    name="Zarr",
    title="Zarr (zipped store)",
    description=(
        "The whole cube with all its dimensions in one zipped Zarr store (one array, CRS as grid "
        "mapping); open it with xarray.open_zarr(zarr.storage.ZipStore(path, mode='r'))."
    ),
    gis_data_types=("raster",),
    parameters={
        "zarr_format": {
            "type": "integer",
            "description": "Version of the Zarr format.",
            "enum": [2, 3],
            "default": 2,
        }
    },
    media_type="application/zip",
    suffix=".zarr.zip",
    write=write_zarr,
)
