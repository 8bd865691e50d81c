"""Building an inspection pack, orchestrated: claim the job, write the zip to a local
temporary file one entry at a time (each hashed as it is written, so memory stays flat in
the cycle's size), write the manifest last, then hand the whole zip to the service, which
saves it to the packs storage once and finishes the job.

Safe to run twice: a crash at any point leaves the temporary file (removed) and a job to be
retried, never a pack that can be downloaded half-written.
"""

import csv
import gc
import hashlib
import json
import os
import tempfile
import zipfile

from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from audits.core import pack_manifest, sampling
from audits.core.pack_manifest import PackedFile
from audits.models import PackJob
from audits.selectors import pack_contents, sample_record
from audits.services import packs
from audits.services.reports import FILES as REPORT_FILES
from worker.pack_readme import readme_text

COPY_CHUNK = 1 << 20


class _Hashed:
    """A writable zip entry that keeps the SHA-256 and size of what passes through it."""

    def __init__(self, target):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.target.write(data)


class _Utf8:
    """What csv.writer writes to: text, encoded as UTF-8 into a binary stream."""

    def __init__(self, target):
        self.target = target

    def write(self, text: str) -> None:
        self.target.write(text.encode("utf-8"))


class PackWriter:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.files: list[PackedFile] = []

    def entry(self, path: str, write) -> PackedFile:
        """Write one file: ``write(stream)`` gets a binary stream."""
        compress = zipfile.ZIP_STORED if path.endswith((".gz", ".zip")) else zipfile.ZIP_DEFLATED
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = compress
        with self.archive.open(info, "w", force_zip64=True) as target:
            hashed = _Hashed(target)
            write(hashed)
        packed = PackedFile(path, hashed.digest.hexdigest(), hashed.size)
        self.files.append(packed)
        return packed

    def data(self, path: str, data: bytes) -> PackedFile:
        return self.entry(path, lambda out: out.write(data))

    def json(self, path: str, value) -> PackedFile:
        text = json.dumps(value, indent=1, sort_keys=True, cls=DjangoJSONEncoder) + "\n"
        return self.data(path, text.encode("utf-8"))

    def copy(self, path: str, storage_name: str, name: str) -> PackedFile:
        """Copy a stored file into the pack, chunk by chunk."""

        def write(out):
            with storages[storage_name].open(name, "rb") as source:
                for chunk in iter(lambda: source.read(COPY_CHUNK), b""):
                    out.write(chunk)

        return self.entry(path, write)

    def csv(self, path: str, header: list, rows) -> PackedFile:
        def write(out):
            writer = csv.writer(_Utf8(out))
            writer.writerow(header)
            writer.writerows(rows)

        return self.entry(path, write)


def pack_build(job_id: int, task_id: str) -> PackJob | None:
    """Build a claimed job's pack; None if the job is not this task's to build."""
    if not packs.pack_claim(job_id, task_id):
        return None
    job = PackJob.objects.select_related("cycle__frame__drawn_by", "requested_by").get(pk=job_id)
    handle, path = tempfile.mkstemp(prefix=f"pack-{job_id}-", suffix=".zip")
    os.close(handle)
    try:
        manifest, report_hash = _write_zip(job, task_id, path)
        manifest_sha = pack_manifest.sha256_hex(pack_manifest.manifest_bytes(manifest))
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(COPY_CHUNK), b""):
                digest.update(chunk)
        packs.pack_progress(job_id, task_id, 97)
        return packs.pack_store(
            job_id=job_id,
            task_id=task_id,
            path=path,
            sha256=digest.hexdigest(),
            manifest_sha256=manifest_sha,
            report_hash=report_hash,
        )
    finally:
        os.unlink(path)


