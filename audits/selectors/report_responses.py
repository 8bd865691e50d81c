"""The inputs of the report's practitioner-response figures (``core/responses.py``): every
final primary audit of the cycle, whether its window had closed on the report's day, and
the responses given by then."""

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from audits.models import Audit, Moderation, PractitionerResponse
from audits.selectors.responses import FINALISING, due_after


def response_inputs(cycle, as_of) -> list[dict]:
    as_of_day = timezone.localdate(as_of) if as_of else timezone.localdate()
    audits = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        assignment__role="primary",
        status=Audit.Status.FINAL,
    ).order_by("pk")
    given = PractitionerResponse.objects.filter(audit__in=audits).order_by("at", "pk")
    if as_of:
        # as_of is kept to the second: a response in that second is before it.
        given = given.filter(at__lt=as_of + timedelta(seconds=1))
    by_audit: dict[int, list[dict]] = {}
    for response in given:
        by_audit.setdefault(response.audit_id, []).append(
            {"verdict": response.verdict, "held_as": response.held_as, "comment": response.comment}
        )
    # Plain values read in chunks: model instances of a large cycle's audits (with their
    # answers, and the cycles a prefetch makes) would cost megabytes and wait for the GC.
    moderated = dict(
        Moderation.objects.filter(audit__in=audits, decision__in=FINALISING)
        .values("audit_id")
        .annotate(last=Max("at"))
        .values_list("audit_id", "last")
    )
    read = audits.values_list("pk", "submitted_at", "assignment__sampled_case__case__case_ref")
    rows, due_by_day = [], {}  # audits become final on a few days: each worked out once
    zone = timezone.get_current_timezone()  # looked up once, not once per audit
    for audit_id, submitted_at, case_ref in read.iterator(chunk_size=2000):
        when = moderated.get(audit_id) or submitted_at
        # finalised_day's day, the time zone read once (its lookup per audit was a third
        # of this read at 50,000 audits).
        final_day = when.astimezone(zone).date() if when else None
        if final_day not in due_by_day:
            due_by_day[final_day] = due_after(final_day)
        due_on = due_by_day[final_day]
        rows.append(
            {
                "audit": audit_id,
                "case_ref": case_ref,
                "window_closed": due_on is not None and due_on < as_of_day,
                "responses": by_audit.get(audit_id, []),
            }
        )
    return rows
