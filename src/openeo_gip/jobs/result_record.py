"""A finished job's raster results as a collection record, so ``load_result`` and ``load_stac`` read them
with the catalogue's reader: dates from the per-date GeoTIFF names (``result_2023-01-05.tif``) or the
netCDF time coordinate, band names from the band descriptions or netCDF variables."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from openeo_gip.catalog.scan import ScanError, raster_record
from openeo_gip.catalog.sidecar import Sidecar
from openeo_gip.config import Config
from openeo_gip.db.models import Job
from openeo_gip.jobs import job_folder
from openeo_gip.jobs.links import resolve_file
from openeo_gip.processes.load.job_results import UnusableResults
from openeo_gip.raster.records import CollectionRecord

RASTER_SUFFIXES = (".tif", ".tiff", ".nc")


def result_record(config: Config, job: Job) -> CollectionRecord:
    """The rasters of the job's first ``save_result`` that wrote any (a job saving twice has one folder per
    ``save_result``: ``part-1``, ``part-2``...); ``UnusableResults`` when it wrote none (a JSON or vector
    result) or they cannot be read."""
    folder = job_folder(config, job.user_id, job.id)
    groups: dict[str, list[Path]] = {}
    for entry in job.results or []:
        name = PurePosixPath(entry["file"])
        if name.suffix.lower() not in RASTER_SUFFIXES:
            continue
        path = resolve_file(folder, entry["file"])
        if path is not None:
            groups.setdefault(str(name.parent), []).append(path)
    if not groups:
        raise UnusableResults(f"batch job {job.id} has no raster results")
    files = sorted(groups[sorted(groups)[0]])
    try:
        return raster_record(job.id, "folder", folder, files, Sidecar(title=job.title))
    except (ScanError, ValueError, OSError) as exc:
        raise UnusableResults(f"the results of batch job {job.id} cannot be read ({exc})") from exc
