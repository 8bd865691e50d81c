"""A draw nobody can steer: the frame is frozen and its hash recorded before the seed exists;
the seed is derived from that hash, the server's own random bits and optional witness
input; nobody can type it. A drawn cycle is never deleted or drawn again, and a second draw
over the same period and teams is named in both records."""

import gzip
import hashlib
import io
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date

import pytest
from django.test import Client

from audits.core import sampling
from audits.models import Case, Cycle, Event, Frame
from audits.services import sample
from tests.conftest import stored_path, use_local_files

INJECTION = "x' ; touch /tmp/pwned ; echo '"


@pytest.fixture
def register(teams):
    cp = teams["Child Protection One"]
    Case.objects.bulk_create(
        Case(case_ref=str(ref), team=cp, case_type="cp", opened_on=date(2025, 1, 1))
        for ref in range(1001, 1041)
    )
    return cp


def new_cycle(client, *, name="Q3 2025 CP audit", teams=(), start="2025-07-01", n=5):
    body = {
        "name": name,
        "period_start": start,
        "period_end": "2025-09-30",
        "plan": {"method": "fixed", "n": n},
        "teams": list(teams),
    }
    response = client.post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 201, response.json()
    return f"/api/v1/cycles/{response.json()['id']}/"


@pytest.fixture
def quinn(people, register, client_for):
    return client_for(people["qa_lead_quinn"])


def test_the_seed_is_derived_from_the_frozen_frame_the_servers_bits_and_the_witnesses(quinn):
    url = new_cycle(quinn)
    response = quinn.post(url + "draw/", {"witness_input": "3 6 1 4 2 5"}, format="json")

    assert response.status_code == 201, response.json()
    frame = response.json()["frame"]
    assert re.fullmatch(r"[0-9a-f]{64}", frame["server_random"])
    assert frame["witness_input"] == "3 6 1 4 2 5"
    parts = f"{frame['frame_hash']}\n{frame['server_random']}\n3 6 1 4 2 5"
    assert frame["seed"] == hashlib.sha256(parts.encode("ascii")).hexdigest()
    assert frame["seed_algorithm"] == sampling.SEED_ALGORITHM
    refs = [row["case_ref"] for row in quinn.get(url + "sample/").json()["results"]]
    rows = [(str(ref), "all") for ref in range(1001, 1041)]
    assert refs == [
        s.case_ref for s in sampling.draw(rows, allocation={"all": 5}, seed=frame["seed"])["all"]
    ]


def test_the_frame_hash_is_recorded_before_the_seed_exists(quinn, monkeypatch):
    url = new_cycle(quinn)
    seen_when_the_bits_were_read = []
    real = sampling.new_server_random

    def spy():
        seen_when_the_bits_were_read.append(
            list(Event.objects.filter(verb__startswith="sample.").values_list("verb", "after"))
        )
        return real()

    monkeypatch.setattr(sampling, "new_server_random", spy)
    frame = quinn.post(url + "draw/", {}, format="json").json()["frame"]

    ((frozen,),) = seen_when_the_bits_were_read
    assert frozen == ("sample.frame_frozen", {"frame_hash": frame["frame_hash"], "population": 40})
    frozen_event = Event.objects.get(verb="sample.frame_frozen")
    drawn_event = Event.objects.get(verb="sample.drawn")
    assert frozen_event.pk < drawn_event.pk
    assert frozen_event.at <= drawn_event.at
    assert drawn_event.after["server_random"] == frame["server_random"]
    assert drawn_event.after["seed"] == frame["seed"]
    assert frame["frozen_at"] is not None


def test_every_draw_reads_fresh_random_bits(people, register, client_for):
    client = client_for(people["qa_lead_quinn"])
    drawn = []
    for index in range(3):
        url = new_cycle(client, name=f"cycle {index}", start=f"201{index}-07-01")
        frame = client.post(url + "draw/", {"witness_input": "same"}, format="json").json()
        drawn.append((frame["frame"]["server_random"], frame["frame"]["seed"]))
    assert len({server_random for server_random, _ in drawn}) == 3
    assert len({seed for _, seed in drawn}) == 3


def test_a_client_cannot_supply_the_seed(quinn):
    url = new_cycle(quinn)
    response = quinn.post(url + "draw/", {"seed": "LA-QA-2025-06"}, format="json")

    assert response.status_code == 400
    assert "seed" in response.json()
    assert "witness_input" in str(response.json()["seed"])
    assert not Frame.objects.exists()
    assert not Event.objects.filter(verb__startswith="sample.").exists()
    assert Cycle.objects.get().status == "planned"


