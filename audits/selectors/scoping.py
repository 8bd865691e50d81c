"""Who may see what: every queryset the API and pages use is scoped here, once per role.

A user's scope is the union of the scopes of the roles they hold. Objects outside scope are
simply absent from the queryset, so views answer 404 for them without filtering by hand."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from audits.core import roles
from audits.core.statuses import AUDIT_COMPLETED
from audits.models import (
    Action,
    Assignment,
    Audit,
    Case,
    Cycle,
    Escalation,
    ImprovementItem,
    PractitionerResponse,
    Reconciliation,
    Report,
    ReportJob,
    SampledCase,
    Staff,
    Team,
    Template,
)
from audits.selectors import cycle_rule, hot_reads, page_reads

NOTHING = Q(pk__in=[])


def _staff_of(user) -> Staff | None:
    return Staff.objects.filter(user=user).first() if user.is_authenticated else None


def _scope(user, rules: dict[str, callable]) -> Q:
    held = roles.roles_of(user)
    condition = NOTHING
    for role, rule in rules.items():
        if role in held:
            condition |= rule(user)
    return condition


# --- Cases --------------------------------------------------------------------------------
def _case_admin(user) -> Q:
    return ~NOTHING


_managed_team_ids = cycle_rule.managed_team_ids


def _case_manager(user) -> Q:
    return Q(team_id__in=_managed_team_ids(user))


def _case_auditor(user) -> Q:
    # Auditors see the facts of cases they are assigned to audit, nothing else.
    return Q(pk__in=_assigned_case_ids(user))


def _case_internal_auditor(user) -> Q:
    # Internal audit sees cases that were drawn into a sample (the sampling record).
    return Q(pk__in=_sampled_case_ids())


def _assigned_case_ids(user):
    return Assignment.objects.filter(auditor__user=user).values("sampled_case__case_id")


def _sampled_case_ids():
    return SampledCase.objects.values("case_id")


def cases_for(user) -> QuerySet[Case]:
    rules = {
        roles.ADMIN: _case_admin,
        roles.MANAGER: _case_manager,
        roles.AUDITOR: _case_auditor,
        roles.INTERNAL_AUDITOR: _case_internal_auditor,
    }
    return Case.objects.filter(_scope(user, rules))


# --- Teams and staff ------------------------------------------------------------------------
def _everything(user) -> Q:
    return ~NOTHING


def _own_staff(user) -> Q:
    return Q(user=user)


def teams_for(user) -> QuerySet[Team]:
    if not roles.roles_of(user):
        return Team.objects.none()
    return Team.objects.all()


def staff_for(user) -> QuerySet[Staff]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _everything,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _own_staff,
    }
    return Staff.objects.filter(_scope(user, rules))


# --- Cycles and samples ---------------------------------------------------------------------
manages_every_team_q = cycle_rule.manages_every_team_q
_cycle_manager = cycle_rule.cycle_manager_q


def _managed_cycle_ids(user) -> list[int]:
    """The cycles one runs (a few dozen), read first, once a page read (``page_reads``)."""
    if not roles.has_role(user, roles.MANAGER):
        return []
    if page_reads.reading_a_page():
        return list(
            page_reads.once(("managed_cycle_ids", user.pk), lambda: cycle_rule.cycles_run_by(user))
        )
    return list(Cycle.objects.filter(_cycle_manager(user)).values_list("pk", flat=True))


def _cycle_manager_once(user) -> Q:
    """The manager's rule for cycles; on a page read, the ids it gives, read once a page."""
    if not page_reads.reading_a_page():
        return _cycle_manager(user)
    return Q(pk__in=_managed_cycle_ids(user))


read_once_per_page = page_reads.read_once_per_page


def cycles_for(user) -> QuerySet[Cycle]:
    # Auditors see no cycle: their audits carry what they need, and a cycle shows its
    # whole sample (every case, every auditor, the seed).
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _cycle_manager_once,
        roles.INTERNAL_AUDITOR: _everything,
    }
    return Cycle.objects.filter(_scope(user, rules))


def sampled_cases_for(user) -> QuerySet[SampledCase]:
    return SampledCase.objects.filter(cycle__in=cycles_for(user))


