"""Offline validation of STAC documents: against the STAC 1.1 core schemas that pystac ships
(``pystac.validation.jsonschemas``) and the schema of every extension the document declares, from
``tests/.stac-schemas/`` (installed by ``make stac-schemas``, tools/stac_schemas.py). Nothing is fetched:
pystac's own ``validate()`` would fetch what it has no copy of, and the tests run without a network.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema_specifications import REGISTRY as METASCHEMAS
from pystac.validation.local_validator import get_local_schema_cache
from referencing import Registry, Resource

ITEM = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
COLLECTION = "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json"
EXTENSIONS_FOLDER = Path(__file__).parents[1] / ".stac-schemas"


def _extension_schemas() -> dict[str, dict]:
    files = sorted(EXTENSIONS_FOLDER.glob("*.json"))
    assert files, f"no STAC extension schemas in {EXTENSIONS_FOLDER}: run `make stac-schemas`"
    schemas = [json.loads(path.read_text()) for path in files]
    return {schema["$id"].rstrip("#"): schema for schema in schemas}


@functools.cache
def _registry() -> Registry:
    schemas = get_local_schema_cache() | _extension_schemas()
    return METASCHEMAS.with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schemas.items()
    ).crawl()


def assert_valid_stac(document: dict[str, Any]) -> None:
    """``document`` (a STAC 1.1 Item or Collection) is valid under the core schema of its type and the
    schema of each extension it declares; an extension without a local schema fails."""
    assert document["stac_version"] == "1.1.0", document["stac_version"]
    core = ITEM if document["type"] == "Feature" else COLLECTION
    for uri in [core, *document.get("stac_extensions", [])]:
        schema = _registry().contents(uri)
        errors = sorted(Draft7Validator(schema, registry=_registry()).iter_errors(document), key=str)
        details = "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors[:5])
        assert not errors, f"invalid under {uri}:\n{details}"
