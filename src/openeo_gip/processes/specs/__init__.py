"""The metadata of every openEO process the project describes, one ``<id>.json`` file per process.

The facts (ids, parameters, schemas, defaults, return schemas, exception codes) follow openeo-processes
2.0.0-rc.2 and are refreshed with ``tools/process_facts.py``; the prose is the project's own.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources

# Processes the project describes that openeo-processes 2.0.0-rc.2 does not define (their facts have no
# official counterpart to compare with): load_result was part of openEO processes 1.x.
EXTENSIONS = frozenset({"load_result"})


@functools.cache
def _load_all() -> dict[str, dict]:
    specs: dict[str, dict] = {}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".json"):
            spec = json.loads(entry.read_text(encoding="utf-8"))
            specs[spec["id"]] = spec
    return dict(sorted(specs.items()))


def all_specs() -> dict[str, dict]:
    """Every process description by id (sorted by id). Cached: treat the dicts as read-only."""
    return _load_all()


def get_spec(process_id: str) -> dict | None:
    """The description of one process, or ``None`` when the project has none. A deep copy, so callers
    may change it freely."""
    spec = _load_all().get(process_id)
    return copy.deepcopy(spec) if spec is not None else None
