"""``GET /udf_runtimes``: the Python that runs UDFs and the libraries it can import, as installed."""

from __future__ import annotations

import sys
from importlib import metadata

# Libraries a UDF is likely to import; only those actually installed are listed.
LIBRARIES = ("numpy", "xarray", "pandas", "scipy", "dask", "shapely", "pyproj", "openeo")
RUNTIME = "Python"


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def accepted_versions() -> set[str]:
    """``3``, ``3.11`` and the full ``3.11.x`` all mean the one Python there is."""
    info = sys.version_info
    return {str(info.major), python_version(), f"{info.major}.{info.minor}.{info.micro}"}


def _libraries() -> dict[str, dict[str, str]]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = {"version": metadata.version(name)}
        except metadata.PackageNotFoundError:
            continue
    return found


def udf_runtimes() -> dict:
    version = {"libraries": _libraries()}
    return {
        RUNTIME: {
            "title": f"Python {python_version()}",
            "description": (
                "Python code following the openEO UDF API (openeo.udf): apply_datacube(cube, context) "
                "with an xarray.DataArray or XarrayDataCube, apply_timeseries(series, context), a function "
                "of UdfData, apply_metadata. Each piece of a cube runs in a separate process with limited "
                "CPU time, memory and run time, without the server's settings or other users' data."
            ),
            "type": "language",
            "default": python_version(),
            "versions": {python_version(): version, str(sys.version_info.major): version},
        }
    }
