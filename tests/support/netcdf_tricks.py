"""netCDF-4 files whose data lives in other files, written with h5py as an attacker would."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from openeo_gip.demodata import synthetic


def external_storage_cube(path: Path, target: Path, size: int = 6, days: int = 2) -> str:
    """A valid CF temperature cube (``synthetic.write_netcdf_cube``) whose variable's bytes are read from
    ``target``; returns the variable's name."""
    name = synthetic.write_netcdf_cube(path, size=size, days=days).variable
    with h5py.File(path, "r+") as nc:
        old = nc[name]
        kept = {
            key: value for key, value in old.attrs.items() if not key.startswith(("DIMENSION", "_Netcdf4"))
        }
        scales = [old.dims[i][0].name for i in range(old.ndim)]
        shape, dtype, fill = old.shape, old.dtype, old.fillvalue
        del nc[name]
        nbytes = int(np.prod(shape)) * dtype.itemsize
        new = nc.create_dataset(
            name, shape=shape, dtype=dtype, fillvalue=fill, external=[(str(target), 0, nbytes)]
        )
        new.attrs.update(kept)
        for axis, scale in enumerate(scales):
            new.dims[axis].attach_scale(nc[scale])
    return name


def external_link_file(path: Path, target: Path) -> None:
    """An HDF5 file whose member ``data`` is a link to ``/data`` in ``target``."""
    with h5py.File(target, "w") as other:
        other["data"] = np.zeros((4, 4), "f4")
    with h5py.File(path, "w") as nc:
        nc["data"] = h5py.ExternalLink(str(target), "/data")


def virtual_dataset_file(path: Path, target: Path) -> None:
    """An HDF5 file whose dataset ``data`` maps ``/data`` of ``target`` (a virtual dataset)."""
    with h5py.File(target, "w") as other:
        other["data"] = np.ones((4, 4), "f4")
    layout = h5py.VirtualLayout(shape=(4, 4), dtype="f4")
    layout[:] = h5py.VirtualSource(str(target), "data", shape=(4, 4))
    with h5py.File(path, "w") as nc:
        nc.create_virtual_dataset("data", layout)
