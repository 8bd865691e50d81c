"""Issue 13, findings 6, 9, 11 and 12 end to end: one cycle's figures read the same on the
dashboard, the report page, the PDF, the JSON and the summaries API; internal audit
recomputes every headline figure from the exported CSV and JSON with a standalone script;
the thresholds are the organisation's, changed by an administrator with an Event, and the
report states them; a report before 90% completion is Interim."""

import ast
import importlib.util
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client
from pypdf import PdfReader

from audits.core import display
from audits.models import Audit, Event, OpinionSettings
from audits.services import reports
from tests.builders import finished_cycle
from worker.compile import report_compile

SCRIPT = Path(__file__).resolve().parent.parent / "audits" / "standalone" / "recompute_report.py"


def compile_report(cycle):
    lead = User.objects.get(username="qa.lead")
    job = reports.report_request(cycle=cycle, actor=lead)
    report = report_compile(job.pk, f"task-{job.pk}")
    assert report is not None
    return report


def report_bytes(report, kind: str) -> bytes:
    return reports.report_file_bytes(report, kind)


def pdf_pages(report) -> list[str]:
    pages = PdfReader(io.BytesIO(report_bytes(report, "pdf"))).pages
    return [" ".join(page.extract_text().split()) for page in pages]


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def html_text(response) -> str:
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_one_cycle_reads_the_same_on_every_page_file_and_api():
    cycle = finished_cycle(complete=0.5)
    report = compile_report(cycle)
    figures = report.figures
    summary = figures["summary"]
    key = display.headline(figures)
    # The one definition: good or better is the stratified estimate, completion is completed
    # first audits over the cases in the sample.
    assert summary["completion_rate"] == summary["audited"] / summary["sampled"]
    assert (
        figures["findings"]["trend"][-1]["good_or_better"] == summary["good_or_better"]["estimate"]
    )

    pdf = " ".join(pdf_pages(report))
    dashboard = html_text(signed_in("qa.lead").get(f"/dashboard/?cycle={cycle.pk}"))
    page = html_text(signed_in("internal.audit").get(f"/assurance/reports/{report.pk}/"))
    listing = html_text(signed_in("internal.audit").get("/assurance/"))
    for text in (pdf, dashboard, page, listing):
        assert key["good_or_better"] in text
        assert key["interval"] in text
        assert key["completion"] in text
    assert f"Good or better (stratified estimate) {key['good_or_better']}" in pdf
    assert "Share of audited cases" in pdf
    assert "Share of audited cases" in dashboard

    api = Client()
    api.force_login(User.objects.get(username="internal.audit"))
    (row,) = api.get("/api/v1/assurance-summaries/").json()["results"]
    assert row["key_figures"]["good_or_better"] == summary["good_or_better"]
    assert row["key_figures"]["completion_rate"] == summary["completion_rate"]
    assert row["key_figures"]["sampled"] == summary["sampled"]
    assert row["interim"] is True
    assert row["thresholds"] == figures["opinion"]["thresholds"]


@pytest.mark.django_db
def test_a_report_before_90_percent_completion_is_interim_on_its_cover_and_in_its_json():
    import json

    report = compile_report(finished_cycle(complete=0.5))
    data = json.loads(report_bytes(report, "json"))
    assert data["interim"] is True
    assert data["summary"]["completion_rate"] < 0.9
    assert "Interim" in pdf_pages(report)[0]
    assert any("Interim" in caveat for caveat in data["opinion"]["caveats"])


@pytest.mark.django_db
def test_a_complete_report_is_not_interim():
    import json

    report = compile_report(finished_cycle())
    data = json.loads(report_bytes(report, "json"))
    assert data["interim"] is False
    assert "Interim" not in pdf_pages(report)[0]


