"""Turning a path a user sent into a file inside their folder, or ``FilePathInvalid``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from openeo_gip.errors import ApiError

# After the one URL decoding the server does, these can only mean someone tries to smuggle a separator
# or a parent reference through a second decoding step somewhere.
_ENCODED_TRICK = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
_FORBIDDEN_CHARS = set("\\:'\"\r\n\x00")
MAX_PATH_LENGTH = 1024
MAX_NAME_BYTES = 255  # one file or folder name, UTF-8 encoded (Linux NAME_MAX)


def _invalid(reason: str) -> ApiError:
    return ApiError("FilePathInvalid", reason=reason)


def checked_parts(raw: str) -> list[str]:
    """The path's segments, after refusing everything that could leave the user's folder."""
    if not raw or raw.startswith("/"):
        raise _invalid("it must be a relative path such as 'folder/file.tif'")
    if len(raw) > MAX_PATH_LENGTH:
        raise _invalid(f"it is longer than {MAX_PATH_LENGTH} characters")
    if _FORBIDDEN_CHARS & set(raw) or any(ord(char) < 32 for char in raw):
        raise _invalid("backslashes, colons, quotes and control characters are not allowed")
    if _ENCODED_TRICK.search(raw):
        raise _invalid("percent-encoded dots and separators are not allowed")
    parts = raw.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise _invalid("empty, '.' and '..' segments are not allowed")
    if any(part.startswith(".") for part in parts):
        raise _invalid("names starting with a dot are reserved")
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in parts):
        raise _invalid(f"a file or folder name is longer than {MAX_NAME_BYTES} bytes")
    return parts


def resolve_in(root: Path, raw: str) -> Path:
    """``root/raw`` when it stays inside ``root`` even after following links that already exist."""
    target = root.joinpath(*checked_parts(raw))
    real_root = os.path.realpath(root)
    real_target = os.path.realpath(target)
    if os.path.commonpath([real_root, real_target]) != real_root:
        raise _invalid("it leads outside your workspace")
    return target
