"""The audit an auditor opens (GET /api/v1/audits/{id}/), read in narrow queries.

The full scope (scoping.audits_for) joined seven tables with a subquery to find the audit
and everything AuditSerializer shows. On PostgreSQL that query cost 1.8 ms to plan against
0.2 ms to run, and composing it 3.4 ms of the web process's CPU, on every open: opening an
audit was served at 29/s on this 2-core machine where an autosave was served at 114/s
(bench/load.py (iii)). Here the auditor's own audit is the autosave's read
(scoping.audit_editable_by: the audit, its assignment and its auditor), then its
assignment with the auditor and the case in one five-table read, and the form's name and
version from the process's kept published forms (published_forms). The result is what
audits_for shows the auditor: their own audit is always in it.

Measured in one process through bench.load's WSGI application, production settings,
PostgreSQL, interleaved with the floor's open (load average 9-19): the open took 9.6 ms of
CPU per request before (floor 2.8 ms) and 6.1 ms after (floor 2.5 ms, autosave 2.9 ms);
PostgreSQL planned the scope query in 1.75 ms (median of 30), the floor's in 0.12 ms.
bench/load.py (iii) then, load average 8.6 to 6.6: open knee 134.5/s against the floor's
263.5/s (0.51; before, 0 against 134.5: 25/s already passed 150 ms).
"""

from audits.models import Assignment, Audit
from audits.selectors import published_forms, scoping


def audit_opened_by(user, audit_id) -> Audit | None:
    """Audit ``audit_id`` with what AuditSerializer reads loaded, if ``user`` opens it as its
    auditor; None otherwise (the caller then goes through the full scope, which answers 404
    outside it)."""
    audit = scoping.audit_editable_by(user, audit_id)
    if audit is None:
        return None
    audit.assignment = Assignment.objects.select_related("auditor", "sampled_case__case__team").get(
        pk=audit.assignment_id
    )
    audit.template = published_forms.template_for_grading(audit.template_id)
    return audit
