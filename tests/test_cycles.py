"""Audit cycles: a verifiable draw, extension, replacement, verification and the frame."""

import gzip
from datetime import date

import pytest

from audits.core import sampling
from audits.models import Case, Cycle, Event, SampledCase
from audits.selectors import frames
from audits.services import sample
from tests.conftest import stored_path

FRAME_ROWS = [(str(r), "all") for r in range(1001, 1021)]


@pytest.fixture
def register(teams):
    cp = teams["Child Protection One"]
    Case.objects.bulk_create(
        Case(case_ref=str(ref), team=cp, case_type="cp", opened_on=date(2025, 1, 1))
        for ref in range(1001, 1021)
    )
    return cp


@pytest.fixture
def cycle_url(people, register, client_for):
    client = client_for(people["qa_lead_quinn"])
    response = client.post(
        "/api/v1/cycles/",
        {
            "name": "Q3 2025 CP audit",
            "period_start": "2025-07-01",
            "period_end": "2025-09-30",
            "plan": {"method": "fixed", "n": 5},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return f"/api/v1/cycles/{response.json()['id']}/"


def sample_refs(client, url):
    rows = client.get(url + "sample/").json()["results"]
    return [(row["case_ref"], row["rank"], row["status"]) for row in rows]


def test_the_api_draws_the_smallest_keys_of_the_derived_seed(people, cycle_url, client_for):
    client = client_for(people["qa_lead_quinn"])
    response = client.post(cycle_url + "draw/", {}, format="json")
    assert response.status_code == 201, response.json()
    frame = response.json()["frame"]
    assert frame["size"] == 20
    assert frame["frame_hash"] == sampling.frame_hash(FRAME_ROWS)
    assert response.json()["status"] == "sampled"
    refs = [ref for ref, _, _ in sample_refs(client, cycle_url)]
    drawn = sampling.draw(FRAME_ROWS, allocation={"all": 5}, seed=frame["seed"])["all"]
    assert refs == [s.case_ref for s in drawn]
    event = Event.objects.get(verb="sample.drawn")
    assert (event.after["seed"], event.after["frame_hash"]) == (
        frame["seed"],
        frame["frame_hash"],
    )
    assert event.actor == people["qa_lead_quinn"]


def test_a_seed_is_generated_when_none_is_given(people, cycle_url, client_for):
    response = client_for(people["qa_lead_quinn"]).post(cycle_url + "draw/", {}, format="json")
    assert len(response.json()["frame"]["seed"]) >= 32


def test_a_second_draw_is_refused_and_changes_nothing(people, cycle_url, client_for):
    client = client_for(people["qa_lead_quinn"])
    client.post(cycle_url + "draw/", {}, format="json")
    before = sample_refs(client, cycle_url)
    again = client.post(cycle_url + "draw/", {"witness_input": "another"}, format="json")
    assert again.status_code == 409
    assert sample_refs(client, cycle_url) == before
    assert client.patch(cycle_url, {"name": "renamed"}, format="json").status_code == 409


def test_extension_adds_the_next_ranks_and_keeps_the_drawn_ones(people, cycle_url, client_for):
    client = client_for(people["qa_lead_quinn"])
    seed = client.post(cycle_url + "draw/", {}, format="json").json()["frame"]["seed"]
    before = sample_refs(client, cycle_url)
    unexplained = client.post(cycle_url + "extend/", {"sizes": {"all": 7}}, format="json")
    assert unexplained.status_code == 400
    assert "reason" in unexplained.json()
    assert sample_refs(client, cycle_url) == before
    response = client.post(
        cycle_url + "extend/", {"sizes": {"all": 7}, "reason": "Too few"}, format="json"
    )
    assert response.status_code == 201, response.json()
    after = sample_refs(client, cycle_url)
    assert after[:5] == before
    full = sampling.draw(FRAME_ROWS, allocation={"all": 7}, seed=seed)
    assert [(s.case_ref, s.rank, "selected") for s in full["all"]] == after
    shrink = client.post(cycle_url + "extend/", {"sizes": {"all": 3}, "reason": "x"}, format="json")
    assert shrink.status_code == 400
    unknown = client.post(
        cycle_url + "extend/", {"sizes": {"cla": 3}, "reason": "x"}, format="json"
    )
    assert unknown.status_code == 400


def test_replacement_needs_a_reason_and_takes_the_next_rank(people, cycle_url, client_for):
    client = client_for(people["qa_lead_quinn"])
    client.post(cycle_url + "draw/", {}, format="json")
    first = SampledCase.objects.get(rank=1)
    url = f"/api/v1/sampled-cases/{first.pk}/replace/"
    assert client.post(url, {"reason": ""}, format="json").status_code == 400
    response = client.post(url, {"reason": "Case transferred out of area"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["replacement"]["rank"] == 6
    first.refresh_from_db()
    assert first.status == "replaced"
    assert first.replaced_by.rank == 6
    assert first.replacement_reason == "Case transferred out of area"
    assert client.post(url, {"reason": "again"}, format="json").status_code == 409
    # The record still verifies: the replaced case keeps its rank.
    assert client.get(cycle_url + "verification/").json()["match"] is True


def test_verification_matches_and_names_a_tampered_stratum(people, cycle_url, client_for):
    client = client_for(people["qa_lead_quinn"])
    client.post(cycle_url + "draw/", {}, format="json")
    result = client.get(cycle_url + "verification/").json()
    assert result["match"] is True
    assert result["frame_hash_match"] is True
    assert "verify_sample.py" in result["command"]
    assert result["seed_match"] is True
    assert "hashlib" in result["script"]

    cycle = Cycle.objects.get()
    path = stored_path("frames", cycle.frame.frame_file)
    text = gzip.decompress(path.read_bytes()).decode().replace("1020,all", "1099,all")
    path.write_bytes(gzip.compress(text.encode()))
    result = client.get(cycle_url + "verification/").json()
    assert result["match"] is False
    assert result["frame_hash_match"] is False
    path.write_bytes(gzip.compress(text.replace("1099,all", "1020,all").encode()))
    first = SampledCase.objects.get(rank=1).case.case_ref
    text = gzip.decompress(path.read_bytes()).decode().replace(f"{first},all", "1021,all")
    path.write_bytes(gzip.compress(text.encode()))
    result = client.get(cycle_url + "verification/").json()
    assert result["match"] is False
    assert [s["stratum"] for s in result["strata"] if not s["match"]] == ["all"]


def test_the_frame_downloads_for_managers_and_internal_audit_only(people, cycle_url, client_for):
    client_for(people["qa_lead_quinn"]).post(cycle_url + "draw/", {}, format="json")
    for name in ("qa_lead_quinn", "internal_ian"):
        response = client_for(people[name]).get(cycle_url + "frame.csv")
        assert response.status_code == 200, name
        body = gzip.decompress(b"".join(response.streaming_content)).decode()
        assert body.splitlines()[0] == "case_ref,stratum"
        assert len(body.splitlines()) == 21
    for name in ("auditor_alice", "outsider_eve"):
        assert client_for(people[name]).get(cycle_url + "frame.csv").status_code == 404


def test_managers_of_other_teams_and_outsiders_cannot_see_the_cycle(people, teams, client_for):
    cycle = Cycle.objects.create(
        name="CLA deep dive", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30)
    )
    cycle.teams.set([teams["Children Looked After"]])
    url = f"/api/v1/cycles/{cycle.pk}/"
    assert client_for(people["manager_bob"]).get(url).status_code == 404
    assert client_for(people["outsider_eve"]).get(url).status_code == 404
    assert client_for(people["qa_lead_quinn"]).get(url).status_code == 200
    assert client_for(people["internal_ian"]).get(url).status_code == 200
    assert client_for(people["internal_ian"]).post(url + "draw/", {}).status_code == 403


def test_exclusions_are_recorded_with_their_reasons(people, register, client_for):
    Case.objects.filter(case_ref="1001").update(closed_on=date(2025, 3, 1))
    earlier = Cycle.objects.create(
        name="Q2", period_start=date(2025, 4, 1), period_end=date(2025, 6, 30), status="sampled"
    )
    SampledCase.objects.create(
        cycle=earlier,
        case=Case.objects.get(case_ref="1002"),
        stratum="all",
        rank=1,
        selection_key="0" * 64,
    )
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        plan={"method": "fixed", "n": 3},
    )
    frame = sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])
    assert frame.size == 18
    assert frame.exclusion_counts == {
        "closed before the period": 1,
        "audited in the last 12 months": 1,
    }
    path = stored_path("frames", frame.exclusions_file)
    stored = gzip.decompress(path.read_bytes()).decode()
    assert "1001,closed before the period" in stored
    assert "1002,audited in the last 12 months" in stored


