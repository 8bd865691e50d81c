"""Files the service keeps (frames, reports, ...): written whole or not at all, through the
named storages (``settings.STORAGES``), and checked against their SHA-256 when read.

Writing: on the file system, a temporary file in the same folder renamed over the name (a
crash leaves the old file or none); on object storage, a local temporary file uploaded once
(one PUT, or a multipart upload that only appears when complete): a reader never sees part
of a file. Reading: the stored SHA-256 is checked over the whole file before the first byte
is handed out, so a changed file is refused, never served half-way.
"""

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

from audits.core.errors import StateConflict

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class StoredFileUnreadable(StateConflict):
    """The stored file is missing or changed since it was written (HTTP 409)."""


class StorageUnavailable(StoredFileUnreadable):
    """The storage cannot be reached just now (HTTP 503): try again later."""

    status_code = 503


UNAVAILABLE = "The file storage cannot be reached just now. Try again in a few minutes."


def write_atomically(path: Path, write):
    """Write through a temporary file in the same folder, then rename: a crash leaves the
    old file or none, never half of one. Returns what ``write(stream)`` returns."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            result = write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result


def local_path(storage_name: str, name: str) -> Path | None:
    """The file's path when the storage is a local folder, else None (object storage)."""
    storage = storages[storage_name]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.path(name))
    return None


def sha256_of(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def store(storage_name: str, name: str, write) -> tuple[object, str]:
    """Write ``name`` in the storage whole or not at all with ``write(stream)`` (a real
    local binary file, seekable). Returns ``(what write returned, the file's SHA-256)``.
    The same name is overwritten (a retried job rewrites its own files)."""
    storage = storages[storage_name]
    path = local_path(storage_name, name)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)

        result = write_atomically(path, write)
        # Read back once (from the page cache): the hash is of the bytes on disk, and the
        # writers (gzip, reportlab, TextIOWrapper) get a real file, not a hashing wrapper.
        with path.open("rb") as again:
            return result, sha256_of(again)
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as stream:
        result = write(stream)
        stream.flush()
        stream.seek(0)
        digest = sha256_of(stream)
        stream.seek(0)
        try:
            saved = storage.save(name, File(stream, name=name))
        except Exception as error:  # the object store is down or refused the upload
            log.error("writing %s to the %s storage failed: %r", name, storage_name, error)
            raise StorageUnavailable(UNAVAILABLE) from error
    if saved != name:  # an overwriting backend keeps the name; anything else is a bug here
        storage.delete(saved)
        raise RuntimeError(f"the {storage_name} storage renamed {name!r} to {saved!r}")
    return result, digest


def delete_quietly(storage_name: str, name: str) -> None:
    """Remove a file written for something that then failed; never raises."""
    try:
        storages[storage_name].delete(name)
    except Exception:
        log.warning("could not remove %s from the %s storage", name, storage_name)


def open_checked(storage_name: str, name: str, sha256: str | None, *, what: str):
    """The stored file open for reading at its start, after its SHA-256 was checked over
    the whole file (object storage: downloaded once into a local spool file). ``sha256``
    None: a file stored before hashes were kept, not checked. Raises StoredFileUnreadable
    (logged) when it is missing, changed or the storage cannot be reached."""
    storage = storages[storage_name]
    try:
        stream = storage.open(name, "rb")
    except FileNotFoundError:
        log.error("%s: the stored file %s is missing from the %s storage", what, name, storage_name)
        raise StoredFileUnreadable(
            f"The stored {what} cannot be found. Ask an administrator to restore it."
        ) from None
    except Exception as error:  # the storage service is down or refused us
        log.error("%s: the %s storage cannot be read: %r", what, storage_name, error)
        raise StorageUnavailable(UNAVAILABLE) from None
    try:
        if sha256:
            found = sha256_of(stream)
            if found != sha256:
                log.error(
                    "%s: the stored file %s does not match its SHA-256 (stored %s, found %s)",
                    what,
                    name,
                    sha256,
                    found,
                )
                raise StoredFileUnreadable(
                    f"The stored {what} has changed since it was written, so it is not "
                    "served. Ask an administrator to restore it from a backup."
                )
            stream.seek(0)
    except StoredFileUnreadable:
        stream.close()
        raise
    except Exception as error:
        stream.close()
        log.error("%s: reading %s from the %s storage failed: %r", what, name, storage_name, error)
        raise StorageUnavailable(UNAVAILABLE) from None
    return stream
