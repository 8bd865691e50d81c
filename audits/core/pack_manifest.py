"""An inspection pack's manifest, made and checked: plain data in, plain data out.

The manifest lists every other file of the pack with its SHA-256 and size, and names what
the pack is about (the cycle, the frame hash, the report hash, when and by whom it was
built). It cannot list itself: whoever holds a pack checks the manifest's own SHA-256 (or
the whole zip's) against the one CaseAssure shows on the pack's page.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "caseassure-inspection-pack/1"


@dataclass(frozen=True)
class PackedFile:
    path: str
    sha256: str
    size: int


def manifest_build(
    files: Iterable[PackedFile],
    *,
    cycle: Mapping,
    frame_hash: str | None,
    report_hash: str | None,
    built_at: str,
    built_by: str,
) -> dict:
    """The manifest of a pack holding ``files`` (every file but the manifest)."""
    listed = sorted(files, key=lambda item: item.path)
    paths = [item.path for item in listed]
    if MANIFEST_NAME in paths or len(set(paths)) != len(paths):
        raise ValueError("a pack lists each file once, and never the manifest itself")
    return {
        "format": MANIFEST_FORMAT,
        "cycle": dict(cycle),
        "frame_hash": frame_hash,
        "report_hash": report_hash,
        "built_at": built_at,
        "built_by": built_by,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in listed],
    }


def manifest_bytes(manifest: dict) -> bytes:
    """The manifest as stored: sorted keys, so its SHA-256 is the same for the same pack."""
    return (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_problems(manifest: object, found: Iterable[PackedFile]) -> list[str]:
    """Every way the files ``found`` in a pack (the manifest left out) differ from its
    manifest, one sentence each; empty when they agree. Missing, extra, changed and
    repeated files are each named."""
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return [f"{MANIFEST_NAME} is not an inspection pack manifest"]
    listed: dict[str, dict] = {}
    problems: list[str] = []
    for entry in manifest.get("files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"{MANIFEST_NAME} has an entry without a path")
            continue
        listed[entry["path"]] = entry
    seen: set[str] = set()
    for item in found:
        if item.path in seen:
            problems.append(f"repeated: {item.path} is in the pack more than once")
            continue
        seen.add(item.path)
        entry = listed.get(item.path)
        if entry is None:
            problems.append(f"extra: {item.path} is not in the manifest")
        elif entry.get("sha256") != item.sha256 or entry.get("size") != item.size:
            problems.append(
                f"changed: {item.path} has SHA-256 {item.sha256} ({item.size} bytes); "
                f"the manifest says {entry.get('sha256')} ({entry.get('size')} bytes)"
            )
    problems += [
        f"missing: {path} is in the manifest but not in the pack"
        for path in listed
        if path not in seen
    ]
    return problems
