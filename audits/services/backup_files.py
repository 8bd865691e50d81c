"""The files half of a backup: every object of every named storage (settings.FILE_STORAGES),
read and written through Django's storage API only (``listdir``, ``open``, ``save``,
``exists``, ``delete``), so the same code copies a local folder or an S3 bucket.

One storage may lie inside another (the report storage's folder holds the frames' folder
on the file system): a storage's walk leaves out the part that belongs to a storage nested
in it, so each object is copied once, under the storage that names it.
"""

import hashlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

CHUNK = 1024 * 1024


def _root(storage) -> tuple:
    """Where a storage keeps its objects: (kind, place, prefix parts)."""
    bucket = getattr(storage, "bucket_name", None)
    if bucket is not None:
        location = str(getattr(storage, "location", "") or "")
        return ("bucket", bucket, tuple(part for part in location.split("/") if part))
    location = getattr(storage, "location", None)
    if location is None:
        return ("other", id(storage), ())
    return ("folder", "", Path(location).resolve().parts)


def nested_prefixes(name: str) -> list[str]:
    """The names under ``name``'s storage that belong to another storage nested in it."""
    kind, place, parts = _root(storages[name])
    prefixes = []
    for other in settings.FILE_STORAGES:
        other_kind, other_place, other_parts = _root(storages[other])
        if (other_kind, other_place) != (kind, place) or other_kind == "other":
            continue
        if len(other_parts) > len(parts) and other_parts[: len(parts)] == parts:
            prefixes.append("/".join(other_parts[len(parts) :]))
    return prefixes


def storage_holding(path: Path) -> str | None:
    """The file storage whose folder holds ``path``, if any (a backup must not copy itself)."""
    parts = Path(path).resolve().parts
    for name in settings.FILE_STORAGES:
        kind, _, root = _root(storages[name])
        if kind == "folder" and parts[: len(root)] == root:
            return name
    return None


def storage_names(name: str, *, limit: int | None = None) -> Iterator[str]:
    """Every object's name in the storage (depth first, sorted), nested storages left out."""
    storage = storages[name]
    skip = set(nested_prefixes(name))
    found = 0
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            continue  # a folder storage that was never written to
        for file_name in sorted(files):
            yield f"{folder}/{file_name}" if folder else file_name
            found += 1
            if limit is not None and found >= limit:
                return
        for sub in sorted(folders, reverse=True):
            path = f"{folder}/{sub}" if folder else sub
            if path not in skip:
                pending.append(path)


def storages_with_files() -> list[str]:
    return [name for name in settings.FILE_STORAGES if next(storage_names(name, limit=1), None)]


def copy_out(name: str, object_name: str, target: Path) -> dict:
    """Copy one object into the backup folder; its SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with storages[name].open(object_name, "rb") as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def stored_sha256(name: str, object_name: str) -> str | None:
    """The SHA-256 of a stored object as the storage returns it; None when it is absent."""
    storage = storages[name]
    if not storage.exists(object_name):
        return None
    digest = hashlib.sha256()
    with storage.open(object_name, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_in(name: str, object_name: str, source: Path, *, replace: bool) -> None:
    """Write one object back under its own name (a storage that would rename it: refused)."""
    storage = storages[name]
    if replace and storage.exists(object_name):
        storage.delete(object_name)
    with source.open("rb") as stream:
        saved = storage.save(object_name, File(stream, name=PurePosixPath(object_name).name))
    if saved != object_name:
        storage.delete(saved)
        raise OSError(f"storage {name!r} stored {object_name!r} as {saved!r}")
