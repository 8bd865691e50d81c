"""The summaries internal audit pulls (issue 18, point 4): filtered by period, team, service
area and opinion, in the order asked, each naming its report; the same list as CSV; one
figure across cycles in one call. Two quarters are built and reported once for the module.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User

from audits.core.opinion import LEVELS
from audits.models import Cycle, Report, Team
from tests.builders import finished_cycle
from worker.compile import report_compile


def compile_for(client, cycle) -> int:
    response = client.post("/api/v1/reports/", {"cycle": cycle.pk}, format="json")
    assert response.status_code == 202, response.json()
    report_compile(response.json()["id"], f"task-{cycle.pk}")
    return response.json()["id"]


@pytest.fixture
def two_quarters(db, client_for):
    earlier = finished_cycle(ends=date.today() - timedelta(days=120), n=20)
    later = finished_cycle(n=20)
    lead = User.objects.get(username="qa.lead")
    client = client_for(lead)
    for cycle in (earlier, later):
        compile_for(client, cycle)
    return earlier, later


@pytest.fixture
def analyst(two_quarters, client_for):
    return client_for(User.objects.get(username="internal.audit"))


@pytest.fixture
def internal_ian(make_person, client_for):
    """Internal audit with no report yet: enough to be refused a bad query."""
    return client_for(make_person("internal_ian", "internal_auditor"))


def summaries(client, query=""):
    response = client.get(f"/api/v1/assurance-summaries/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_each_summary_names_its_report(two_quarters, analyst):
    earlier, later = two_quarters
    rows = summaries(analyst)
    assert [row["cycle"] for row in rows] == [later.pk, earlier.pk]  # newest period first
    for row in rows:
        report = Report.objects.get(cycle_id=row["cycle"])
        assert row["report"]["id"] == report.job_id
        assert row["report"]["version"] == report.version
        assert row["report"]["hash"] == report.report_hash
        assert row["report"]["status"] in ("interim", "final")
        assert row["report"]["figures_schema_version"] == "1.1"
        assert (
            analyst.get(f"/api/v1/reports/{row['report']['id']}/").json()["report_hash"]
            == (row["report"]["hash"])
        )


def test_filters_choose_the_cycles(two_quarters, analyst):
    earlier, later = two_quarters
    assert [r["cycle"] for r in summaries(analyst, f"?period_to={earlier.period_end}")] == [
        earlier.pk
    ]
    assert [r["cycle"] for r in summaries(analyst, f"?period_from={later.period_start}")] == [
        later.pk
    ]
    opinion = Report.objects.get(cycle=later).opinion
    assert later.pk in {r["cycle"] for r in summaries(analyst, f"?opinion={opinion}")}
    other = next(
        level
        for level in LEVELS
        if level not in set(Report.objects.values_list("opinion", flat=True))
    )
    assert summaries(analyst, f"?opinion={other}") == []
    # A team the later cycle covers finds it; a cycle over every team counts for every team.
    team = Team.objects.first()
    later.teams.set([team])
    earlier.teams.clear()
    found = {r["cycle"] for r in summaries(analyst, f"?team={team.pk}")}
    assert found == {earlier.pk, later.pk}
    other_team = Team.objects.exclude(pk=team.pk).first()
    assert {r["cycle"] for r in summaries(analyst, f"?team={other_team.pk}")} == {earlier.pk}
    area = team.service_area
    assert later.pk in {r["cycle"] for r in summaries(analyst, f"?service_area={area}")}
    earlier.teams.set([team])
    unused = next(
        a for a, _ in Team.ServiceArea.choices if not Team.objects.filter(service_area=a).exists()
    )
    assert summaries(analyst, f"?service_area={unused}") == []


@pytest.mark.parametrize(
    ("query", "named", "words"),
    [
        ("?opinion=Excellent", "opinion", "Allowed: Substantial, Reasonable, Limited"),
        ("?service_area=zoo", "service_area", "Allowed: front_door"),
        ("?team=2.5", "team", "whole number"),
        ("?ordering=colour", "ordering", "Unknown ordering 'colour'. Allowed: period_end"),
        ("?cycle=2", "cycle", "Unknown query parameter"),
        ("?period_from=yesterday", "period_from", "date"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(internal_ian, query, named, words):
    response = internal_ian.get(f"/api/v1/assurance-summaries/{query}")
    assert response.status_code == 400
    assert words in str(response.json()[named])


def test_ordering(two_quarters, analyst):
    earlier, later = two_quarters
    assert [r["cycle"] for r in summaries(analyst, "?ordering=period_end")] == [
        earlier.pk,
        later.pk,
    ]
    assert [r["cycle"] for r in summaries(analyst, "?ordering=-period_end")] == [
        later.pk,
        earlier.pk,
    ]
    rows = summaries(analyst, "?ordering=good_or_better")
    estimates = [r["key_figures"]["good_or_better"]["estimate"] for r in rows]
    assert estimates == sorted(estimates)


@pytest.mark.parametrize("ask", [{"path": "?format=csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_the_same_list_as_csv(two_quarters, analyst, ask):
    path = ask.get("path", "")
    headers = {k: v for k, v in ask.items() if k != "path"}
    response = analyst.get(f"/api/v1/assurance-summaries/{path}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    json_rows = summaries(analyst)
    assert [int(r["cycle"]) for r in rows] == [r["cycle"] for r in json_rows]
    for row, summary in zip(rows, json_rows, strict=True):
        assert row["report_hash"] == summary["report"]["hash"]
        assert row["opinion"] == summary["opinion"]
        assert float(row["good_or_better"]) == summary["key_figures"]["good_or_better"]["estimate"]


def test_a_csv_page_links_the_next_and_errors_stay_json(two_quarters, analyst):
    response = analyst.get("/api/v1/assurance-summaries/?format=csv&limit=1")
    assert len(response.content.decode().strip().splitlines()) == 2  # header and one row
    assert 'rel="next"' in response["Link"]
    response = analyst.get("/api/v1/assurance-summaries/?format=csv&colour=red")
    assert response.status_code == 400
    assert "colour" in response.json()


def test_a_cycle_name_cannot_run_as_a_formula(two_quarters, analyst):
    Cycle.objects.filter(pk=two_quarters[1].pk).update(name='=HYPERLINK("x")')
    text = analyst.get("/api/v1/assurance-summaries/?format=csv").content.decode()
    assert "'=HYPERLINK" in text


def series(client, query):
    response = client.get(f"/api/v1/assurance-summaries/series/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_series_gives_one_figure_across_cycles(two_quarters, analyst):
    earlier, later = two_quarters
    body = series(analyst, "?figure=good_or_better")
    assert body["by"] == "overall"
    [line] = body["series"]
    assert [p["cycle"] for p in line["points"]] == [earlier.pk, later.pk]  # oldest first
    for point in line["points"]:
        report = Report.objects.get(cycle_id=point["cycle"])
        good = report.figures["summary"]["good_or_better"]
        assert (point["value"], point["low"], point["high"]) == (
            good["estimate"],
            good["low"],
            good["high"],
        )
        assert point["report"]["hash"] == report.report_hash
    by_team = series(analyst, "?figure=good_or_better&by=team")["series"]
    later_teams = {
        row["team"]: row for row in Report.objects.get(cycle=later).figures["findings"]["by_team"]
    }
    for line in by_team:
        for point in line["points"]:
            if point["cycle"] == later.pk:
                assert point["value"] == later_teams[line["group"]]["proportion"]
                assert point["n"] == later_teams[line["group"]]["audited"]
    assert {line["group"] for line in by_team} >= set(later_teams)
    completion = series(analyst, "?figure=completion")["series"][0]["points"]
    assert [p["value"] for p in completion] == [
        Report.objects.get(cycle=c).figures["summary"]["completion_rate"] for c in two_quarters
    ]
    alpha = series(analyst, "?figure=alpha&by=domain")
    assert "Krippendorff" in alpha["meaning"]
    only_later = series(analyst, f"?figure=completion&period_from={later.period_start}")
    assert [p["cycle"] for p in only_later["series"][0]["points"]] == [later.pk]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?figure=happiness", "figure"),
        ("?figure=completion&by=team", "by"),
        ("?figure=alpha&by=team", "by"),
        ("?figure=alpha&colour=red", "colour"),
        ("?figure=alpha&ordering=period_end", "ordering"),
    ],
)
def test_a_series_refuses_what_it_cannot_give(internal_ian, query, named):
    response = internal_ian.get(f"/api/v1/assurance-summaries/series/{query}")
    assert response.status_code == 400
    assert named in response.json()


def test_a_series_shows_only_the_cycles_one_may_see(two_quarters, client_for, make_person):
    outsider_eve = make_person("outsider_eve")
    assert client_for(outsider_eve).get("/api/v1/assurance-summaries/series/").status_code == 404
    auditor = User.objects.get(username="auditor.1")
    assert client_for(auditor).get("/api/v1/assurance-summaries/series/").status_code == 404
    lonely = make_person("manager_of_nothing_mo", "manager")
    body = series(client_for(lonely), "?figure=good_or_better")
    assert body["series"] == []


def test_the_schema_documents_the_csv_and_the_series(client_for, two_quarters):
    schema = (
        client_for(User.objects.get(username="internal.audit"))
        .get("/api/schema/", HTTP_ACCEPT="application/json")
        .json()
    )
    listing = schema["paths"]["/api/v1/assurance-summaries/"]["get"]
    assert "text/csv" in listing["responses"]["200"]["content"]
    assert listing["responses"]["200"]["content"]["text/csv"]["examples"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"period_from", "period_to", "team", "service_area", "opinion", "ordering"} <= names
    series_get = schema["paths"]["/api/v1/assurance-summaries/series/"]["get"]
    assert {p["name"] for p in series_get["parameters"]} >= {"figure", "by", "team"}
    assert series_get["responses"]["200"]["content"]["application/json"]["examples"]
