"""Which register imports a person may see: an administrator every one, a manager their
own; anyone else none (they may not import). Kept beside ``scoping`` (same rules shape)."""

from django.db.models import Q, QuerySet

from audits.core import roles
from audits.models import ImportJob
from audits.selectors.scoping import _everything, _scope


def import_jobs_for(user) -> QuerySet[ImportJob]:
    rules = {roles.ADMIN: _everything, roles.MANAGER: lambda user: Q(requested_by=user)}
    return ImportJob.objects.filter(_scope(user, rules))