# --- Audits and what hangs off them ---------------------------------------------------------


def _audit_auditor(user) -> Q:
    # Own audits always. Of a double-audited case, the other auditor's audit only once both
    # have submitted: the pair grade blind.
    own = Q(assignment__auditor__user=user)
    mine_submitted = _completed_sampled_ids(user)
    other_submitted = Q(assignment__sampled_case_id__in=mine_submitted, status__in=AUDIT_COMPLETED)
    return own | other_submitted


_own_work = cycle_rule.own_work  # on a page read: both lists below from one read


def _assigned_sampled_ids(user):
    """The sampled cases the user audits: a subquery, or on a page read a list."""
    if page_reads.reading_a_page():
        return [sampled for sampled, _ in _own_work(user)]
    return Assignment.objects.filter(auditor__user=user).values("sampled_case_id")


sampled_cases_audited_by = _assigned_sampled_ids


def _completed_sampled_ids(user):
    """The sampled cases whose audit the user has submitted: a subquery, or a list."""
    if page_reads.reading_a_page():
        return [sampled for sampled, status in _own_work(user) if status in AUDIT_COMPLETED]
    done = Audit.objects.filter(assignment__auditor__user=user, status__in=AUDIT_COMPLETED)
    return done.values("assignment__sampled_case_id")


def _audit_manager(user) -> Q:
    # The audits of the cycles one runs; never those of a cycle one only audits in.
    return Q(assignment__sampled_case__cycle_id__in=_managed_cycle_ids(user))


def _still_blind(user) -> Q:
    """The other half of a double audit the user audits, until both halves are submitted:
    hidden whatever other role the user holds (a manager of the cycle auditing on an
    override, an admin who audits), so the pair grades blind."""
    if not user.is_authenticated:  # audits nothing, so nothing is kept from them
        return Q(pk__in=[])
    mine = _assigned_sampled_ids(user)
    mine_done = _completed_sampled_ids(user)
    return (
        Q(assignment__sampled_case_id__in=mine)
        & ~Q(assignment__auditor__user=user)
        & ~Q(assignment__sampled_case_id__in=mine_done, status__in=AUDIT_COMPLETED)
    )


def audits_for(user) -> QuerySet[Audit]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _audit_manager,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _audit_auditor,
    }
    audits = Audit.objects.filter(_scope(user, rules))
    # The auditor's own rule never shows the other half of a pair before both are
    # submitted, so the blind-pair exclusion (a second pass over the user's assignments
    # and audits in every query) is added only for the roles that see more.
    if roles.roles_of(user) - {roles.AUDITOR}:
        audits = audits.exclude(_still_blind(user))
    return audits


def audit_editable_by(user, audit_id) -> Audit | None:
    """The audit ``audit_id`` if ``user`` edits it as its auditor (their own assignment,
    through the auditor role), else None. Always within ``audits_for(user)``; the row
    carries ``auditor_user_id`` so the author check needs no further query."""
    if not roles.has_role(user, roles.AUDITOR):
        return None
    try:
        audit_id = int(audit_id)
    except (TypeError, ValueError):
        return None
    if not 0 < audit_id < 2**63:  # beyond the id column's range: no such audit
        return None
    return hot_reads.audit_of_auditor(audit_id, user.pk)


def reconciliations_for(user) -> QuerySet[Reconciliation]:
    """A double audit's reconciliation: the managers of its cycle (who reconcile it), its
    two auditors (it exists only once both have submitted), internal audit and admins."""
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: lambda user: Q(sampled_case__cycle_id__in=_managed_cycle_ids(user)),
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: lambda user: Q(sampled_case_id__in=_assigned_sampled_ids(user)),
    }
    return Reconciliation.objects.filter(_scope(user, rules))


def _escalation_manager(user) -> Q:
    # Those raised in the cycles one runs, and those about the cases of one's teams: the
    # case's team manager is told at once and acknowledges them.
    return Q(audit__assignment__sampled_case__cycle_id__in=_managed_cycle_ids(user)) | Q(
        audit__assignment__sampled_case__case__team_id__in=_managed_team_ids(user)
    )


def _escalation_auditor(user) -> Q:
    return Q(audit__in=Audit.objects.filter(_audit_auditor(user)))


