"""openeo-gip: an openEO back-end (API 1.2) on xarray and dask."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openeo-gip")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

API_VERSION = "1.2.0"
STAC_VERSION = "1.0.0"
