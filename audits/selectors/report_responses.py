"""The inputs of the report's practitioner-response figures (``core/responses.py``): every
final primary audit of the cycle, whether its window had closed on the report's day, and
the responses given by then."""

from datetime import timedelta

from django.utils import timezone

from audits.models import Audit, PractitionerResponse
from audits.selectors.responses import response_due_on


def response_inputs(cycle, as_of) -> list[dict]:
    as_of_day = timezone.localdate(as_of) if as_of else timezone.localdate()
    audits = (
        Audit.objects.filter(
            assignment__sampled_case__cycle=cycle,
            assignment__role="primary",
            status=Audit.Status.FINAL,
        )
        .select_related("assignment__sampled_case__case")
        .order_by("pk")
    )
    given = PractitionerResponse.objects.filter(audit__in=audits).order_by("at", "pk")
    if as_of:
        # as_of is kept to the second: a response in that second is before it.
        given = given.filter(at__lt=as_of + timedelta(seconds=1))
    by_audit: dict[int, list[dict]] = {}
    for response in given:
        by_audit.setdefault(response.audit_id, []).append(
            {"verdict": response.verdict, "held_as": response.held_as, "comment": response.comment}
        )
    rows = []
    for audit in audits:
        due_on = response_due_on(audit)
        rows.append(
            {
                "audit": audit.pk,
                "case_ref": audit.assignment.sampled_case.case.case_ref,
                "window_closed": due_on is not None and due_on < as_of_day,
                "responses": by_audit.get(audit.pk, []),
            }
        )
    return rows
