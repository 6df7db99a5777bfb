"""Collection bundles: a ``.zip``, ``.tar.gz``/``.tgz`` or ``.tar`` uploaded as ``collections/NAME.<suffix>``
becomes the folder ``collections/NAME/``.

Unpacking trusts nothing in the archive: entries with absolute paths, ``..``, links, devices or odd
characters refuse the whole bundle; hidden entries (``.DS_Store``, ``__MACOSX/``) are skipped; the unpacked
bytes and the number of entries are limited while reading, whatever the archive claims. Everything goes to a
temporary folder first and replaces ``collections/NAME/`` only when complete and accepted, so a refused
bundle leaves nothing behind, and no file modes or owners from the archive are kept.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openeo_gip.config import Config
from openeo_gip.errors import ApiError
from openeo_gip.workspace import files_folder, folder_size, user_folder
from openeo_gip.workspace.files import RESERVE_STEP, FileInfo, check_place, describe, storage_failure, store
from openeo_gip.workspace.paths import checked_parts
from openeo_gip.workspace.quota import Reservation, user_quota
from openeo_gip.workspace.scratch import STAGING, scratch_folder

SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
SIDECAR = "collection.toml"
_CHUNK = 1024 * 1024


def bundle_folder_name(parts: list[str]) -> str | None:
    """``NAME`` for an upload to ``collections/NAME.zip`` (and the other suffixes); None for other paths."""
    if len(parts) != 2 or parts[0] != "collections":
        return None
    name = parts[1]
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # the configured largest bundle
    free: int  # what was left of the user's quota when unpacking began
    max_members: int
    # Reserves each piece in the user's quota before it is written, so that other writes of the user
    # meanwhile see it (free alone is what was left before they wrote).
    reservation: Reservation | None = None


@dataclass
class _Entry:
    name: str
    is_dir: bool
    size: int  # as the archive declares it
    refusal: str | None  # why this kind of entry is refused (links, devices, encryption)
    open: Callable[[], BinaryIO]


def _refused(message: str) -> ApiError:
    return ApiError("FileContentInvalid", f"The bundle was refused: {message}. Nothing was stored.")


def unpack_bundle(
    archive: Path,
    destination: Path,
    *,
    staging: Path,
    limits: Limits,
    check: Callable[[Path], None] | None = None,
) -> int:
    """Unpack ``archive`` and put its content at ``destination`` (a folder, replaced if there). ``check``
    may refuse the unpacked folder by raising ``ApiError``. Returns the bytes unpacked. The caller checks
    that no file of the user's stands in the way (``files.check_place``)."""
    try:
        staging.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=staging, prefix="bundle-"))
    except OSError as exc:
        raise storage_failure(exc) from exc
    try:
        total = _unpack_into(archive, work, limits)
        content = _content_root(work)
        if check is not None:
            check(content)
        # Under the quota's lock: a check walking the folder meanwhile would count the files nowhere.
        with limits.reservation.quota.locked() if limits.reservation else nullcontext():
            _put_in_place(content, destination, staging)
        return total
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unpack_into(archive: Path, work: Path, limits: Limits) -> int:
    total = declared = 0
    seen: set[str] = set()
    limit = min(limits.max_bytes, limits.free)
    with _entries(archive) as entries:
        for count, entry in enumerate(entries, start=1):
            if count > limits.max_members:
                raise _refused(f"it has more than {limits.max_members} entries")
            declared += entry.size  # skipped entries too: reading past them costs decompression time
            if declared > limit:
                raise _too_large(declared, limits)
            parts = _member_parts(entry.name)
            if entry.refusal is not None:
                raise _refused(f"entry '{entry.name}' {entry.refusal}")
            if not parts or any(part.startswith(".") or part == "__MACOSX" for part in parts):
                continue  # hidden files of the packing system, not data
            relative = "/".join(parts)
            if relative in seen:
                raise _refused(f"entry '{entry.name}' appears twice")
            seen.add(relative)
            total = _write_entry(entry, work.joinpath(*parts), total, limits)
    return total


def _write_entry(entry: _Entry, target: Path, total: int, limits: Limits) -> int:
    """Unpack one entry to ``target``; ``total`` is the bytes unpacked so far, the new one is returned.
    Faults reading the entry are the archive's (told by ``_entries``), faults writing it the server's."""
    if entry.is_dir:
        with _writing(entry.name):
            target.mkdir(parents=True, exist_ok=True)
        return total
    limit = min(limits.max_bytes, limits.free)
    with _writing(entry.name):
        target.parent.mkdir(parents=True, exist_ok=True)
        out = open(target, "xb")  # closed below, inside _writing: closing writes too
    try:
        with entry.open() as source:
            while chunk := source.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_large(total, limits)
                if limits.reservation is not None:
                    limits.reservation.cover(len(chunk))
                with _writing(entry.name):
                    out.write(chunk)
                if limits.reservation is not None:
                    limits.reservation.written(len(chunk))
        with _writing(entry.name):
            out.close()  # writes what is still buffered
    finally:
        with suppress(OSError):  # when already failing, the first error is the one to tell
            out.close()
    return total


