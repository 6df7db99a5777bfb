"""Synthetic but plausible rasters for the demo (``openeo-gip demo-data``) and for the tests."""
