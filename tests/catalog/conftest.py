"""The small synthetic rasters of tests/support/catalogs.py, as fixtures of the catalogue tests."""

from tests.support.catalogs import data_root, s2

__all__ = ["data_root", "s2"]
