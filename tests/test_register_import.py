"""Case register import: checked whole, every problem listed, all-or-nothing, upsert by key."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from audits.models import Allocation, Case, Event, Staff
from tests.import_jobs import upload_and_import

HEADER = "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year"
GOOD_ROW = "C100001,Child Protection One,cp,2025-03-01,,SW-ONE,MANAGER_BOB,2015"
URL = "/api/v1/cases/import/"


@pytest.fixture
def worker(people, teams):
    return Staff.objects.create(
        staff_ref="SW-ONE", name="Sam Worker", team=teams["Child Protection One"]
    )


def upload(client, text: str | bytes, *, kind="cases", dry_run=False):
    content = text.encode() if isinstance(text, str) else text
    query = f"?kind={kind}" + ("&dry_run=1" if dry_run else "")
    return upload_and_import(
        client, URL + query, {"file": SimpleUploadedFile("register.csv", content)}
    )


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def snapshot():
    return (
        Case.objects.count(),
        Allocation.objects.count(),
        Staff.objects.count(),
        Event.objects.count(),
    )


def test_a_good_file_creates_cases_and_reports_counts(people, worker, client_for):
    response = upload(client_for(people["manager_bob"]), csv_of(GOOD_ROW))
    job = response.json()
    assert job["status"] == "finished", job
    assert {key: job[key] for key in ("kind", "dry_run", "rows_written", "created", "updated")} == {
        "kind": "cases",
        "dry_run": False,
        "rows_written": 1,
        "created": 1,
        "updated": 0,
    }
    assert job["percent"] == 100
    case = Case.objects.get(case_ref="C100001")
    assert (case.team.name, case.case_type, case.worker.staff_ref, case.birth_year) == (
        "Child Protection One",
        "cp",
        "SW-ONE",
        2015,
    )
    assert Event.objects.filter(verb="register.imported").count() == 1


def test_a_second_upload_updates_by_case_ref(people, worker, client_for):
    client = client_for(people["qa_lead_quinn"])  # manages both teams in the file
    upload(client, csv_of(GOOD_ROW))
    changed = GOOD_ROW.replace(",,SW-ONE", ",2026-01-10,SW-ONE")
    response = upload(client, csv_of(changed, "C100002,Children Looked After,cla,01/02/2024,,,,"))
    assert response.json()["created"] == 1
    assert response.json()["updated"] == 1
    assert str(Case.objects.get(case_ref="C100001").closed_on) == "2026-01-10"
    assert str(Case.objects.get(case_ref="C100002").opened_on) == "2024-02-01"  # UK date


def test_an_excel_saved_file_with_bom_and_crlf_imports(people, worker, client_for):
    content = ("\ufeff" + HEADER + "\r\n" + GOOD_ROW + "\r\n").encode()
    response = upload(client_for(people["manager_bob"]), content)
    assert response.json()["status"] == "finished", response.json()
    assert Case.objects.filter(case_ref="C100001").exists()


def test_a_dry_run_counts_but_writes_nothing(people, worker, client_for):
    before = snapshot()
    response = upload(client_for(people["manager_bob"]), csv_of(GOOD_ROW), dry_run=True)
    assert response.json()["created"] == 1
    assert response.json()["rows_written"] == 0
    # Nothing of the register: only the job and the Event of its request.
    assert snapshot()[:-1] == before[:-1]
    assert Event.objects.count() == before[-1] + 1


BAD_FILES = {
    "missing column": (
        "case_ref,team,case_type,opened_on,closed_on,worker_ref,manager_ref\nC1,x,cp,2025-01-01,,,\n",
        (1, "birth_year", "missing column"),
    ),
    "unknown column": (
        csv_of(GOOD_ROW + ",x", header=HEADER + ",nickname"),
        (1, "nickname", "unknown column"),
    ),
    "bad date": (
        csv_of(GOOD_ROW.replace("2025-03-01", "31/31/2025")),
        (2, "opened_on", "is not a date"),
    ),
    "unknown team": (
        csv_of(GOOD_ROW.replace("Child Protection One", "Nowhere")),
        (2, "team", "unknown team"),
    ),
    "unknown staff": (
        csv_of(GOOD_ROW.replace("SW-ONE", "SW-GHOST")),
        (2, "worker_ref", "unknown staff"),
    ),
    "duplicate key": (csv_of(GOOD_ROW, GOOD_ROW), (3, "case_ref", "first seen on line 2")),
    "bad case type": (
        csv_of(GOOD_ROW.replace(",cp,", ",adoption,")),
        (2, "case_type", "unknown case type"),
    ),
    "birth year in the future": (
        csv_of(GOOD_ROW.replace(",2015", ",2099")),
        (2, "birth_year", "in the future"),
    ),
    "empty file": ("", (1, None, "the file is empty")),
    "header only": (HEADER + "\n", (2, None, "no rows")),
    "not UTF-8": (
        (HEADER + "\n" + GOOD_ROW.replace("C100001", "C10000\xe9") + "\n").encode("latin-1"),
        (2, None, "not UTF-8"),
    ),
    "not CSV": (
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)),
        (1, None, "not a CSV file"),
    ),
    "NUL bytes": (csv_of(GOOD_ROW.replace("C100001", "C1\x0001")), (2, None, None)),
    "closed before opened": (
        csv_of(GOOD_ROW.replace(",,SW-ONE", ",2020-01-01,SW-ONE")),
        (2, "closed_on", "before opened_on"),
    ),
    "ragged row": (csv_of(GOOD_ROW + ",extra"), (2, None, "fields")),
}


@pytest.mark.parametrize("problem", sorted(BAD_FILES))
def test_a_bad_file_is_rejected_with_line_and_column_and_nothing_changes(
    problem, people, worker, client_for
):
    content, (line, column, message) = BAD_FILES[problem]
    client = client_for(people["manager_bob"])
    before = snapshot()
    response = upload(client, content)
    assert response.json()["status"] == "failed", response.content
    errors = response.json()["errors"]
    assert any(
        e["line"] == line
        and (column is None or e["column"] == column)
        and (message is None or message in e["message"])
        for e in errors
    ), errors
    # The register is untouched: only the job and its Events (requested, rejected).
    assert snapshot()[:-1] == before[:-1]
    assert Event.objects.count() == before[-1] + 2


def test_every_bad_row_is_listed_not_just_the_first(people, worker, client_for):
    rows = [GOOD_ROW.replace("C100001", f"C20000{i}").replace(",cp,", ",zzz,") for i in range(5)]
    response = upload(client_for(people["manager_bob"]), csv_of(GOOD_ROW, *rows))
    assert response.json()["status"] == "failed"
    assert [e["line"] for e in response.json()["errors"]] == [3, 4, 5, 6, 7]
    assert response.json()["error_count"] == 5
    assert not Case.objects.exists()


def test_allocation_history_imports_and_checks_refs(people, worker, client_for):
    client = client_for(people["manager_bob"])
    upload(client, csv_of(GOOD_ROW))
    header = "case_ref,staff_ref,role,from_date,to_date"
    response = upload(
        client, csv_of("C100001,SW-ONE,worker,2025-03-01,", header=header), kind="allocations"
    )
    assert response.json()["status"] == "finished", response.json()
    assert Allocation.objects.get().staff.staff_ref == "SW-ONE"
    bad = upload(
        client, csv_of("C999,SW-ONE,driver,2025-03-01,", header=header), kind="allocations"
    )
    assert bad.json()["status"] == "failed"
    assert {(e["column"]) for e in bad.json()["errors"]} == {"role"}


def test_staff_import_creates_logins_with_roles(people, client_for):
    header = "staff_ref,name,email,team,roles,manages_teams,capacity"
    row = "QA-NEW,Nia Reviewer,nia@council.example,Quality Assurance,auditor,,8"
    response = upload(client_for(people["admin_ada"]), csv_of(row, header=header), kind="staff")
    assert response.json()["status"] == "finished", response.json()
    staff = Staff.objects.get(staff_ref="QA-NEW")
    assert staff.capacity == 8
    assert list(staff.user.groups.values_list("name", flat=True)) == ["auditor"]


def test_auditors_and_internal_audit_cannot_import(people, worker, client_for):
    for name in ("auditor_alice", "internal_ian", "outsider_eve"):
        assert upload(client_for(people[name]), csv_of(GOOD_ROW)).status_code == 403
    assert not Case.objects.exists()


def test_the_command_imports_and_rejects_like_the_api(people, worker, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_of(GOOD_ROW))
    out = io.StringIO()
    call_command("import_cases", str(good), "--as", "manager_bob", stdout=out, verbosity=0)
    assert "created 1" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of(GOOD_ROW.replace("C100001", "C3").replace(",cp,", ",zzz,")))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cases", str(bad), "--as", "manager_bob", stderr=err, verbosity=0)
    assert "line 2, column case_type" in err.getvalue()
    assert Case.objects.count() == 1


def test_a_large_file_is_streamed_in_batches(
    people, worker, tmp_path, django_assert_max_num_queries
):
    rows = [f"C{500000 + i},Child Protection One,cp,2024-01-01,,SW-ONE,,2012" for i in range(5000)]
    path = tmp_path / "big.csv"
    path.write_text(csv_of(*rows))
    # Rows are written in bulk: about one query per hundred rows (SQLite's parameter limit
    # splits a 2,000-row batch), never one per row.
    with django_assert_max_num_queries(100):
        call_command("import_cases", str(path), "--as", "manager_bob", verbosity=0)
    assert Case.objects.count() == 5000


def test_a_bad_row_after_a_written_batch_rolls_back_the_whole_file(people, worker, client_for):
    # Rows are written batch by batch as they are checked (one pass over the file): a bad row
    # after the first 2,000 were written still leaves the register as it was.
    rows = [f"C{600000 + i},Child Protection One,cp,2024-01-01,,SW-ONE,,2012" for i in range(2600)]
    rows[2400] = rows[2400].replace(",cp,", ",zzz,")
    before = snapshot()
    response = upload(client_for(people["manager_bob"]), csv_of(*rows))
    assert response.json()["status"] == "failed", response.content
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [(2402, "case_type")]
    assert snapshot()[:-1] == before[:-1]
    assert Event.objects.count() == before[-1] + 2  # requested, rejected
    assert not Case.objects.filter(case_ref="C600000").exists()


def test_a_case_the_database_refuses_rejects_the_file_not_the_worker(people, worker, teams):
    # The database's own rules still apply to the batch insert: a
    # refusal is Django's IntegrityError, which the import turns into a rejected file.
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from audits.services.register_import import _insert_cases

    record = {
        "case_ref": "C700001",
        "team_id": teams["Child Protection One"].pk,
        "case_type": "cp",
        "opened_on": timezone.localdate(),
        "closed_on": None,
        "worker_id": None,
        "manager_id": None,
        "birth_year": 2012,
    }
    _insert_cases([record], timezone.now())
    assert Case.objects.get(case_ref="C700001").legal_hold is False
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_cases([record], timezone.now())
