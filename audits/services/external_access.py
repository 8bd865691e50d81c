"""Writes on external access: an administrator grants a named outsider read access to one
cycle's sample (or a case records review drawn from it) for a date range, changes the dates
or the organisation, or withdraws it with a reason. Each write records its Event. Access
ends by itself after its last day: nothing needs to run for it (the reads check the date).
"""

from django.db import transaction
from django.utils import timezone

from audits.core import external_access as rules
from audits.core import roles, sampling
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.models import ExternalAccess, ExternalReviewCase, SampledCase
from audits.selectors import external_access as reads
from audits.services.history import event_record

NOT_ADMIN = "Only an administrator gives, changes or withdraws external access."
NOT_DRAWN = "This cycle's sample is not drawn yet: there is nothing to review."
WITHDRAWN = "This access was withdrawn; give a new one instead."
ENDED = "This access has ended; give a new one instead."
PURPOSES = dict(ExternalAccess.Purpose.choices)
SCOPES = dict(ExternalAccess.Scope.choices)


def _check_admin(actor) -> None:
    if not reads.may_manage(actor):
        raise Forbidden(NOT_ADMIN)


def _record(access: ExternalAccess) -> dict:
    return {
        "person": access.person.username,
        "organisation": access.organisation,
        "purpose": access.purpose,
        "cycle": access.cycle_id,
        "scope": access.scope,
        "review_size": access.review_size,
        "starts_on": access.starts_on.isoformat(),
        "ends_on": access.ends_on.isoformat(),
    }


def _person_problems(person) -> list[str]:
    if person is None:
        return ["Choose the person to give access to."]
    if not person.is_active:
        return ["This account is switched off."]
    if person.is_staff or person.is_superuser or roles.roles_of(person):
        return ["This person works here (they hold a role): external access is for outsiders."]
    return []


def _fields_problems(*, person, organisation, purpose, scope, review_size, dates) -> dict:
    problems = {}
    if found := _person_problems(person):
        problems["person"] = found
    if not (organisation or "").strip():
        problems["organisation"] = ["Enter the organisation the person reviews for."]
    if purpose not in PURPOSES:
        problems["purpose"] = ["Choose peer review or inspection."]
    if scope not in SCOPES:
        problems["scope"] = ["Choose the whole sample or a case records review."]
    elif scope == ExternalAccess.Scope.REVIEW and not review_size:
        problems["review_size"] = ["Enter how many cases the review holds."]
    problems.update(rules.date_problems(**dates, today=timezone.localdate(), changing=False))
    return problems


def external_access_grant(
    *,
    actor,
    person,
    cycle,
    organisation: str,
    purpose: str,
    scope: str,
    starts_on,
    ends_on,
    review_size: int | None = None,
) -> ExternalAccess:
    """Give ``person`` read access to ``cycle``: its whole sample, or a case records review of
    ``review_size`` cases drawn from it now (the draw is recorded with the grant)."""
    _check_admin(actor)
    problems = _fields_problems(
        person=person,
        organisation=organisation,
        purpose=purpose,
        scope=scope,
        review_size=review_size,
        dates={"starts_on": starts_on, "ends_on": ends_on},
    )
    if problems:
        raise DomainError("The access cannot be given as it stands.", fields=problems)
    with transaction.atomic():
        if not hasattr(cycle, "frame"):
            raise StateConflict(NOT_DRAWN)
        access = ExternalAccess(
            person=person,
            organisation=organisation.strip(),
            purpose=purpose,
            cycle=cycle,
            scope=scope,
            starts_on=starts_on,
            ends_on=ends_on,
            granted_by=actor,
        )
        drawn = []
        if scope == ExternalAccess.Scope.REVIEW:
            drawn = _draw_review(access, review_size)
        access.save()
        ExternalReviewCase.objects.bulk_create(
            ExternalReviewCase(access=access, **row) for row in drawn
        )
        after = _record(access)
        if drawn:
            after["review"] = {
                "frame_hash": access.review_frame_hash,
                "server_random": access.review_server_random,
                "seed": access.review_seed,
                "cases": [row["sampled_case"].case.case_ref for row in drawn],
            }
        event_record(actor=actor, verb="external_access.granted", obj=access, after=after)
    return access


def _draw_review(access: ExternalAccess, size: int) -> list[dict]:
    sample = {
        row.case.case_ref: row
        for row in SampledCase.objects.filter(
            cycle=access.cycle, status=SampledCase.Status.SELECTED
        ).select_related("case")
    }
    try:
        drawn = rules.draw_review(sample, size=size, server_random=sampling.new_server_random())
    except sampling.SamplingError as error:
        raise DomainError(
            "The review cannot be drawn.", fields={"review_size": [_size_words(error, sample)]}
        ) from None
    access.review_size = size
    access.review_frame = drawn.frame_refs
    access.review_frame_hash = drawn.frame_hash
    access.review_server_random = drawn.server_random
    access.review_seed = drawn.seed
    return [
        {
            "sampled_case": sample[chosen.case_ref],
            "rank": chosen.rank,
            "selection_key": chosen.selection_key,
        }
        for chosen in drawn.selected
    ]


def _size_words(error, sample) -> str:
    if not sample:
        return "The cycle's sample holds no case."
    return f"Enter a number of cases from 1 to {len(sample)} (the cases in the sample)."


def _locked_open(access: ExternalAccess) -> ExternalAccess:
    access = ExternalAccess.objects.select_for_update().select_related("person").get(pk=access.pk)
    if access.revoked_at is not None:
        raise StateConflict(WITHDRAWN)
    if access.ends_on < timezone.localdate():
        raise StateConflict(ENDED)
    return access


def external_access_change(
    *, actor, access: ExternalAccess, starts_on=None, ends_on=None, organisation=None
) -> ExternalAccess:
    """Move the dates (to extend or shorten the access) or correct the organisation."""
    _check_admin(actor)
    with transaction.atomic():
        access = _locked_open(access)
        before = _record(access)
        starts_on = starts_on or access.starts_on
        ends_on = ends_on or access.ends_on
        problems = rules.date_problems(
            starts_on=starts_on, ends_on=ends_on, today=timezone.localdate(), changing=True
        )
        if organisation is not None and not organisation.strip():
            problems["organisation"] = ["Enter the organisation the person reviews for."]
        if problems:
            raise DomainError("The access cannot be changed as asked.", fields=problems)
        access.starts_on, access.ends_on = starts_on, ends_on
        if organisation is not None:
            access.organisation = organisation.strip()
        access.save(update_fields=["starts_on", "ends_on", "organisation", "updated_at"])
        event_record(
            actor=actor,
            verb="external_access.changed",
            obj=access,
            before=before,
            after=_record(access),
        )
    return access


def external_access_revoke(*, actor, access: ExternalAccess, reason: str) -> ExternalAccess:
    """Withdraw the access now, with a reason; it cannot be given back (grant anew)."""
    _check_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why the access is withdrawn.",
            fields={"reason": ["Enter why the access is withdrawn."]},
        )
    with transaction.atomic():
        access = ExternalAccess.objects.select_for_update().get(pk=access.pk)
        if access.revoked_at is not None:
            raise StateConflict(WITHDRAWN)
        access.revoked_at = timezone.now()
        access.revoked_by = actor
        access.revoke_reason = reason
        access.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
        event_record(
            actor=actor,
            verb="external_access.revoked",
            obj=access,
            after={"revoked_at": access.revoked_at.isoformat()},
            reason=reason,
        )
    return access