@pytest.mark.parametrize(
    "witness_input",
    [INJECTION, "it's", "dice: 3,4", "a" * 101, "line\nbreak", "Zoë", "$(touch /tmp/x)"],
)
def test_witness_input_outside_the_alphabet_is_refused_and_nothing_is_drawn(
    quinn, witness_input, settings, tmp_path
):
    use_local_files(settings, tmp_path)
    url = new_cycle(quinn)
    response = quinn.post(url + "draw/", {"witness_input": witness_input}, format="json")

    assert response.status_code == 400
    assert "witness_input" in response.json()
    assert not Frame.objects.exists()
    assert not list(stored_path("frames", "").glob("cycle-*-frame.csv.gz"))


def test_a_drawn_cycle_cannot_be_deleted_or_drawn_again(quinn, people, client_for):
    url = new_cycle(quinn)
    first = quinn.post(url + "draw/", {"witness_input": "one"}, format="json").json()["frame"]

    assert quinn.post(url + "draw/", {"witness_input": "two"}, format="json").status_code == 409
    assert quinn.delete(url).status_code == 409
    assert Frame.objects.get().seed == first["seed"]
    cycle = Cycle.objects.get()
    with pytest.raises(sample.StateConflict):
        sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])

    # Pages: a second draw is refused and changes nothing.
    page = Client()
    page.force_login(people["qa_lead_quinn"])
    response = page.post(f"/cycles/{cycle.pk}/draw/", {"confirm": "yes"}, follow=True)
    assert "cannot be redrawn" in response.content.decode()
    assert Frame.objects.get().seed == first["seed"]

    # Admin: cycles, frames and samples are not editable there at all.
    admin = Client()
    admin.force_login(people["admin_ada"])
    people["admin_ada"].is_staff = people["admin_ada"].is_superuser = True
    people["admin_ada"].save()
    for model in ("cycle", "frame", "sampledcase"):
        assert admin.get(f"/admin/audits/{model}/{cycle.pk}/delete/").status_code in (302, 404)
    assert Cycle.objects.filter(pk=cycle.pk).exists()


def test_the_page_draw_needs_a_confirmation_and_takes_witness_input(people, register):
    cycle = Cycle.objects.create(
        name="Q3",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 9, 30),
        plan={"method": "fixed", "n": 4},
    )
    page = Client()
    page.force_login(people["qa_lead_quinn"])
    # The cycle's page links to the question; the question page holds the form.
    assert f'href="/cycles/{cycle.pk}/draw/"' in page.get(f"/cycles/{cycle.pk}/").content.decode()
    form = page.get(f"/cycles/{cycle.pk}/draw/").content.decode()
    assert 'name="witness_input"' in form
    assert "It cannot be drawn again" in form

    unconfirmed = page.post(f"/cycles/{cycle.pk}/draw/", {"witness_input": "6 6 1"})
    assert unconfirmed.status_code == 400
    assert 'href="#draw_confirm"' in unconfirmed.content.decode()
    bad = page.post(f"/cycles/{cycle.pk}/draw/", {"witness_input": INJECTION, "confirm": "yes"})
    assert bad.status_code == 400
    assert 'href="#draw_witness_input"' in bad.content.decode()
    assert not Frame.objects.exists()

    drawn = page.post(f"/cycles/{cycle.pk}/draw/", {"witness_input": "6 6 1", "confirm": "yes"})
    assert drawn.status_code == 302
    frame = Frame.objects.get()
    assert frame.witness_input == "6 6 1"
    shown = page.get(f"/cycles/{cycle.pk}/").content.decode()
    assert frame.server_random in shown
    assert frame.seed in shown


def test_a_second_draw_over_the_same_period_and_teams_is_named_in_both_records(
    people, register, teams, client_for
):
    quinn = client_for(people["qa_lead_quinn"])
    first = new_cycle(quinn, name="First try", teams=["Child Protection One"])
    quinn.post(first + "draw/", {}, format="json")
    second = new_cycle(quinn, name="Second try", start="2025-08-01")  # every team
    quinn.post(second + "draw/", {}, format="json")
    apart = new_cycle(quinn, name="Other team", teams=["Children Looked After"])
    Case.objects.create(
        case_ref="CLA-1",
        team=teams["Children Looked After"],
        case_type="cla",
        opened_on=date(2025, 1, 1),
    )
    quinn.post(apart + "draw/", {}, format="json")

    def named(url):
        return [c["name"] for c in quinn.get(url).json()["frame"]["overlapping_draws"]]

    assert named(first) == ["Second try"]
    page = Client()
    page.force_login(people["qa_lead_quinn"])
    undrawn = Cycle.objects.create(
        name="Third try", period_start=date(2025, 9, 1), period_end=date(2025, 9, 30)
    )
    warning = page.get(f"/cycles/{undrawn.pk}/").content.decode()
    assert "overlapping period and teams: First try, Second try, Other team." in warning
    assert named(second) == ["First try", "Other team"]
    assert named(apart) == ["Second try"]
    ian = Client()
    ian.force_login(people["internal_ian"])
    first_id = first.rstrip("/").rsplit("/", 1)[1]
    record = ian.get(f"/assurance/cycles/{first_id}/sampling/").content.decode()
    assert "Second try" in record
    assert "Other team" not in record
    event = Event.objects.filter(verb="sample.drawn").order_by("pk").last()
    assert len(event.after["overlapping_cycles"]) == 1