def _write_zip(job: PackJob, task_id: str, path: str) -> tuple[dict, str | None]:
    cycle, frame = job.cycle, job.cycle.frame
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        pack = PackWriter(archive)
        packs.pack_progress(job.pk, task_id, 5)
        facts = pack_contents.sampling_facts(cycle)
        with storages["frames"].open(frame.frame_file, "rb") as stream:
            facts["verification"] = pack_contents.sample_verification(cycle, stream)
        pack.json("sampling/record.json", facts)
        pack.copy(f"sampling/{frame.frame_file}", "frames", frame.frame_file)
        pack.copy(f"sampling/{frame.exclusions_file}", "frames", frame.exclusions_file)
        pack.data(
            f"sampling/{facts['sample_file']}", sample_record.sample_csv(cycle=cycle).encode()
        )
        pack.data("sampling/verify_sample.py", sampling.verify_script_text().encode("utf-8"))
        pack.data("sampling/recheck.txt", (facts["command"] + "\n").encode("utf-8"))
        packs.pack_progress(job.pk, task_id, 15)
        audit_total = _write_audits(pack, job, task_id)
        pack.csv(
            "actions/actions.csv", pack_contents.ACTION_CSV_HEADER, pack_contents.action_rows(cycle)
        )
        pack.csv(
            "actions/evidence.csv",
            pack_contents.EVIDENCE_CSV_HEADER,
            pack_contents.evidence_rows(cycle),
        )
        packs.pack_progress(job.pk, task_id, 80)
        report = pack_contents.newest_report(cycle)
        if report is not None:
            for name in REPORT_FILES.values():
                pack.copy(f"report/{name}", "reports", f"{report.folder}/{name}")
        packs.pack_progress(job.pk, task_id, 90)
        report_hash = report.report_hash if report is not None else None
        built_by = job.requested_by.get_username()
        pack.data(
            "README.txt",
            readme_text(
                cycle=cycle,
                facts=facts,
                audit_total=audit_total,
                report=report,
                built_by=built_by,
            ).encode("utf-8"),
        )
        manifest = pack_manifest.manifest_build(
            pack.files,
            cycle={
                "id": cycle.pk,
                "name": cycle.name,
                "period_start": cycle.period_start.isoformat(),
                "period_end": cycle.period_end.isoformat(),
            },
            frame_hash=frame.frame_hash,
            report_hash=report_hash,
            built_at=timezone.now().isoformat(),
            built_by=built_by,
        )
        info = zipfile.ZipInfo(
            pack_manifest.MANIFEST_NAME, date_time=timezone.now().timetuple()[:6]
        )
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, pack_manifest.manifest_bytes(manifest))
    return manifest, report_hash


def _write_audits(pack: PackWriter, job: PackJob, task_id: str) -> int:
    """One JSON file per audit, and audits.csv from the same single read (its rows kept in a
    temporary file meanwhile: a zip is written one entry at a time)."""
    total = max(pack_contents.audit_count(job.cycle), 1)
    done = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as rows:
        writer = csv.writer(rows)
        writer.writerow(pack_contents.AUDIT_CSV_HEADER)
        for record in pack_contents.audit_records(job.cycle):
            pack.json(f"audits/audit-{record['id']}.json", record)
            writer.writerow(pack_contents.audit_csv_row(record))
            done += 1
            if done % pack_contents.CHUNK == 0:
                # Audits read with select_related one-to-ones and prefetches refer to each
                # other in cycles, which only the cyclic collector frees, and it ran too
                # seldom: without this, 3,000 audits peaked at 70 MB rather than 40 MB
                # (measured before the template was left out of the read; now 17 MB:
                # tests/test_pack_memory.py).
                gc.collect()
                packs.pack_progress(job.pk, task_id, 15 + 55 * done // total)
        rows.seek(0)

        def write(out):
            for chunk in iter(lambda: rows.read(COPY_CHUNK), ""):
                out.write(chunk.encode("utf-8"))

        pack.entry("audits/audits.csv", write)
    packs.pack_progress(job.pk, task_id, 70)
    return done
