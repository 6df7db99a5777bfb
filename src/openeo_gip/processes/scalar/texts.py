"""Text processes on single strings; null in gives null out."""

from __future__ import annotations

import math
from typing import Any

from openeo_gip.model.limits import MAX_TEXT_LENGTH
from openeo_gip.processes.errors import invalid
from openeo_gip.processes.registry import process


def _folded(text: str, case_sensitive: bool) -> str:
    return text if case_sensitive else text.casefold()


@process()
def text_begins(data: str | None, pattern: str, case_sensitive: bool = True) -> bool | None:
    if data is None:
        return None
    return _folded(data, case_sensitive).startswith(_folded(pattern, case_sensitive))


@process()
def text_ends(data: str | None, pattern: str, case_sensitive: bool = True) -> bool | None:
    if data is None:
        return None
    return _folded(data, case_sensitive).endswith(_folded(pattern, case_sensitive))


@process()
def text_contains(data: str | None, pattern: str, case_sensitive: bool = True) -> bool | None:
    if data is None:
        return None
    return _folded(pattern, case_sensitive) in _folded(data, case_sensitive)


@process()
def text_find(data: str | None, pattern: str, case_sensitive: bool = True) -> int | None:
    if data is None:
        return None
    position = _folded(data, case_sensitive).find(_folded(pattern, case_sensitive))
    return None if position < 0 else position


def as_text(value: Any) -> str:
    """A value written the way JSON writes it (``null``, ``true``, ``1``, ``-1.5``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


@process()
def text_concat(data: list, separator: Any = "") -> str:
    parts, glue = [as_text(value) for value in data], as_text(separator)
    if sum(map(len, parts)) + len(glue) * len(parts) > MAX_TEXT_LENGTH:  # doubling a text in each node
        raise invalid("text_concat", "data", f"the text would be longer than {MAX_TEXT_LENGTH} characters")
    return glue.join(parts)
