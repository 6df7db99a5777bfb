"""What a file format declares about itself: how ``/file_formats`` lists it and, for output, how it is
written. Each writer module declares its format(s); ``formats/__init__.py`` collects them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# (data, folder, options, client) -> the files written into folder
Writer = Callable[[Any, Path, dict, Any], list[Path]]


@dataclass(frozen=True)
class InputFormat:
    name: str
    title: str
    description: str
    gis_data_types: tuple[str, ...]
    parameters: dict = field(default_factory=dict)

    def document(self) -> dict:
        """The entry of ``GET /file_formats``."""
        return {
            "title": self.title,
            "description": self.description,
            "gis_data_types": list(self.gis_data_types),
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class OutputFormat(InputFormat):
    media_type: str = "application/octet-stream"
    # The ending of the files written, so a written file's media type can be told from its name.
    suffix: str = ""
    write: Writer | None = None
    # For formats that write several files for one cube (GTiff: a file per date), the writer of one file
    # holding it all, for answers that are one file (a synchronous request).
    write_single: Writer | None = None
    # For vector data cubes, when they are written differently from raster cubes under the same name.
    write_vector: Writer | None = None