def python3() -> str:
    return shutil.which("python3") or sys.executable


def test_internal_audit_rechecks_the_draw_as_the_readme_says(
    people, register, client_for, tmp_path
):
    """The README walk-through, run as written: export through the API as internal audit,
    recompute with the standalone script under python3 -I, then tamper and see it fail."""
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    quinn.post(url + "draw/", {"witness_input": "-4 2 6 1 - witnessed"}, format="json")

    ian = client_for(people["internal_ian"])
    record = ian.get(url + "verification/").json()
    frame = ian.get(url).json()["frame"]
    frame_download = ian.get(url + "frame.csv")
    (tmp_path / Frame.objects.get().frame_file).write_bytes(
        b"".join(frame_download.streaming_content)
    )
    (tmp_path / record["sample_file"]).write_bytes(ian.get(url + "sample.csv").content)
    (tmp_path / "verify_sample.py").write_bytes(ian.get(url + "verify_sample.py").content)

    command = shlex.split(record["command"])
    assert command[:3] == ["python3", "-I", "verify_sample.py"]
    assert f"--seed={frame['seed']}" in command
    assert f"--frame-hash={frame['frame_hash']}" in command
    assert f"--server-random={frame['server_random']}" in command
    assert "--witness-input=-4 2 6 1 - witnessed" in command

    def run(words):
        return subprocess.run(
            [python3(), *words[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin"},
        )

    good = run(command)
    assert good.returncode == 0, good.stderr
    assert "MATCH" in good.stdout

    # A seed that does not come from its parts is caught.
    wrong_seed = [w for w in command if not w.startswith("--witness-input=")]
    wrong_seed.append("--witness-input=-4 2 6 2 - witnessed")
    assert "seed" in run(wrong_seed).stderr
    assert run(wrong_seed).returncode == 1

    # One line of the frame changed: the frame hash and the selection no longer agree.
    frame_path = tmp_path / Frame.objects.get().frame_file
    text = gzip.decompress(frame_path.read_bytes()).decode()
    frame_path.write_bytes(gzip.compress(text.replace("1020,all", "1099,all").encode()))
    tampered = run(command)
    assert tampered.returncode == 1
    assert "frame hash" in tampered.stderr


def test_the_printed_command_quotes_every_argument_even_an_old_typed_seed(
    people, register, client_for
):
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    quinn.post(url + "draw/", {}, format="json")
    # A draw from before seeds were derived kept whatever was typed.
    Frame.objects.update(seed=INJECTION, server_random="", witness_input="")

    command = quinn.get(url + "verification/").json()["command"]

    words = shlex.split(command)
    assert f"--seed={INJECTION}" in words
    assert not [w for w in words if w.startswith("--server-random")]
    assert len(words) == 7


def test_the_report_names_the_other_draw_and_prints_the_seeds_parts(people, register, client_for):
    from datetime import UTC, datetime

    from pypdf import PdfReader

    from audits.selectors.report_build import report_build
    from worker.report_pdf import render_pdf

    quinn = client_for(people["qa_lead_quinn"])
    first = new_cycle(quinn, name="First try")
    quinn.post(first + "draw/", {"witness_input": "5 5 2"}, format="json")
    quinn.post(new_cycle(quinn, name="Second try") + "draw/", {}, format="json")
    cycle = Cycle.objects.get(name="First try")

    figures, *_ = report_build(cycle, datetime.now(UTC))

    method = figures["methodology"]
    assert [o["name"] for o in method["overlapping_draws"]] == ["Second try"]
    assert method["seed_parts"]["server_random"] == cycle.frame.server_random
    assert method["seed_parts"]["witness_input"] == "5 5 2"
    stream = io.BytesIO()
    render_pdf(figures, stream)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(stream).pages)
    assert "Second try" in text
    assert cycle.frame.server_random[:32] in text.replace(" ", "")
    assert "5 5 2" in text


def test_a_pasted_command_with_a_hostile_old_seed_runs_nothing(
    people, register, client_for, tmp_path
):
    marker = tmp_path / "pwned"
    hostile = f"x' ; touch {marker} ; echo '"
    quinn = client_for(people["qa_lead_quinn"])
    url = new_cycle(quinn)
    quinn.post(url + "draw/", {}, format="json")
    Frame.objects.update(seed=hostile, server_random="", witness_input="")
    record = quinn.get(url + "verification/").json()
    (tmp_path / "verify_sample.py").write_text(record["script"], encoding="utf-8")

    pasted = record["command"].replace("python3", shlex.quote(python3()), 1)
    result = subprocess.run(
        ["/bin/sh", "-c", pasted], cwd=tmp_path, capture_output=True, text=True, check=False
    )

    assert not marker.exists()
    assert result.returncode != 0  # the files are not there: the script, not the shell, stops
