"""From an evaluated process graph to files: what to write, computing each value, writing, copying.

Without ``save_result`` a graph's value is written as JSON, for ``POST /result`` and batch jobs alike
(clients' ``execute()`` reads JSON; ``download()`` and ``create_job()`` add a ``save_result`` themselves).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import xarray as xr

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.formats import write_result
from openeo_gip.model.values import ArrayView, ProcessContext, SaveRequest
from openeo_gip.results.compute import Canceled, Deadline, computed, never, release
from openeo_gip.workspace.copies import copy_into_files

DEFAULT_FORMAT = "JSON"


def planned_results(value: Any, ctx: ProcessContext) -> list[SaveRequest]:
    """What to write: what ``save_result`` asked for during evaluation, else ``value`` as JSON."""
    return list(ctx.saved) or [SaveRequest(value, DEFAULT_FORMAT)]


def check_size(requests: list[SaveRequest], max_values: int) -> None:
    """Refuse, before any computing, results with more values than a synchronous request may make."""
    count = sum(_value_count(request.data) for request in requests)
    if count > max_values:
        raise ApiError(
            "ProcessGraphComplexity",
            f"The result would have {count:,} values, more than the {max_values:,} a synchronous request "
            "may compute; run it as a batch job (POST /jobs) instead.",
        )


def needs_cluster(requests: list[SaveRequest]) -> bool:
    """Whether any requested value is still to be computed (a plain value needs no cluster started)."""
    return any(dask.is_dask_collection(_unwrapped(request.data)) for request in requests)


def _unwrapped(value: Any) -> Any:
    return value.data if isinstance(value, ArrayView) else value


def _value_count(value: Any) -> int:
    value = _unwrapped(value)
    return int(value.size) if isinstance(value, xr.DataArray) else 0


@dataclass
class Watch:
    """How a caller bounds and follows the computing of its results."""

    deadline: Deadline | None = None
    should_stop: Callable[[], bool] = never
    # Called with the index of the result and the fraction of its chunks computed: 0.0 before its
    # computing starts, 1.0 once its files are written.
    on_progress: Callable[[int, float], None] = lambda index, fraction: None
    # Entered around every submission to the cluster (batch jobs tag their tasks with it).
    scope: Callable[[], AbstractContextManager] = nullcontext


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    # The in-memory size of the computed values (the duration model of job estimates uses it).
    computed_bytes: float = 0.0


def write_results(
    requests: list[SaveRequest],
    folder: Path,
    client: Any,
    watch: Watch | None = None,
    single_files: bool = False,
) -> Written:
    """Compute each requested value on ``client`` and write it into ``folder`` (``part-N/`` each when there
    are several); ``Canceled`` or ``RequestTimeout`` when ``watch`` says stop. With ``single_files`` each
    value becomes one file where its format can hold it so (a synchronous answer is one download)."""
    watch = watch or Watch()
    written = Written()
    for index, request in enumerate(requests):
        if watch.should_stop():
            raise Canceled()
        watch.on_progress(index, 0.0)
        with watch.scope():
            data = computed(
                request.data,
                client,
                deadline=watch.deadline,
                should_stop=watch.should_stop,
                on_progress=lambda fraction, index=index: watch.on_progress(index, fraction),
            )
        try:
            written.computed_bytes += float(getattr(data, "nbytes", 0) or 0)
            if watch.should_stop():
                raise Canceled()
            target = folder if len(requests) == 1 else folder / f"part-{index + 1}"
            with watch.scope():
                written.files += write_result(
                    SaveRequest(data, request.format, request.options),
                    target,
                    client=client,
                    single_file=single_files,
                )
        finally:
            release(data)
        watch.on_progress(index, 1.0)
    return written


def copy_results(
    config: Config,
    user_id: str,
    folder: Path,
    files: list[Path],
    targets: list[str],
    on_failure: Callable[[str, Exception], None] | None = None,
) -> dict[str, int]:
    """Copy the written ``files`` (below ``folder``) to each of ``targets``, folders under the user's files
    (``export_workspace``); how many files each got. A copy that fails raises, or goes to ``on_failure``
    and the others go on."""
    copied = {}
    for target in dict.fromkeys(targets):
        try:
            copied[target] = len(copy_into_files(config, user_id, folder, files, target))
        except (ApiError, OSError) as error:
            if on_failure is None:
                raise
            on_failure(target, error)
    return copied
