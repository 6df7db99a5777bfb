"""The errors processes raise: both are the user's doing, so HTTP 400."""

from __future__ import annotations

from openeo_gip.errors import ApiError


def process_error(code: str, message: str) -> ApiError:
    """An exception a process definition names (``DimensionNotAvailable``...)."""
    return ApiError(code, message, status=400)


def invalid(process: str, parameter: str, reason: str) -> ApiError:
    """``ProcessParameterInvalid`` for ``parameter`` of ``process``, saying why."""
    return ApiError("ProcessParameterInvalid", process=process, parameter=parameter, reason=reason)
