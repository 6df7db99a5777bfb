"""Copying a finished job's result files into its owner's files (``export_workspace``, or every job with
``jobs.export_results_to_files``). A copy that does not fit the quota is logged as the job's error and
skipped; the job still finishes and its results stay downloadable from the job."""

from __future__ import annotations

from pathlib import Path

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.jobs.store import JobLogger
from openeo_gip.results.pipeline import copy_results
from openeo_gip.workspace.copies import job_export_folder


def copy_job_results(
    config: Config,
    user_id: str,
    job_id: str,
    folder: Path,
    paths: list[Path],
    targets: list[str],
    logger: JobLogger,
) -> None:
    """Copy ``paths`` (the job's files in ``folder``) to each of ``targets`` (folders under the owner's
    files); with none asked for and the config option on, to ``jobs/<job id>``."""
    if not targets and config.jobs.export_results_to_files:
        targets = [job_export_folder(job_id)]

    def failed(target: str, error: Exception) -> None:
        if isinstance(error, ApiError):
            reason = error.message
        else:
            reason = f"the copy failed ({getattr(error, 'strerror', None) or type(error).__name__})."
        logger.error(
            f"The results were not copied to your files under '{target}/': {reason} "
            "They stay available as the job's results.",
            extra={"code": getattr(error, "code", "StorageFailure")},
        )

    for target, count in copy_results(config, user_id, folder, paths, targets, failed).items():
        logger.info(f"Copied {count} result file(s) to your files under '{target}/'.")
