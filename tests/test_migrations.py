"""A new database starts with the role groups and the default audit form, and the
migrations that make it import no application code that could change under them."""

import ast
from pathlib import Path

from django.contrib.auth.models import Group

from audits.models import Template

MIGRATIONS = Path(__file__).resolve().parent.parent / "audits" / "migrations"


def test_a_migrated_database_has_the_role_groups_and_the_default_form_published(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "auditor",
        "manager",
        "internal_auditor",
        "admin",
        "practitioner",
    }
    form = Template.objects.get(name="Children's social care case audit")
    assert (form.version, form.status) == (1, "published")
    assert form.published_at is not None
    assert len(form.definition["sections"]) > 0


def test_migrations_import_only_django_and_the_model_defaults_makemigrations_names():
    imported = {}
    for path in sorted(MIGRATIONS.glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            imported[path.name] = imported.get(path.name, set()) | set(names)
    allowed = ("django.", "audits.models.")  # callable field defaults, as makemigrations writes
    outside = {
        name: sorted(module for module in modules if not module.startswith(allowed))
        for name, modules in imported.items()
    }
    assert {name: modules for name, modules in outside.items() if modules} == {}