def escalations_for(user) -> QuerySet[Escalation]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _escalation_manager,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _escalation_auditor,
    }
    return Escalation.objects.filter(_scope(user, rules))


def _action_owner(user) -> Q:
    return Q(owner__user=user)


def _action_manager(user) -> Q:
    return Q(team_id__in=_managed_team_ids(user))


def actions_for(user) -> QuerySet[Action]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _action_manager,
        roles.INTERNAL_AUDITOR: _everything,
        roles.AUDITOR: _action_owner,
        roles.PRACTITIONER: _action_owner,
    }
    return Action.objects.filter(_scope(user, rules))


# --- Practitioners (their findings: selectors/findings.py) -------------------------------
def practitioner_responses_for(user) -> QuerySet[PractitionerResponse]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: lambda user: Q(audit__in=audits_managed_by(user)),
        roles.INTERNAL_AUDITOR: _everything,
        roles.PRACTITIONER: lambda user: Q(staff__user=user),
    }
    return PractitionerResponse.objects.filter(_scope(user, rules))


def templates_for(user) -> QuerySet[Template]:
    if not roles.roles_of(user):
        return Template.objects.none()
    if roles.has_role(user, roles.ADMIN, roles.MANAGER):
        return Template.objects.all()
    return Template.objects.exclude(status=Template.Status.DRAFT)


def improvement_items_for(user) -> QuerySet[ImprovementItem]:
    return ImprovementItem.objects.all() if roles.roles_of(user) else ImprovementItem.objects.none()


def report_jobs_for(user) -> QuerySet[ReportJob]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: lambda user: Q(cycle__in=cycles_managed_by(user)),
        roles.INTERNAL_AUDITOR: _everything,
    }
    return ReportJob.objects.filter(_scope(user, rules))


def reports_for(user) -> QuerySet[Report]:
    return Report.objects.filter(job__in=report_jobs_for(user))


def latest_reports_for(user) -> QuerySet[Report]:
    """The newest report of each cycle the user can see, most recent period first."""
    newest = Report.objects.filter(cycle=OuterRef("cycle")).order_by("-version").values("pk")
    return (
        reports_for(user)
        .filter(pk=Subquery(newest[:1]))
        .select_related("cycle")
        .order_by("-cycle__period_end", "cycle_id")
    )


def cycles_managed_by(user) -> QuerySet[Cycle]:
    """Cycles the user runs (draw, assign, moderate, report, dashboard): only through the
    manager role, for cycles within the teams they manage; never because the user created
    the cycle or audits in it."""
    if not roles.has_role(user, roles.MANAGER):
        return Cycle.objects.none()
    return Cycle.objects.filter(_cycle_manager_once(user))


def managed_cycle_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the cycles one runs, latest first, from the ids the page read once."""
    cycles = Cycle.objects.filter(pk__in=_managed_cycle_ids(user)).order_by("-period_end", "-pk")
    return list(cycles.values_list("pk", "name"))


def audits_managed_by(user) -> QuerySet[Audit]:
    """The audits of the cycles the user runs: the ones they moderate and agree actions on
    (never the other half of a double audit they audit, before both are submitted)."""
    return Audit.objects.filter(_audit_manager(user)).exclude(_still_blind(user))


def reconciliations_managed_by(user) -> QuerySet[Reconciliation]:
    """The reconciliations of the cycles the user runs: the ones they may reconcile."""
    return Reconciliation.objects.filter(sampled_case__cycle_id__in=_managed_cycle_ids(user))


def cases_managed_by(user) -> QuerySet[Case]:
    """The cases of the teams the user manages (follow-up audits, the register)."""
    if not roles.has_role(user, roles.MANAGER):
        return Case.objects.none()
    return Case.objects.filter(_case_manager(user))


def teams_managed_by(user) -> QuerySet[Team]:
    if not roles.has_role(user, roles.MANAGER):
        return Team.objects.none()
    return Team.objects.filter(pk__in=_managed_team_ids(user))


def manages_every_team(user) -> bool:
    if not roles.has_role(user, roles.MANAGER):
        return False
    # The condition names no row of the outer query: any team answers it.
    return Team.objects.filter(manages_every_team_q(user)).exists()
