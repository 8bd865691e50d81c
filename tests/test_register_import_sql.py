"""The PostgreSQL cases import (COPY, checks per distinct value, one INSERT … ON CONFLICT)
gives exactly what the row-by-row import gives: the same cases in the same order, the same
Events, the same counts, the same refusals word for word. Each file is run through both on
the same register, each in a transaction rolled back afterwards."""

import io

import pytest
from django.db import transaction

from audits.models import Case, Event, Staff
from audits.services.register_import import ImportRejected, register_import
from tests.test_register_import import BAD_FILES, GOOD_ROW, csv_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CP, CLA = "Child Protection One", "Children Looked After"


class _Undo(Exception):
    pass


@pytest.fixture
def register(people, teams):
    Staff.objects.create(staff_ref="SW-ONE", name="Sam Worker", team=teams[CP])
    Case.objects.create(case_ref="OLD-CP", team=teams[CP], case_type="cp", opened_on="2024-01-01")
    Case.objects.create(
        case_ref="OLD-CLA", team=teams[CLA], case_type="cla", opened_on="2023-05-05"
    )
    return people


def outcome_of(content: bytes | str, actor, *, method: str, dry_run: bool = False):
    """What one import does, in terms that do not depend on ids or timestamps."""
    data = content.encode() if isinstance(content, str) else content
    events_before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        with transaction.atomic():
            try:
                done = register_import(
                    kind="cases",
                    fileobj=io.BytesIO(data),
                    actor=actor,
                    dry_run=dry_run,
                    method=method,
                )
                result = ("imported", done.as_dict(), done.method)
            except ImportRejected as rejected:
                result = ("rejected", [e.as_dict() for e in rejected.errors], None)
            refs = dict(Case.objects.values_list("id", "case_ref"))
            cases = list(
                Case.objects.order_by("id").values_list(
                    "case_ref",
                    "team__name",
                    "case_type",
                    "opened_on",
                    "closed_on",
                    "worker__staff_ref",
                    "manager__staff_ref",
                    "birth_year",
                    "legal_hold",
                )
            )
            events = [
                (e.verb, refs.get(int(e.object_id), e.object_id), e.before, e.after, e.reason)
                for e in Event.objects.filter(id__gt=events_before).order_by("id")
                if e.verb != "register.imported"
            ] + [
                (e.verb, e.after)
                for e in Event.objects.filter(id__gt=events_before, verb="register.imported")
            ]
            raise _Undo
    except _Undo:
        pass
    return result, cases, events


ROW = "{ref},{team},cp,2025-03-01,,SW-ONE,,2015"
PLAIN = {
    "new cases": csv_of(*(ROW.format(ref=f"N{i:04d}", team=CP) for i in range(30))),
    "an update and a move to another team": csv_of(
        "OLD-CP,Children Looked After,cla,01/02/2024,2025-01-01,,SW-ONE,2010",
        "OLD-CLA,Children Looked After,cla,2023-05-05,,,,",
        ROW.format(ref="NEW-1", team=CP),
    ),
    "Excel: BOM and CRLF, UK dates, columns in another order": (
        "\ufeffteam,case_ref,case_type,opened_on,closed_on,worker_ref,manager_ref,birth_year\r\n"
        "Child Protection One,X.1/a-b_c,cin,01/03/2025,02/03/2025,,SW-ONE,\r\n"
    ).encode(),
    "blanks around values that are not the reference": csv_of(
        "N1, Child Protection One ,cp , 2025-03-01,,SW-ONE ,,2015 "
    ),
}
# Files the PostgreSQL path hands to the row-by-row import, which accepts them.
HANDED_OVER = {
    "quoted fields": csv_of('"N1","Child Protection One",cp,2025-03-01,,,,"2015"'),
    "a blank line in the middle": csv_of(ROW.format(ref="N1", team=CP), "", "N2,,,,,,,"),
    "blank lines at the end": csv_of(ROW.format(ref="N1", team=CP), ",,,,,,,", ""),
    "a reference with a blank": csv_of(ROW.format(ref=" N1", team=CP)),
}
REFUSED = {
    **{name: content for name, (content, _) in BAD_FILES.items()},
    "a case of another team": csv_of(ROW.format(ref="OLD-CLA", team=CP)),
    "a move into another team": csv_of(ROW.format(ref="OLD-CP", team=CLA)),
    "a reference twice, both new": csv_of(*[ROW.format(ref="N1", team=CP)] * 2),
    "a reference twice, already there": csv_of(*[ROW.format(ref="OLD-CP", team=CP)] * 2),
    "opened in the future": csv_of(
        ROW.replace("2025-03-01", "2099-01-01").format(ref="N", team=CP)
    ),
    "a backslash": csv_of(ROW.format(ref="N\\1", team=CP)),
    "a line ending the COPY": csv_of(ROW.format(ref="N1", team=CP), "\\.", "N2,x"),
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry run"])
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_files_go_the_sql_way_with_the_same_result(name, dry_run, register):
    actor = register["qa_lead_quinn"]  # manages both teams
    sql = outcome_of(PLAIN[name], actor, method="auto", dry_run=dry_run)
    rows = outcome_of(PLAIN[name], actor, method="rows", dry_run=dry_run)
    assert sql[0][0] == "imported", sql[0]
    assert sql[0][2] == "sql", "the file was not written the set-based way"
    assert (sql[0][:2], sql[1], sql[2]) == (rows[0][:2], rows[1], rows[2])


@pytest.mark.parametrize("name", sorted(HANDED_OVER))
def test_files_the_sql_way_cannot_vouch_for_are_read_row_by_row(name, register):
    actor = register["qa_lead_quinn"]
    auto = outcome_of(HANDED_OVER[name], actor, method="auto")
    rows = outcome_of(HANDED_OVER[name], actor, method="rows")
    assert auto[0][2] in (None, "rows")
    assert auto == rows


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry run"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_are_worded_by_the_row_by_row_import(name, dry_run, register):
    actor = register["manager_bob"]  # manages Child Protection One only
    before = list(Case.objects.order_by("id").values_list("case_ref", "team_id", "updated_at"))
    auto = outcome_of(REFUSED[name], actor, method="auto", dry_run=dry_run)
    rows = outcome_of(REFUSED[name], actor, method="rows", dry_run=dry_run)
    assert auto[0][0] == "rejected", auto[0]
    assert auto == rows
    assert list(Case.objects.order_by("id").values_list("case_ref", "team_id", "updated_at")) == (
        before
    )


def test_the_good_row_of_the_register_tests_goes_the_sql_way(register):
    result, cases, _ = outcome_of(
        csv_of(GOOD_ROW.replace(",MANAGER_BOB", ",")), register["manager_bob"], method="auto"
    )
    assert result[2] == "sql"
    assert cases[-1][:2] == ("C100001", CP)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_large_file_planned_with_hash_joins_gives_the_same(name, register, monkeypatch):
    from audits.services import register_import_sql

    monkeypatch.setattr(register_import_sql, "LARGE_FILE", 0)  # as a file of 5,001+ rows
    actor = register["qa_lead_quinn"]
    sql = outcome_of(PLAIN[name], actor, method="auto")
    rows = outcome_of(PLAIN[name], actor, method="rows")
    assert sql[0][2] == "sql"
    assert (sql[0][:2], sql[1], sql[2]) == (rows[0][:2], rows[1], rows[2])
