"""Bounds on what one process graph may ask for, in one place (docs/security.md lists them).

A size a user chooses (a count, a repeat, a kernel, a nesting depth) decides how much memory or time the
server spends before anything can be checked later, so each is refused with ``ProcessParameterInvalid``
(or ``ProcessGraphInvalid`` for the graph's shape) before anything is allocated. Every bound is far above
what a real workflow uses: none of them should ever be met by a correct graph.
"""

from __future__ import annotations

# Levels of JSON nesting in a process (arrays and objects inside each other, a callback being about four
# levels): real graphs use a few dozen at most, while a few hundred exhaust Python's recursion in parsing,
# validating and evaluating.
MAX_PROCESS_NESTING = 100

# User-defined processes calling one another, one inside the next; a process calling itself, directly or
# through others, never ends (every argument is evaluated) and is refused whatever its depth.
MAX_USER_PROCESS_DEPTH = 32

# Runs of callbacks in one evaluation. On data cubes a callback runs once for all pixels; on plain arrays
# once per element (about 40 microseconds each), so this bounds a request to a few seconds of such work,
# where nested callbacks over large arrays would hold a server thread for hours.
MAX_CALLBACK_CALLS = 100_000

# Integers in a graph beyond what 64 bits hold are read as floating-point numbers, as JSON numbers are in
# most clients: numpy cannot hold them, and Python would compute with them digit by digit.
MAX_EXACT_INTEGER = 2**63 - 1

# Elements of one plain array a process builds (array_create, array_concat, array_append, array_modify):
# each is a Python object of tens of bytes, so this is tens of megabytes. Arrays of pixels are data cubes,
# which have no such bound.
MAX_ARRAY_LENGTH = 1_000_000

# Characters of one text a process builds (text_concat).
MAX_TEXT_LENGTH = 10_000_000

# Probabilities of one quantiles call: each adds a value per pixel to the result, and percentiles need 99.
MAX_QUANTILES = 10_000

# Rows or columns of an apply_kernel kernel: the convolution costs this squared per pixel; real filters
# are a few pixels wide.
MAX_KERNEL_EDGE = 101

# Pixels along one side of a window (aggregate_spatial_window size, apply_neighborhood size and overlap):
# one window is held at once in memory.
MAX_WINDOW_EDGE = 10_000

# Windows of one apply_neighborhood call: each runs the callback once, so more means a window far too small
# for the cube; refused instead of crawling.
MAX_WINDOWS = 4096

# Pixels along one side of a grid a process creates (resample_spatial): its coordinates are allocated at
# once, before the size checks of the results pipeline run.
MAX_GRID_EDGE = 1_000_000

# Points one vector_to_random_points or vector_to_regular_points call creates, so that a tiny distance
# cannot exhaust the server's memory.
MAX_POINTS = 1_000_000

# Parameters of one fit_curve model: each adds a column of derivatives per pixel and iteration, and the
# solver holds a square matrix of them; real models (harmonics, phenology curves) have fewer than ten.
MAX_CURVE_PARAMETERS = 100

# Edge of the internal tiles of a GeoTIFF result (GDAL allocates a whole tile per band).
MAX_TILE_SIZE = 4096
