"""Processes that hand results out of a graph: ``save_result``, ``export_workspace`` and ``inspect``."""
