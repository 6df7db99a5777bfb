"""Drawing a tile end to end: from the cache, or evaluated (``layer.py``) or warped (``job_preview.py``),
then rendered (``render.py``) and kept in the cache. What the tile views call."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from openeo_gip.db.accounts import get_user
from openeo_gip.db.models import Service
from openeo_gip.db.services import write_service_log
from openeo_gip.errors import ApiError, internal_error
from openeo_gip.services.job_preview import file_tile_values
from openeo_gip.services.layer import tile_values
from openeo_gip.services.render import Style, render_png, transparent_png
from openeo_gip.services.tiles import Tile
from openeo_gip.services.types import style_of

log = logging.getLogger(__name__)


def service_tile(services: Any, service: Service, tile: Tile) -> bytes:
    """The PNG of ``tile`` of ``service``: cached per service version, else drawn from its process as
    its owner. A failing tile is logged in the service's log and raises its openEO error."""
    key = (service.id, service.version, tile.z, tile.x, tile.y)
    cached = services.tiles.get(key)
    if cached is not None:
        return cached
    owner = get_user(services.db, service.user_id)
    configuration = service.configuration or {}
    try:
        values = tile_values(services, owner, service.process, tile, configuration.get("bands"), log)
        picture = transparent_png() if values is None else render_png(values, style_of(configuration))
    except ApiError as error:
        _log_failure(services, service, tile, error)
        raise
    except Exception as error:
        failure = internal_error(log, f"Tile {tile.z}/{tile.x}/{tile.y} of service {service.id}", error)
        _log_failure(services, service, tile, failure)
        raise failure from error
    services.tiles.put(key, picture)
    services.tile_counts.add(service.id)
    return picture


def file_tile(services: Any, path: Path, tile: Tile) -> bytes:
    """The PNG of ``tile`` of a finished result file, cached by its path and time of writing (a job run
    again rewrites its files at the same paths)."""
    key = (str(path), path.stat().st_mtime_ns, tile.z, tile.x, tile.y)
    cached = services.tiles.get(key)
    if cached is None:
        cached = render_png(file_tile_values(path, tile), Style())
        services.tiles.put(key, cached)
    return cached


def _log_failure(services: Any, service: Service, tile: Tile, error: ApiError) -> None:
    message = f"Tile {tile.z}/{tile.x}/{tile.y}: {error.message}"
    write_service_log(services.db, service.id, "error", message, error.code)
