"""Internal audit's flow through a client generated from our own schema, as their team does
it: ``openapi-python-client`` over /api/schema/, every generated module imported, then a
token, the summaries for a period, a report, its data.json and its audits.csv in pandas.
No hand-written HTTP: every call below goes through the generated client to a real server.
"""

import datetime
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.test import Client
from openapi_spec_validator import validate

from audits.core.demo_council import PASSWORD
from audits.models import Team
from audits.services import reports
from tests.builders import finished_cycle
from worker.compile import report_compile

PACKAGE = "caseassure_client"
# The generator makes no network calls and runs no formatter (post_hooks: none), so it
# works offline on a fresh machine. Every file download comes back as bytes: the generator
# reads a text/* file as text and then fails to wrap it (BytesIO of a str), so CSV and
# script files are read as octet streams, as PDF and gzip are.
GENERATOR_CONFIG = {
    "project_name_override": PACKAGE,
    "package_name_override": PACKAGE,
    "post_hooks": [],
    "content_type_overrides": {
        "application/pdf": "application/octet-stream",
        "application/gzip": "application/octet-stream",
        "application/zip": "application/octet-stream",
        "text/csv": "application/octet-stream",
        "text/x-python": "application/octet-stream",
    },
}


def generate_client(schema_text: str, folder: Path) -> Path:
    (folder / "schema.json").write_text(schema_text, encoding="utf-8")
    (folder / "config.json").write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
    generator = Path(sys.executable).parent / "openapi-python-client"
    # Import-time failures (``name 'Unset' is not defined``) show up only on import, below;
    # the generator also refuses a schema it cannot read, with the reason on stderr.
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(folder / "config.json"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


@pytest.fixture
def generated(tmp_path):
    """The generated package, importable for this test only."""
    schema_text = Client().get("/api/schema/", {"format": "json"}).content.decode()
    validate(json.loads(schema_text))  # openapi-spec-validator: a valid OpenAPI 3 document
    sys.path.insert(0, str(generate_client(schema_text, tmp_path)))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_every_generated_module_imports(generated):
    names = [m.name for m in pkgutil.walk_packages(generated.__path__, PACKAGE + ".")]
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # every failure is listed, not just the first
            failed[name] = repr(error)
    assert failed == {}
    assert len(names) > 100  # one module per operation and per component, and the client


@pytest.mark.django_db(transaction=True)
def test_internal_audit_pulls_figures_with_the_generated_client(generated, live_server):
    cycle = finished_cycle(cases=150, n=20)
    job = reports.report_request(cycle=cycle, actor=User.objects.get(username="qa.lead"))
    report_compile(job.pk, "task-generated-client")

    from caseassure_client import AuthenticatedClient
    from caseassure_client import Client as AnonymousClient
    from caseassure_client.api.assurance_summaries import assurance_summaries_list
    from caseassure_client.api.auth import auth_token_create
    from caseassure_client.api.reports import (
        reports_audits_csv_retrieve,
        reports_data_json_retrieve,
        reports_list,
        reports_retrieve,
    )
    from caseassure_client.models import (
        CredentialsRequest,
        Figures,
        OpinionEnum,
        ReportDetail,
        ReportStatusEnum,
        Token,
    )

    anonymous = AnonymousClient(base_url=live_server.url, raise_on_unexpected_status=True)
    token = auth_token_create.sync(
        client=anonymous,
        body=CredentialsRequest(username="internal.audit", password=PASSWORD, name="pandas"),
    )
    assert isinstance(token, Token)
    api = AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )

    in_period = assurance_summaries_list.sync(
        client=api, period_from=cycle.period_start, period_to=cycle.period_end
    )
    assert [s.cycle for s in in_period.results] == [cycle.pk]
    summary = in_period.results[0]
    assert isinstance(summary.opinion, OpinionEnum)
    assert summary.key_figures.audited == 20
    estimate = summary.key_figures.good_or_better
    assert estimate.low <= estimate.estimate <= estimate.high
    assert {c.opinion for c in summary.conditions} >= {OpinionEnum.SUBSTANTIAL}
    # By team: the cycle names no teams, so it covers every team; a team id that does not
    # exist is refused by name (strict queries), not answered with every row.
    team = Team.objects.order_by("pk").first()
    of_team = assurance_summaries_list.sync(
        client=api, period_from=cycle.period_start, period_to=cycle.period_end, team=team.pk
    )
    assert [s.cycle for s in of_team.results] == [cycle.pk]
    assert of_team.results[0].report.id == job.pk
    later = assurance_summaries_list.sync(
        client=api, period_from=cycle.period_end + datetime.timedelta(days=1)
    )
    assert later.results == []

    jobs = reports_list.sync(client=api, cycle=cycle.pk)
    assert [j.id for j in jobs.results] == [job.pk]
    detail = reports_retrieve.sync(client=api, id=job.pk)
    assert isinstance(detail, ReportDetail)
    assert detail.status is ReportStatusEnum.DONE
    assert detail.report_hash == summary.report_hash
    assert detail.figures.summary.good_or_better.estimate == estimate.estimate
    assert detail.figures.reliability.alpha_overall == summary.key_figures.alpha_overall
    assert detail.files.csv == summary.files.csv

    data = reports_data_json_retrieve.sync(client=api, id=job.pk)
    assert isinstance(data, Figures)
    assert data.to_dict() == detail.figures.to_dict()

    csv_file = reports_audits_csv_retrieve.sync(client=api, id=job.pk)
    audits = pd.read_csv(csv_file.payload)
    # One row per audit, second audits of double-audited cases included.
    assert (audits["role"] == "primary").sum() == summary.key_figures.audited
    assert audits["case_ref"].nunique() == summary.key_figures.audited
