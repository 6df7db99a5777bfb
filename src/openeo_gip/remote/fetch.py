"""Reading what users point at: http(s) addresses and local paths confined to the allowed folders.

``load_stac`` and ``load_url`` fetch documents and files named by users. Local paths are only read inside
the folders the caller allows (the data root and the user's own workspace), so a graph can never read
another user's files or the server's; http(s) answers are size-capped and time-limited.

Every http(s) address must also resolve to public internet addresses only (``check_address``) unless the
operator sets ``[remote] allow_private_addresses``: otherwise any user could make the server request its
own loopback services (the API, Dask's scheduler), the lab's private machines or a cloud's metadata
service at 169.254.169.254. What this module fetches has each redirect hop checked. Two gaps remain: the
name is resolved again when connecting (a host could answer differently the second time), and GDAL,
which reads remote rasters itself, follows redirects unchecked; docs/data.md advises a firewall.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import requests

from openeo_gip.errors import ApiError
from openeo_gip.raster.gdal_open import HTTP_TIMEOUT_SECONDS

MAX_DOCUMENT_BYTES = 50 * 1024**2  # one JSON document (a STAC page, a GeoJSON file)
MAX_DOWNLOAD_BYTES = 2 * 1024**3  # one downloaded raster file
KEEP_DOWNLOADS_SECONDS = 24 * 3600
_CHUNK = 1024 * 1024
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)

# Makes the error the user sees from the reason an address cannot be read.
Failure = Callable[[str], ApiError]
# Raises (through a ``Failure``) for an address the server must not request; see ``address_check``.
AddressCheck = Callable[[str], None]
# Host and port to the IP addresses they resolve to (a parameter so that tests can name the answers).
Resolver = Callable[[str, int], list[str]]


def is_http(href: str) -> bool:
    return well_formed(href) and urlparse(href).scheme.lower() in ("http", "https")


def well_formed(url: str) -> bool:
    """Whether ``url`` can be taken apart at all (``http://[::1/`` cannot: its brackets do not close)."""
    try:
        urlparse(url).port  # noqa: B018 - reading the port checks it
    except ValueError:
        return False
    return True


def check_address(
    url: str, fail: Failure, allow_private: bool = False, resolve: Resolver | None = None
) -> None:
    """Raise ``fail(reason)`` unless ``url`` is http(s) and its host resolves, and (unless
    ``allow_private``) every address it resolves to is a public internet address: a host with one
    private address among public ones could still be connected to through that one."""
    if not well_formed(url):
        raise fail(f"{url} is not a valid address")
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https"):
        raise fail(f"{url}: only http(s) addresses can be fetched")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:  # a port that is not a number
        raise fail(f"{url} is not a valid address") from None
    if not host:
        raise fail(f"{url} names no host")
    port = port or (443 if parsed.scheme.lower() == "https" else 80)
    try:
        addresses = (resolve or _resolve)(host, port)
    except OSError:
        addresses = []
    if not addresses:
        raise fail(f"{url}: the host name {host} cannot be resolved")
    if allow_private:
        return
    if not all(is_public(address) for address in addresses):
        raise fail(
            f"{url}: {host} is not a public internet address (loopback, private network, link-local or "
            "reserved), so this server does not fetch it; its operator can allow such addresses with "
            "allow_private_addresses = true in the [remote] section of the configuration"
        )


def is_public(address: str) -> bool:
    """Whether an IP address (text, as ``getaddrinfo`` gives it) is a unicast public internet address.
    IPv6 forms that carry an IPv4 address (``::ffff:a.b.c.d``, 6to4) count as that address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def address_check(fail: Failure, allow_private: bool, resolve: Resolver | None = None) -> AddressCheck:
    """``check_address`` with these settings, resolving each scheme, host and port once: for the pages
    and assets of one request, which mostly share a few hosts. Its answers are kept only as long as the
    returned function is (one ``load_stac`` or ``load_url`` call)."""
    passed: set[tuple[str, str]] = set()

    def check(url: str) -> None:
        parsed = urlparse(url)
        key = (parsed.scheme.lower(), parsed.netloc.lower())
        if key not in passed:
            check_address(url, fail, allow_private, resolve)
            passed.add(key)

    return check


def request(method: str, url: str, fail: Failure, check: AddressCheck, **kwargs) -> requests.Response:
    """A streamed ``requests`` call that follows at most ``MAX_REDIRECTS`` redirects itself, passing every
    address to ``check`` first: requests would follow them unchecked, to any address. Close the answer
    (``with``)."""
    for _ in range(MAX_REDIRECTS + 1):
        check(url)
        try:
            response = requests.request(
                method, url, stream=True, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            raise fail(f"{url} cannot be reached ({type(exc).__name__})") from None
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECT_STATUSES or not location:
            return response
        response.close()
        if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
            method = "GET"  # what browsers and requests do: the body is not sent again
            kwargs = {key: value for key, value in kwargs.items() if key not in ("json", "data")}
        url = urljoin(url, location)
    raise fail(f"{url}: more than {MAX_REDIRECTS} redirects")


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


def fetch_bytes(
    url: str,
    fail: Failure,
    check: AddressCheck,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    method: str = "GET",
    **kwargs,
) -> bytes:
    """The body of the answer to ``url`` (``kwargs`` as for ``requests``); too large, unreachable,
    refused by ``check`` or not 200: ``fail(reason)``."""
    try:
        with request(method, url, fail, check, **kwargs) as response:
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


def download(
    url: str,
    folder: Path,
    suffix: str,
    fail: Failure,
    check: AddressCheck,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Store the body of ``url`` in ``folder`` under the hash of its content (so a file a running
    computation reads is never replaced), and remove downloads nobody asked for in a day."""
    folder.mkdir(parents=True, exist_ok=True)
    _forget_old(folder)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out, request("GET", url, fail, check) as response:
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
