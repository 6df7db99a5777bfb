"""Checks of argument values against openEO parameter schemas (JSON Schema plus openEO subtypes)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

# Subtypes whose values only processes produce: no JSON literal is one of them.
COMPUTED_SUBTYPES = {"datacube", "raster-cube", "vector-cube", "process-graph"}


def alternatives(schema: Any) -> list[dict]:
    """A parameter schema is a schema or a list of schemas of which one must match."""
    if isinstance(schema, list):
        return [item for item in schema if isinstance(item, dict)]
    return [schema] if isinstance(schema, dict) else [{}]


@functools.lru_cache(maxsize=2048)
def _validator(schema_json: str) -> Draft7Validator:
    schema = json.loads(schema_json)
    return Draft7Validator(schema, format_checker=FormatChecker())


def literal_problem(value: Any, schema: Any) -> str | None:
    """Why a JSON literal does not match ``schema``, or ``None`` when it does."""
    reasons = []
    for option in alternatives(schema):
        if option.get("subtype") in COMPUTED_SUBTYPES:
            reasons.append(f"expected a {option['subtype']}, got a literal value")
            continue
        error = _first_error(value, option)
        if error is None:
            return None
        reasons.append(error)
    return reasons[0] if len(reasons) == 1 else "it matches none of the allowed types: " + "; ".join(reasons)


# Not checked up front: the processes define their own answers for numbers out of range (``arccos(2)``
# is NaN, ``array_element`` with index -1 raises ``ArrayElementNotAvailable``), as the official cases show.
_UNCHECKED = {
    "subtype",
    "parameters",
    "returns",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
}


def _first_error(value: Any, schema: dict) -> str | None:
    plain = {key: item for key, item in schema.items() if key not in _UNCHECKED}
    try:
        validator = _validator(json.dumps(plain, sort_keys=True, allow_nan=True))
        error = next(iter(validator.iter_errors(value)), None)
    except (TypeError, ValueError):  # a value JSON cannot express (NaN in a set...) is left to the process
        return None
    if error is None:
        return None
    return error.message if len(error.message) < 200 else error.message[:200] + "..."


def kinds(schema: Any) -> set[str] | None:
    """The kinds of value a schema allows (``None``: anything), with cubes and callbacks as own kinds."""
    found: set[str] = set()
    for option in alternatives(schema):
        subtype = option.get("subtype")
        if subtype in ("datacube", "raster-cube", "vector-cube"):
            found.add("datacube")
            continue
        if subtype == "process-graph":
            found.add("process-graph")
            continue
        types = option.get("type")
        if types is None:
            if "anyOf" in option or "oneOf" in option:
                nested = [kinds(item) for item in option.get("anyOf", option.get("oneOf"))]
                if any(item is None for item in nested):
                    return None
                found |= set().union(*nested)
                continue
            return None
        for name in [types] if isinstance(types, str) else types:
            found.add("number" if name == "integer" else name)
    return found


def kinds_compatible(produced: Any, wanted: Any) -> bool:
    """Whether a value of schema ``produced`` may be what a parameter of schema ``wanted`` receives."""
    have, need = kinds(produced), kinds(wanted)
    if have is None or need is None:
        return True
    return bool(have & need)
