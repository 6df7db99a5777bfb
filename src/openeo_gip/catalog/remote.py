"""Reading what users point at: http(s) addresses and local paths confined to the allowed folders.

``load_stac`` and ``load_url`` fetch documents and files named by users. Local paths are only read inside
the folders the caller allows (the data root and the user's own workspace), so a graph can never read
another user's files or the server's; http(s) answers are size-capped and time-limited.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

from openeo_gip.errors import ApiError

TIMEOUT_SECONDS = 30
MAX_DOCUMENT_BYTES = 50 * 1024**2  # one JSON document (a STAC page, a GeoJSON file)
MAX_DOWNLOAD_BYTES = 2 * 1024**3  # one downloaded raster file
KEEP_DOWNLOADS_SECONDS = 24 * 3600
_CHUNK = 1024 * 1024

# GDAL reads remote assets with libcurl; without a timeout an address that never answers would block a
# request (or a dask worker) for good. Set only when the operator has not chosen other values.
os.environ.setdefault("GDAL_HTTP_TIMEOUT", str(TIMEOUT_SECONDS))
os.environ.setdefault("GDAL_HTTP_CONNECTTIMEOUT", "10")
os.environ.setdefault("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")  # no directory listing per remote file

# Makes the error the user sees from the reason an address cannot be read.
Failure = Callable[[str], ApiError]


def is_http(href: str) -> bool:
    return urlparse(href).scheme.lower() in ("http", "https")


def local_path(href: str, allowed: Iterable[Path], fail: Failure) -> Path:
    """``href`` (a path or ``file://`` URL) as a path inside one of the ``allowed`` folders, after
    following links; anything else (other schemes, GDAL ``/vsi`` paths, other folders) is refused."""
    parsed = urlparse(href)
    if parsed.scheme.lower() == "file":
        if parsed.netloc not in ("", "localhost"):
            raise fail(f"{href!r}: file URLs on other hosts are not supported")
        raw = unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:  # a one-letter scheme is a Windows drive
        raise fail(f"{href!r}: only http(s) addresses and paths on this server can be read")
    else:
        raw = href
    if not raw.startswith("/") or raw.startswith("/vsi") or "\x00" in raw:
        raise fail(f"{href!r} is not an absolute path")
    real = os.path.realpath(raw)
    for folder in allowed:
        root = os.path.realpath(folder)
        if os.path.commonpath([root, real]) == root:
            return Path(real)
    raise fail(f"{href!r} is outside the data folders and your workspace")


def fetch_bytes(url: str, fail: Failure, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The body of a GET of ``url``; too large, unreachable or not 200: ``fail(reason)``."""
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT_SECONDS) as response:
            if response.status_code != 200:
                raise fail(f"{url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise fail(f"{url} is larger than {max_bytes // 1024**2} MiB")
            return bytes(body)
    except requests.RequestException as exc:
        raise fail(f"{url} cannot be reached ({type(exc).__name__})") from None


def download(url: str, folder: Path, suffix: str, fail: Failure, max_bytes: int = MAX_DOWNLOAD_BYTES) -> Path:
    """Store the body of ``url`` in ``folder`` under the hash of its content (so a file a running
    computation reads is never replaced), and remove downloads nobody asked for in a day."""
    folder.mkdir(parents=True, exist_ok=True)
    _forget_old(folder)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out, requests.get(url, stream=True, timeout=TIMEOUT_SECONDS) as response:
            if response.status_code != 200:
                raise fail(f"{url} answered HTTP {response.status_code}")
            size = 0
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise fail(f"{url} is larger than {max_bytes // 1024**2} MiB")
                digest.update(chunk)
                out.write(chunk)
        target = folder / f"{digest.hexdigest()}{suffix}"
        os.replace(tmp, target)
        return target
    except requests.RequestException as exc:
        raise fail(f"{url} cannot be reached ({type(exc).__name__})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_DOWNLOADS_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:  # removed by another process meanwhile
            pass
