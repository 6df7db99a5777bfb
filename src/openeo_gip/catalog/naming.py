"""Time and band names from file names.

By default a date ``YYYYMMDD`` or ``YYYY-MM-DD`` (optionally followed by ``THHMMSS``/``THH:MM:SS``)
anywhere in the name is the time, and the last word of what remains (split at ``_``, ``-``, ``.``) is
the band candidate.
A sidecar may give ``file_pattern``: a regular expression with named groups ``time`` and/or ``band``, and
``time_format``: the ``strptime`` format of the ``time`` group. Users upload such sidecars with private
collections, so their patterns run on RE2, an engine without backtracking whose time grows linearly with
the name: ``^(a+)+$`` cannot hold the server for minutes as it would with Python's ``re``. RE2 lacks
look-around and back-references; a pattern using them is refused with a message saying so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import re2

from openeo_gip.model.dates import rfc3339

_DEFAULT_DATE = re.compile(
    r"(?<!\d)(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):?(?P<M>\d{2})(?::?(?P<S>\d{2}))?)?(?!\d)"
)
_WORD_SPLIT = re.compile(r"[_\-.\s]+")


@dataclass
class NameParts:
    datetime: str | None  # ISO UTC string
    band: str | None  # the band word of the name, if any


def compile_file_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2; ``ValueError`` saying why when RE2 cannot run it."""
    options = re2.Options()
    options.log_errors = False  # the reason goes to the user, not to the server's error output
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(
            f"file_pattern {pattern!r} cannot be used ({reason}); patterns run without backtracking, "
            "so look-around and back-references are not available"
        ) from None


class NamePattern:
    def __init__(self, file_pattern: str | None = None, time_format: str | None = None):
        self.regex = compile_file_pattern(file_pattern) if file_pattern else None
        self.time_format = time_format

    def parse(self, stem: str) -> NameParts:
        if self.regex is not None:
            return self._parse_configured(stem)
        return _parse_default(stem)

    def _parse_configured(self, stem: str) -> NameParts:
        match = self.regex.search(stem)
        if match is None:
            return NameParts(None, None)
        groups = match.groupdict()
        when = None
        if groups.get("time"):
            raw = groups["time"]
            stamp = dt.datetime.strptime(raw, self.time_format) if self.time_format else _flexible(raw)
            when = rfc3339(stamp) if stamp else None
        return NameParts(when, groups.get("band") or None)


def _parse_default(stem: str) -> NameParts:
    when = None
    rest = stem
    for match in _DEFAULT_DATE.finditer(stem):
        parts = {key: int(value) for key, value in match.groupdict().items() if value}
        try:
            stamp = dt.datetime(
                parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0)
            )
        except ValueError:
            continue  # eight digits that are not a date, e.g. an orbit number
        when = rfc3339(stamp)
        rest = stem[: match.start()] + "_" + stem[match.end() :]
        break
    words = [word for word in _WORD_SPLIT.split(rest) if word]
    return NameParts(when, words[-1] if words else None)


def _flexible(raw: str) -> dt.datetime | None:
    parsed = _parse_default(raw)
    return dt.datetime.fromisoformat(parsed.datetime.rstrip("Z")) if parsed.datetime else None
