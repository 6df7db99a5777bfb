"""The small synthetic rasters of tests/support/catalogs.py, as fixtures of the reader tests."""

from tests.support.catalogs import data_root, s2

__all__ = ["data_root", "s2"]
