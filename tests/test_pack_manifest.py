"""The manifest core, without a database: what it lists, and each way a pack can differ."""

import pytest

from audits.core.pack_manifest import (
    MANIFEST_NAME,
    PackedFile,
    manifest_build,
    manifest_bytes,
    manifest_problems,
)

FILES = [PackedFile("b.txt", "b" * 64, 2), PackedFile("a/one.json", "a" * 64, 10)]


def build(files=FILES):
    return manifest_build(
        files,
        cycle={"id": 7, "name": "Q3"},
        frame_hash="f" * 64,
        report_hash=None,
        built_at="2026-12-02T22:00:00+00:00",
        built_by="qa.lead",
    )


def test_the_manifest_lists_every_file_sorted_and_is_stable():
    manifest = build()
    assert [entry["path"] for entry in manifest["files"]] == ["a/one.json", "b.txt"]
    assert manifest_bytes(manifest) == manifest_bytes(build(list(reversed(FILES))))
    assert manifest_problems(manifest, FILES) == []


@pytest.mark.parametrize(
    "files", [[*FILES, PackedFile(MANIFEST_NAME, "c" * 64, 1)], [*FILES, FILES[0]]]
)
def test_a_manifest_never_lists_itself_or_a_file_twice(files):
    with pytest.raises(ValueError, match="each file once"):
        build(files)


def test_each_difference_is_named():
    manifest = build()
    found = [
        PackedFile("a/one.json", "a" * 64, 11),  # a different size
        PackedFile("c.txt", "c" * 64, 1),
        PackedFile("c.txt", "c" * 64, 1),
    ]
    problems = manifest_problems(manifest, found)
    assert problems == [
        f"changed: a/one.json has SHA-256 {'a' * 64} (11 bytes); "
        f"the manifest says {'a' * 64} (10 bytes)",
        "extra: c.txt is not in the manifest",
        "repeated: c.txt is in the pack more than once",
        "missing: b.txt is in the manifest but not in the pack",
    ]


@pytest.mark.parametrize("manifest", [None, [], {"format": "something else"}, {}])
def test_anything_else_is_not_a_manifest(manifest):
    assert manifest_problems(manifest, FILES) == [
        f"{MANIFEST_NAME} is not an inspection pack manifest"
    ]
