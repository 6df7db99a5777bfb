"""Offline validation of STAC documents against the STAC 1.1 core JSON schemas that pystac ships
(``pystac.validation.jsonschemas``): nothing is fetched, the tests run without a network.

pystac's own ``validate()`` fetches every schema it has no copy of (the extensions' among them) over the
network, so the schemas are resolved here from its local copies only: a reference to anything else fails.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft7Validator
from jsonschema_specifications import REGISTRY as METASCHEMAS
from pystac.validation.local_validator import get_local_schema_cache
from referencing import Registry, Resource

ITEM = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
COLLECTION = "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json"


@functools.cache
def _registry() -> Registry:
    resources = [(uri, Resource.from_contents(schema)) for uri, schema in get_local_schema_cache().items()]
    return METASCHEMAS.with_resources(resources).crawl()


def assert_valid_stac(document: dict[str, Any]) -> None:
    """``document`` (a STAC 1.1 Item or Collection) is valid under the core schema of its type."""
    assert document["stac_version"] == "1.1.0", document["stac_version"]
    uri = ITEM if document["type"] == "Feature" else COLLECTION
    schema = _registry().contents(uri)
    errors = sorted(Draft7Validator(schema, registry=_registry()).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors[:5])
