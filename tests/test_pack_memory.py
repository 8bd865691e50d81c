"""A pack build holds one chunk of audits at a time (read CHUNK at a time, each audit written
to the zip and hashed as it goes), not the whole cycle: past the first chunks, what the
building process allocates grows only by the zip's directory (a name and a few numbers per
file), not by the audits' contents."""

import tracemalloc

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import storages

from audits.services import packs
from tests.builders import finished_cycle
from tests.test_report_memory import more_audits
from worker.pack import pack_build

# Measured (tracemalloc, SQLite): a chunk of 500 audits peaks at about 16 MB in all (with
# one decoded template per audit it was 40 MB); each audit's directory entry and manifest
# line add under 1 KB. An audit's record and its JSON are several KB each.
PER_AUDIT_BYTES = 1536
CEILING_MB = 32


def build_peak(cycle, lead) -> int:
    job, _ = packs.pack_request(cycle=cycle, actor=lead)
    tracemalloc.start()
    try:
        done = pack_build(job.pk, f"task-{job.pk}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done is not None
    assert done.status == "done"
    return peak


@pytest.mark.django_db
def test_a_pack_of_thousands_of_audits_grows_only_by_its_directory(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "packs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    storages._storages.pop("packs", None)
    try:
        cycle = finished_cycle(n=16)
        lead = User.objects.get(username="qa.lead")
        more_audits(cycle, 1500)
        middle = build_peak(cycle, lead)
        more_audits(cycle, 1500)
        large = build_peak(cycle, lead)
    finally:
        storages._storages.pop("packs", None)
    print(f"pack build peak: {middle / 2**20:.1f} MB, then {large / 2**20:.1f} MB with 1,500 more")
    assert large / 2**20 < CEILING_MB
    assert (large - middle) / 1500 < PER_AUDIT_BYTES
