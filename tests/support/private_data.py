"""Test data of private collections: a small folder of COGs with its sidecar, packed as zip or tar.gz."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from affine import Affine

from openeo_gip.demodata import synthetic

DATES = ("2024-01-05", "2024-02-05")
NODATA = -9999.0
SIDECAR = 'title = "My fields"\nlicense = "CC-BY-4.0"\nkeywords = ["fields"]\n'


def write_fields(folder: Path, size: int = 16, seed: int = 7) -> dict[str, np.ndarray]:
    """One single-band COG per date (band ``NDVI``, a few nodata pixels) and a ``collection.toml``;
    returns what a user should see per date (nodata as NaN)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    transform = Affine(10.0, 0.0, 500_000.0, 0.0, -10.0, 5_800_000.0)
    expected = {}
    for index, date in enumerate(DATES):
        data = rng.uniform(-1, 1, (size, size)).astype("float32")
        data[index, : 3 + index] = NODATA
        synthetic.write_cog(folder / f"field_{date}.tif", data, transform, "EPSG:32631", NODATA, "NDVI")
        seen = data.astype("float64")
        seen[data == NODATA] = np.nan
        expected[date] = seen
    (folder / "collection.toml").write_text(SIDECAR, encoding="utf-8")
    return expected


def folder_entries(folder: Path, prefix: str = "") -> list[tuple[str, bytes]]:
    return [(prefix + path.name, path.read_bytes()) for path in sorted(folder.iterdir())]


def zip_bytes(entries: list[tuple[str, bytes]], extra: list[zipfile.ZipInfo] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in entries:
            bundle.writestr(name, data)
        for info in extra:
            bundle.writestr(info, b"/etc/passwd")
    return buffer.getvalue()


def tar_bytes(entries: list[tuple[str, bytes]], extra: list[tarfile.TarInfo] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
        for info in extra:
            bundle.addfile(info)
    return buffer.getvalue()


def special_tar_member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info
