"""Schemathesis against our own OpenAPI schema, in process, for each role's token: no
5xx, responses that match the schema, and malformed input rejected."""

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from audits.models import ApiToken
from backend.wsgi import application

# Positive and negative (malformed) examples; the exhaustive coverage phase is left out to
# keep the run bounded in CI.
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "all"},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
ROLES = ["manager", "auditor", "internal_auditor"]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The WSGI handler closes database connections after each request, which would close
    # the test transaction; Django's own test client disconnects the same signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def token(request, db):
    user = User.objects.create_user(username=f"fuzz_{request.param}")
    user.groups.set([Group.objects.get_or_create(name=request.param)[0]])
    return ApiToken.issue(user=user, name="fuzz")[1]


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_never_fails_on_generated_input(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.response_schema_conformance,
            schemathesis.checks.negative_data_rejection,
            schemathesis.checks.status_code_conformance,
        ],
    )
