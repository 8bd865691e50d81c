"""Check an inspection pack: every file against its manifest (missing, extra, changed and
repeated files each named), and the sample re-checked from the pack's own frame.

    python manage.py check_pack inspection-pack.zip [--manifest-sha256 HEX]

Exits 0 when everything agrees, 1 naming each problem otherwise. The re-check runs this
CaseAssure's copy of verify_sample.py (never code from the pack) on the pack's frame and
sample; the pack's copy is compared with it byte for byte and only noted if it differs (an
older pack carries the script of its day). ``--manifest-sha256`` also checks the manifest
itself against the fingerprint CaseAssure showed when the pack was built: a manifest
rewritten to match changed files passes the file check but not this one.
"""

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.core.management.base import BaseCommand, CommandError

from audits.core import pack_manifest
from audits.core.pack_manifest import MANIFEST_NAME, PackedFile

OUR_SCRIPT = Path(__file__).resolve().parents[2] / "standalone" / "verify_sample.py"
CHUNK = 1 << 20


def _hash_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> PackedFile:
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return PackedFile(info.filename, digest.hexdigest(), size)


def _safe_name(name: object) -> str | None:
    """A plain file name of the sampling folder, or None (nothing with a path in it)."""
    if not isinstance(name, str) or not name or PurePosixPath(name).name != name:
        return None
    return None if name in (".", "..") else name


class Command(BaseCommand):
    help = "Check an inspection pack against its manifest and re-check its sample."

    def add_arguments(self, parser):
        parser.add_argument("pack", help="the pack's zip file")
        parser.add_argument(
            "--manifest-sha256",
            help="the manifest's SHA-256 as CaseAssure showed it when the pack was built",
        )

    def handle(self, *args, **options):
        try:
            archive = zipfile.ZipFile(options["pack"])
        except (OSError, zipfile.BadZipFile) as error:
            raise CommandError(f"{options['pack']} cannot be read as a zip file: {error}") from None
        with archive:
            problems, notes = self._check(archive, options.get("manifest_sha256"))
        for note in notes:
            self.stdout.write(f"Note: {note}")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(
                f"The pack does not match: {len(problems)} problem(s).", returncode=1
            )
        self.stdout.write("The pack matches its manifest and its sample re-checks.")

    def _check(self, archive: zipfile.ZipFile, expected_sha: str | None):
        entries = [info for info in archive.infolist() if not info.is_dir()]
        manifests = [info for info in entries if info.filename == MANIFEST_NAME]
        if len(manifests) != 1:
            return [
                f"the pack must hold exactly one {MANIFEST_NAME}; it holds {len(manifests)}"
            ], []
        raw = archive.read(manifests[0])
        problems, notes = [], []
        if expected_sha and pack_manifest.sha256_hex(raw) != expected_sha.lower():
            problems.append(
                f"changed: {MANIFEST_NAME} has SHA-256 {pack_manifest.sha256_hex(raw)}, "
                f"not the {expected_sha} CaseAssure recorded"
            )
        try:
            manifest = json.loads(raw)
        except ValueError:
            return [*problems, f"{MANIFEST_NAME} is not JSON"], notes
        found = [_hash_entry(archive, info) for info in entries if info is not manifests[0]]
        problems += pack_manifest.manifest_problems(manifest, found)
        self.stdout.write(f"Checked {len(found)} files against {MANIFEST_NAME}.")
        sample_problems, sample_notes = self._recheck_sample(archive)
        return problems + sample_problems, notes + sample_notes

    def _recheck_sample(self, archive: zipfile.ZipFile):
        try:
            record = json.loads(archive.read("sampling/record.json"))
            names = [_safe_name(record[key]) for key in ("frame_file", "sample_file")]
            frame_hash, seed = str(record["frame_hash"]), str(record["seed"])
            parts = record.get("seed_parts") or {}
        except (KeyError, ValueError, TypeError):
            return [
                "the sample cannot be re-checked: sampling/record.json is missing or unreadable"
            ], []
        if None in names:
            return [
                "the sample cannot be re-checked: sampling/record.json names no usable files"
            ], []
        notes = []
        try:
            theirs = archive.read("sampling/verify_sample.py")
            if theirs != OUR_SCRIPT.read_bytes():
                notes.append("sampling/verify_sample.py differs from this CaseAssure's copy")
        except KeyError:
            pass  # a missing file is already named by the manifest check
        with tempfile.TemporaryDirectory() as folder:
            try:
                for name in names:
                    with (
                        archive.open(f"sampling/{name}") as source,
                        (Path(folder) / name).open("wb") as target,
                    ):
                        shutil.copyfileobj(source, target, CHUNK)
            except KeyError as missing:
                return [f"the sample cannot be re-checked: {missing} is not in the pack"], notes
            command = [sys.executable, "-I", str(OUR_SCRIPT), *names]
            command += [f"--frame-hash={frame_hash}", f"--seed={seed}"]
            if parts.get("server_random"):
                command += [
                    f"--server-random={parts['server_random']}",
                    f"--witness-input={parts.get('witness_input') or ''}",
                ]
            result = subprocess.run(  # noqa: S603 - our own script, arguments as a list
                command, cwd=folder, capture_output=True, text=True, timeout=600, check=False
            )
        if result.returncode != 0:
            said = (result.stdout + result.stderr).strip().splitlines()
            return ["the sample does not re-check: " + "; ".join(said[-5:])], notes
        self.stdout.write("The sample re-checks from the pack's frame.")
        return [], notes
