"""The process engine: parse and validate process graphs, then evaluate them lazily.

Conventions every process implementation follows (see ``processes/``):

- A process is a plain function registered with ``@process`` (``openeo_gip.processes.registry``). It receives
  the already-evaluated arguments as keyword arguments named exactly like the openEO parameters; omitted
  optional arguments get the function's defaults, which equal the official defaults. A process that needs
  the request (user, services, logger, node id) declares a keyword-only parameter ``ctx`` and receives a
  ``ProcessContext``.
- Values are: ``None`` (openEO null), bool, int, float, str, list, dict, ``xarray.DataArray`` (a raster data
  cube, dask-backed, with openEO dimension names ``x``, ``y``, ``t``, ``bands`` or others; nodata is NaN),
  ``ArrayView`` (see ``openeo_gip.model.values``) and ``Callback``.
- A child process graph (``reducer``, ``process``, ``overlap_resolver``...) arrives as a ``Callback``; calling
  it with keyword arguments (``callback(data=..., context=...)``) evaluates the child graph once.
- Callbacks are vectorised: ``reduce_dimension`` passes ``data=ArrayView(cube, dim)``, the whole cube with the
  reduced dimension still present; array processes (``mean``, ``array_element``...) then work along
  ``view.dim`` on the whole cube at once, and elementwise processes (``add``, ``gt``...) work on DataArrays,
  numpy arrays and scalars alike by broadcasting.
- Errors a user can cause are ``ApiError``s (``openeo_gip.errors``); the evaluator adds the node id and
  process id to the message of anything raised while computing.
"""
