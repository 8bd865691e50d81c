"""The audits CSV internal audit recomputes the figures from: one row per audit, every
value in its own cell, nothing a spreadsheet would run."""

import csv
import io

import pytest

from audits.models import Audit
from tests.builders import finished_cycle
from tests.report_compiled import compiled
from worker.report_csv import CSV_COLUMNS, render_csv

pytestmark = pytest.mark.django_db


def every_audit(cycle) -> dict:
    """Each audit of the cycle that is part of its sample, by case and role, read from the
    database: its status and the grade that counts (the moderator's where moderated)."""
    audits = (
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .exclude(status=Audit.Status.WITHDRAWN)
        .values_list(
            "assignment__sampled_case__case__case_ref",
            "assignment__role",
            "status",
            "overall_grade",
            "moderated_overall_grade",
        )
    )
    return {
        (ref, role): {"status": status, "final": moderated or overall}
        for ref, role, status, overall, moderated in audits
    }


@pytest.fixture(scope="module")
def half_done(django_db_setup, django_db_blocker):
    def build():
        cycle = finished_cycle(complete=0.5)
        return cycle, {"audits": every_audit(cycle)}

    return compiled(django_db_blocker, build)


def test_the_csv_has_one_row_per_audit_with_its_status_and_final_grade(half_done):
    reader = csv.DictReader(io.StringIO(half_done.csv))
    rows = list(reader)
    assert reader.fieldnames[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert all(name.startswith("domain: ") for name in reader.fieldnames[len(CSV_COLUMNS) :])
    audits = half_done.facts["audits"]
    assert len(rows) == len(audits)
    assert {row["status"] for row in rows} >= {"final", "assigned"}
    for row in rows:
        audit = audits[(row["case_ref"], row["role"])]
        assert row["status"] == audit["status"]
        assert row["final_grade"] == ("" if audit["final"] is None else str(audit["final"]))


@pytest.mark.parametrize(
    ("role", "follow_up", "written"),
    [("primary", False, "primary"), ("second", False, "second"), ("primary", True, "follow-up")],
)
def test_csv_names_each_audit_role(role, follow_up, written):
    stream = io.StringIO(newline="")
    render_csv([{"case_ref": "C1", "role": role, "follow_up": follow_up}], stream)
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["role"] == written


def test_csv_keeps_commas_quotes_and_line_breaks_inside_their_cell():
    row = {
        "case_ref": "C1",
        "team_at_completion": 'Assessment, "North"',
        "themes": ["Drift and delay", "Plans not SMART, again"],
        "domain_grades": {"Voice of the child, early years": 2, "Planning": 3.5},
        "auditor": "line one\nline two",
        "follow_up": True,
        "overall_grade": None,
    }
    stream = io.StringIO(newline="")
    render_csv([row], stream)
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["team_at_completion"] == 'Assessment, "North"'
    assert read["themes"] == "Drift and delay; Plans not SMART, again"
    assert read["domain: Voice of the child, early years"] == "2"
    assert read["domain: Planning"] == "3.5"
    assert read["auditor"] == "line one\nline two"
    assert read["role"] == "follow-up"
    assert read["overall_grade"] == ""
    assert read["stratum"] == ""


def test_csv_text_that_a_spreadsheet_would_run_as_a_formula_is_defused():
    stream = io.StringIO(newline="")
    render_csv(
        [{"case_ref": '=HYPERLINK("http://x")', "current_team": "+team", "themes": ["@risk"]}],
        stream,
    )
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["case_ref"] == '\'=HYPERLINK("http://x")'
    assert read["current_team"] == "'+team"
    assert read["themes"] == "'@risk"
