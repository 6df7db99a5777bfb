"""Processes that bring data into a graph: collections, STAC, URLs, uploaded files and earlier job results."""