@contextmanager
def _writing(name: str) -> Iterator[None]:
    """Writing an entry into the unpack folder: a clash between entries refuses the bundle, any other fault
    is the server's storage (a full disk...), not a damaged archive."""
    try:
        yield
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        raise _refused(f"entry '{name}' clashes with another entry") from None
    except OSError as exc:
        raise storage_failure(exc) from exc


def _member_parts(name: str) -> list[str]:
    """The entry's path segments, or a refusal when it could land outside the bundle's folder."""
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _refused(f"entry '{name}' has an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refused(f"entry '{name}' leads out of the bundle ('..')")
    if parts and not any(part.startswith(".") or part == "__MACOSX" for part in parts):  # skipped anyway
        try:
            checked_parts("/".join(parts))
        except ApiError as error:
            raise _refused(f"entry '{name}' has an unusable name ({error.message})") from None
    return parts


def _too_large(size: int, limits: Limits) -> ApiError:
    if size > limits.max_bytes:
        message = f"The bundle unpacks to more than the {limits.max_bytes} bytes allowed. Nothing was stored."
        return ApiError("FileSizeExceeded", message, size=limits.max_bytes)
    return ApiError("StorageQuotaExceeded")


@contextmanager
def _entries(archive: Path) -> Iterator[Iterator[_Entry]]:
    """The archive's entries, read one after the other; a damaged archive is refused."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                yield _zip_entries(bundle)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive, "r:*") as bundle:
                yield _tar_entries(bundle)
        else:
            raise _refused("it is neither a zip nor a tar archive (plain, gzip, bzip2 or xz)")
    except ApiError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _refused(f"it is not a readable zip or tar archive ({exc})") from None
    except (RuntimeError, ValueError) as exc:  # e.g. encrypted zip entries, broken headers
        raise _refused(f"it cannot be read ({exc})") from None


def _zip_entries(bundle: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in bundle.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)  # Unix file type; 0 when the packer gave none
        refusal = None
        if kind == stat.S_IFLNK:
            refusal = "is a link"
        elif kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            refusal = "is not a regular file"
        elif info.flag_bits & 0x1:
            refusal = "is encrypted"
        yield _Entry(
            info.filename, info.is_dir(), info.file_size, refusal, lambda info=info: bundle.open(info)
        )


def _tar_entries(bundle: tarfile.TarFile) -> Iterator[_Entry]:
    for member in bundle:
        refusal = None
        if member.issym() or member.islnk():
            refusal = "is a link"
        elif not (member.isreg() or member.isdir()):
            refusal = "is a device, pipe or other special file"
        yield _Entry(
            member.name,
            member.isdir(),
            member.size,
            refusal,
            lambda member=member: bundle.extractfile(member),
        )


def _content_root(work: Path) -> Path:
    """The unpacked folder holding ``collection.toml``: the top, or the one folder the bundle holds."""
    if (work / SIDECAR).is_file():
        return work
    children = list(work.iterdir())
    if len(children) == 1 and children[0].is_dir() and (children[0] / SIDECAR).is_file():
        return children[0]
    raise _refused(f"it holds no {SIDECAR} (at the top or in its single folder)")


def _put_in_place(content: Path, destination: Path, staging: Path) -> None:
    """Move ``content`` to ``destination``, replacing the folder there. When that fails the old folder is
    moved back; nothing stays in ``staging``, where it would count against the quota unseen."""
    old = staging / f"replaced-{uuid.uuid4().hex}"
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.is_dir():
            os.replace(destination, old)
        os.replace(content, destination)
    except OSError as exc:
        if old.exists() and not destination.exists():
            with suppress(OSError):
                os.replace(old, destination)
        raise storage_failure(exc) from exc
    finally:
        shutil.rmtree(old, ignore_errors=True)


def receive_bundle(
    config: Config,
    user_id: str,
    name: str,
    stream: BinaryIO,
    *,
    length: int | None,
    check: Callable[[Path], None] | None = None,
) -> FileInfo:
    """Store an uploaded bundle in the staging folder, unpack it to ``collections/NAME/`` within the
    user's quota, then drop the archive. The answer describes the collection's folder."""
    root = files_folder(config, user_id)
    destination = root / "collections" / name
    check_place(root, destination, folder=True)  # before any byte is received
    quota = user_quota(config, user_id, freed=folder_size(destination))
    # The archive and its unpacked content stay in one scratch folder of the staging, removed at the end.
    try:
        with scratch_folder(user_folder(config, user_id) / STAGING, "bundle-") as work:
            archive = work / "bundle.archive"
            max_file = config.quota.file_bytes
            store(work, archive, stream, length=length, staging=work, max_file=max_file, quota=quota)
            with open(work / "reserved", "wb") as reserved:
                limits = Limits(
                    max_bytes=config.quota.bundle_bytes,
                    free=quota.free(),  # the archive is still stored while unpacking, and counted
                    max_members=config.quota.bundle_members,
                    reservation=Reservation(quota, reserved.fileno(), RESERVE_STEP),
                )
                total = unpack_bundle(archive, destination, staging=work, limits=limits, check=check)
    except OSError as exc:  # making or removing the scratch folder: the server's storage
        raise storage_failure(exc) from exc
    info = describe(root, destination)
    return FileInfo(info.path, total, info.modified)
