"""Processes on openEO arrays (``ArrayView``s along one dimension of a cube, or plain lists): elements,
labels and statistics."""