def test_the_plan_preview_allocates_across_strata(people, teams, client_for):
    cla = teams["Children Looked After"]
    cp = teams["Child Protection One"]
    for index in range(300):
        team, kind = (cp, "cp") if index < 200 else (cla, "cla")
        Case.objects.create(
            case_ref=f"P{index}", team=team, case_type=kind, opened_on=date(2025, 1, 1)
        )
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        stratify_by="case_type",
        plan={"method": "estimation", "margin": 0.1, "confidence": 0.95, "p": 0.5},
    )
    response = client_for(people["qa_lead_quinn"]).get(f"/api/v1/cycles/{cycle.pk}/plan/")
    assert response.status_code == 200
    plan = response.json()
    assert plan["strata"] == {"cla": 100, "cp": 200}
    assert plan["sample_size"] == 73  # 96.04 with the finite population correction for 300
    assert plan["allocation"] == {"cla": 24, "cp": 49}


def test_bad_plans_are_rejected_with_field_errors(people, client_for):
    client = client_for(people["qa_lead_quinn"])
    body = {"name": "x", "period_start": "2025-07-01", "period_end": "2025-06-01"}
    assert "period_end" in client.post("/api/v1/cycles/", body, format="json").json()
    body = {
        "name": "x",
        "period_start": "2025-07-01",
        "period_end": "2025-09-01",
        "plan": {"method": "attribute", "tolerable_rate": 0.05},
    }
    response = client.post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 400
    assert "expected_rate" in str(response.json())


