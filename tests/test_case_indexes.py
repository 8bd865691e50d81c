"""The cases table keeps the indexes its queries use and no more (migration 0016: every
index is paid for by each imported row), and a case reference is still unique: in the
database, and in forms and admin with the same words as before."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from audits.models import Case

pytestmark = pytest.mark.django_db


def test_the_cases_table_has_one_index_per_key_and_foreign_key():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Case._meta.db_table)
    indexed = sorted(
        tuple(found["columns"])
        for found in constraints.values()
        if found["index"] or found["unique"] or found["primary_key"]
    )
    # No second index on case_ref (PostgreSQL's LIKE 'x%' twin), none on case_type.
    assert indexed == [("case_ref",), ("id",), ("manager_id",), ("team_id",), ("worker_id",)]


def test_a_case_reference_is_refused_twice(teams):
    team = teams["Child Protection One"]
    Case.objects.create(case_ref="U-1", team=team, case_type="cp", opened_on=date(2025, 1, 1))
    twin = Case(case_ref="U-1", team=team, case_type="cla", opened_on=date(2025, 2, 1))
    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert refused.value.message_dict == {"case_ref": ["Case with this Case ref already exists."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert Case.objects.filter(case_ref="U-1").count() == 1
