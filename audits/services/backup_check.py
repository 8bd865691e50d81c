"""Prove a restore lost nothing, against the backup's manifest:

- every table has the rows the manifest counted (the ``backup.restored`` Events recorded
  for this very backup since are the only rows allowed on top),
- the migrations applied are the manifest's,
- every report says "unchanged": its stored fingerprint is today's (``report_data_changed``),
  and its files are in the report storage,
- every drawn cycle's sample re-verifies from its stored frame (``sample_verify``: frame
  hash, seed and selection recomputed),
- every file of the manifest is in its storage with the manifest's SHA-256, and every
  evidence row's own SHA-256 is its file's in the manifest.

Only reads; it is a service because it uses the report services' check.
"""

from django.core.files.storage import storages

from audits.core import backup_manifest as manifest_rules
from audits.models import Cycle, Event, Evidence, Report
from audits.selectors.sample_record import sample_verify
from audits.services import backup_db, backup_files
from audits.services.reports import FILES, report_data_changed


def _count_problems(manifest: dict, manifest_sha256: str | None) -> list[str]:
    found = backup_db.counts_now()
    expected = dict(manifest["counts"])
    if manifest_sha256 and Event._meta.db_table in expected:
        restored = Event.objects.filter(verb=manifest_rules.RESTORED, object_id=manifest_sha256)
        expected[Event._meta.db_table] += restored.count()
    return manifest_rules.count_differences(expected, found)


def _report_problems() -> tuple[int, list[str]]:
    problems, checked = [], 0
    for report in Report.objects.select_related("cycle").order_by("pk"):
        checked += 1
        if report_data_changed(report)["changed"]:
            problems.append(f"report {report.pk} ({report.cycle}): the data have changed")
        for kind, file_name in FILES.items():
            if not storages["reports"].exists(f"{report.folder}/{file_name}"):
                problems.append(f"report {report.pk}: its {kind} file is missing")
    return checked, problems


def _frame_problems() -> tuple[int, list[str]]:
    problems, checked = [], 0
    for cycle in Cycle.objects.filter(frame__isnull=False).select_related("frame").order_by("pk"):
        checked += 1
        result = sample_verify(cycle=cycle)
        if not result["match"]:
            reason = result.get("error") or "the sample does not re-verify"
            problems.append(f"cycle {cycle.pk} ({cycle}): {reason}")
    return checked, problems


def _evidence_problems(manifest: dict) -> tuple[int, list[str]]:
    """Each evidence row against the manifest's hash of its file (the files themselves are
    checked against the manifest just below: no second read)."""
    listed = {e["name"]: e["sha256"] for e in manifest["files"] if e["storage"] == "evidence"}
    problems, checked = [], 0
    for pk, name, sha256 in Evidence.objects.order_by("pk").values_list(
        "pk", "stored_name", "sha256"
    ):
        checked += 1
        if listed.get(name) != sha256:
            problems.append(f"evidence {pk}: its file is not in the backup with its SHA-256")
    return checked, problems


def _file_problems(manifest: dict) -> list[str]:
    problems = []
    for entry in manifest["files"]:
        found = backup_files.stored_sha256(entry["storage"], entry["name"])
        where = f"{entry['storage']}:{entry['name']}"
        if found is None:
            problems.append(f"{where}: missing")
        elif found != entry["sha256"]:
            problems.append(f"{where}: SHA-256 {found} is not the manifest's {entry['sha256']}")
    return problems


def backup_check(manifest: dict, *, manifest_sha256: str | None = None) -> dict:
    """What the database and storages show against ``manifest``; ``ok`` when nothing is lost."""
    counts = _count_problems(manifest, manifest_sha256)
    migrations = manifest_rules.migration_differences(
        manifest["migrations"], backup_db.migrations_now()
    )
    reports_checked, reports = _report_problems()
    frames_checked, frames = _frame_problems()
    evidence_checked, evidence = _evidence_problems(manifest)
    files = _file_problems(manifest)
    problems = counts + migrations + reports + frames + evidence + files
    return {
        "ok": not problems,
        "problems": problems,
        "tables": len(manifest["counts"]),
        "rows": sum(manifest["counts"].values()),
        "reports": reports_checked,
        "frames": frames_checked,
        "evidence": evidence_checked,
        "files": len(manifest["files"]),
        "bytes": sum(entry["size"] for entry in manifest["files"]),
    }
