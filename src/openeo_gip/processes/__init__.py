"""openEO processes: one function per process, registered with ``@process`` (``registry.py``).

Families, one sub-package each: ``scalar/`` (maths, logic, comparisons, texts, dates), ``arrays/`` (array
elements, labels, statistics), ``cube/`` (raster cube processes), ``load/`` (everything that brings data in),
``output/`` (``save_result``, ``export_workspace``, ``inspect``), ``vector/`` (vector cubes); ``udf.py`` is
``run_udf``. ``specs/`` holds each process's metadata; ``errors.py`` the errors processes raise;
``arraylike.py`` the element-wise helpers that scalar and array processes share.
"""