@pytest.mark.postgres
def test_postgresql_and_python_select_the_same_sample(people, teams):
    cp, cla = teams["Child Protection One"], teams["Children Looked After"]
    Case.objects.bulk_create(
        Case(
            case_ref=f"R{index:05d}",
            team=cp if index % 3 else cla,
            case_type=["cp", "cin", "cla"][index % 3],
            opened_on=date(2025, 1, 1),
        )
        for index in range(3000)
    )
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        stratify_by="team_case_type",
    )
    allocation = dict.fromkeys(frames.strata_sizes(cycle), 7)
    in_database = frames.select_in_database(cycle, allocation, "seed-pg")
    in_python = sampling.draw(frames.frame_rows(cycle), allocation=allocation, seed="seed-pg")
    assert in_database == in_python
    assert sum(len(v) for v in in_python.values()) == 7 * len(allocation)


def _small_and_large_strata(teams):
    for index in range(303):
        team, kind = (
            (teams["Child Protection One"], "cp")
            if index < 300
            else (teams["Children Looked After"], "cla")
        )
        Case.objects.create(
            case_ref=f"M{index}", team=team, case_type=kind, opened_on=date(2025, 1, 1)
        )


def test_the_planner_gives_every_stratum_two_cases_by_default(people, teams, client_for):
    # Issue 13, finding 5: with a default minimum of 0 a small stratum was allocated no case
    # and vanished from the estimate.
    _small_and_large_strata(teams)
    client = client_for(people["qa_lead_quinn"])
    body = {
        "name": "Q3",
        "period_start": "2025-07-01",
        "period_end": "2025-09-30",
        "stratify_by": "case_type",
        "plan": {"method": "fixed", "n": 10},
    }
    response = client.post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["plan"]["minimum"] == 2
    plan = client.get(f"/api/v1/cycles/{response.json()['id']}/plan/").json()
    assert plan["allocation"] == {"cla": 2, "cp": 8}
    unplanned = Cycle.objects.create(
        name="Q4", period_start=date(2025, 10, 1), period_end=date(2025, 12, 31)
    )
    assert unplanned.plan["minimum"] == 2


def test_the_minimum_per_stratum_is_configurable_per_cycle(people, teams, client_for):
    _small_and_large_strata(teams)
    client = client_for(people["qa_lead_quinn"])
    body = {
        "name": "Q3",
        "period_start": "2025-07-01",
        "period_end": "2025-09-30",
        "stratify_by": "case_type",
        "plan": {"method": "fixed", "n": 10, "minimum": 0},
    }
    cycle_id = client.post("/api/v1/cycles/", body, format="json").json()["id"]
    assert client.get(f"/api/v1/cycles/{cycle_id}/plan/").json()["allocation"] == {
        "cla": 0,
        "cp": 10,
    }
    # A plan stored before the minimum was a plan field falls back to the default.
    Cycle.objects.filter(pk=cycle_id).update(plan={"method": "fixed", "n": 10})
    assert client.get(f"/api/v1/cycles/{cycle_id}/plan/").json()["allocation"] == {
        "cla": 2,
        "cp": 8,
    }