def run_recompute(folder: Path) -> subprocess.CompletedProcess:
    python = shutil.which("python3") or sys.executable
    return subprocess.run(
        [python, "-I", str(folder / "recompute_report.py"), "data.json", "audits.csv"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_recompute_script_uses_nothing_but_the_standard_library():
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported
    assert imported <= set(sys.stdlib_module_names)


@pytest.mark.django_db
def test_every_headline_figure_is_recomputed_from_the_exported_files(tmp_path):
    cycle = finished_cycle(complete=0.9)
    report = compile_report(cycle)
    for kind, name in (("json", "data.json"), ("csv", "audits.csv")):
        (tmp_path / name).write_bytes(report_bytes(report, kind))
    # The script as internal audit downloads it beside the report's files.
    manager = Client()
    manager.force_login(User.objects.get(username="qa.lead"))
    served = manager.get(f"/api/v1/reports/{report.job_id}/recompute_report.py")
    assert served.status_code == 200
    (tmp_path / "recompute_report.py").write_bytes(served.content)
    outsider = Client()
    outsider.force_login(User.objects.create_user("outsider_eve"))
    assert outsider.get(f"/api/v1/reports/{report.job_id}/recompute_report.py").status_code in (
        403,
        404,
    )
    result = run_recompute(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All headline figures agree." in result.stdout
    for figure in (
        "summary.good_or_better.estimate",
        "summary.good_or_better.low",
        "summary.good_or_better.high",
        "summary.completion_rate",
        "findings.grade_distribution",
        "reliability.alpha_overall",
    ):
        assert f"same      {figure}:" in result.stdout
    assert report.figures["reliability"]["double_audits"] >= 2

    # A tampered grade is caught: the exit code says so.
    lines = (tmp_path / "audits.csv").read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    counted = header.index("counts_in_estimate")
    final = header.index("final_grade")
    for number, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\r\n").split(",")
        if len(cells) > final and cells[counted] == "yes" and cells[final] in ("1", "2"):
            cells[final] = "4"
            lines[number] = ",".join(cells) + "\r\n"
            break
    else:
        pytest.fail("no counted audit below good to tamper with")
    (tmp_path / "audits.csv").write_text("".join(lines))
    tampered = run_recompute(tmp_path)
    assert tampered.returncode == 1
    assert "DIFFERENT summary.good_or_better.estimate" in tampered.stdout


@pytest.mark.django_db
def test_the_csv_names_role_team_then_and_now_and_what_counts():
    import csv

    cycle = finished_cycle()
    report = compile_report(cycle)
    rows = list(csv.DictReader(io.StringIO(report_bytes(report, "csv").decode())))
    roles = {row["role"] for row in rows}
    assert roles <= {"primary", "second", "follow-up", "follow-up second"}
    assert "second" in roles
    counted = [row for row in rows if row["counts_in_estimate"] == "yes"]
    assert {row["role"] for row in counted} == {"primary"}
    # Counted: the completed first audits of the random sample, as the audits on record say.
    first_audits = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        assignment__role="primary",
        assignment__sampled_case__is_follow_up=False,
        status__in=["submitted", "final"],
    )
    assert sorted(row["case_ref"] for row in counted) == sorted(
        first_audits.values_list("assignment__sampled_case__case__case_ref", flat=True)
    )
    assert all(row["team_at_completion"] and row["current_team"] for row in counted)
    assert any(name.startswith("domain: ") for name in rows[0])


@pytest.mark.django_db
def test_an_administrator_changes_the_thresholds_with_an_event_and_the_report_states_them():
    cycle = finished_cycle()
    admin = User.objects.create_superuser("admin_ada", "ada@example.org", "x")
    client = Client()
    client.force_login(admin)
    values = {
        "substantial_lower": "0.99",
        "reasonable_lower": "0.98",
        "limited_lower": "0.97",
        "substantial_alpha": "0.8",
        "alpha_caveat": "0.667",
        "completion_caveat": "0.9",
        "unaudited_share_max": "0.05",
        "reliability_minimum": "10",
    }
    bad = client.post("/admin/audits/opinionsettings/add/", {**values, "reasonable_lower": "1"})
    assert bad.status_code == 200  # the form again, with the error
    assert not OpinionSettings.objects.exists()
    response = client.post("/admin/audits/opinionsettings/add/", values)
    assert response.status_code == 302
    event = Event.objects.get(verb="opinion_thresholds.changed")
    assert event.actor == admin
    assert event.before["substantial_lower"] == 0.8
    assert event.after["substantial_lower"] == 0.99

    report = compile_report(cycle)
    assert report.figures["opinion"]["thresholds"]["limited_lower"] == 0.97
    assert report.opinion == "No assurance"
    methodology = " ".join(pdf_pages(report))
    assert "Opinion thresholds used" in methodology
    assert "Limited: lower end of the 95% interval at least 97%" in methodology
    # Changing the thresholds later is not a change of the report's data.
    OpinionSettings.objects.update(limited_lower=0.1)
    assert reports.report_data_changed(report)["changed"] is False


def load_script():
    spec = importlib.util.spec_from_file_location("recompute_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def korn_graubard_with_scipy(strata: dict) -> tuple:
    """The Korn-Graubard / Jeffreys interval of DESIGN.md section 7, with scipy's beta."""
    from scipy.stats import beta

    sizes, audited, good = (
        np.array(column, dtype=float) for column in zip(*strata.values(), strict=True)
    )
    weights = sizes / sizes.sum()
    estimate = (good / audited * sizes).sum() / sizes.sum()
    adjusted = (good + 1) / (audited + 2)
    variance = (weights**2 * (1 - audited / sizes) * adjusted * (1 - adjusted) / audited).sum()
    centre = adjusted @ weights
    cap = audited.sum() / (1 - audited.sum() / sizes.sum())
    effective = min(centre * (1 - centre) / variance, cap)
    count = estimate * effective
    low = beta.ppf(0.025, count, effective - count + 1) if estimate > 0 else 0.0
    high = beta.ppf(0.975, count + 0.5, effective - count + 0.5) if estimate < 1 else 1.0
    return estimate, min(low, estimate), max(high, estimate)


@pytest.mark.parametrize(
    "strata",
    [
        {"all": (148, 74, 64)},
        {"big": (800, 5, 5), "a": (50, 5, 3), "b": (50, 5, 2), "c": (50, 5, 5), "d": (50, 5, 0)},
        {"cin": (700, 26, 20), "cp": (300, 11, 6), "cla": (150, 6, 6), "leaver": (50, 2, 1)},
        {"one": (5000, 2, 2), "two": (100, 2, 0)},
        {"near": (1200, 60, 57)},
    ],
)
def test_the_scripts_korn_graubard_interval_matches_scipy(strata):
    # The interval of the statistics core (issue 13, item 3), recomputed without scipy.
    mine = load_script().korn_graubard(strata)
    assert mine == pytest.approx(korn_graubard_with_scipy(strata), abs=1e-10, rel=0)
