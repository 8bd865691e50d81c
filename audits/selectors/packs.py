"""Who may build and download a cycle's inspection pack, and the pack jobs they may see.

A pack holds every audit of a cycle, so it is for those who may read all of them: the
cycle's managers, internal audit and administrators. A person who is still blind to the
other half of a double audit in the cycle (they audit one half and have not submitted) may
not have the pack, whatever else they hold: the pack would show them that half. Outside
this scope a cycle or a pack is absent (404). Kept beside ``scoping`` (same rules shape).
"""

from django.db.models import QuerySet

from audits.core import roles
from audits.models import Audit, Cycle, PackJob
from audits.selectors.scoping import _cycle_manager, _everything, _scope, _still_blind

PACK_ROLES = (roles.MANAGER, roles.INTERNAL_AUDITOR, roles.ADMIN)


def pack_cycles_for(user) -> QuerySet[Cycle]:
    rules = {
        roles.ADMIN: _everything,
        roles.MANAGER: _cycle_manager,
        roles.INTERNAL_AUDITOR: _everything,
    }
    cycles = Cycle.objects.filter(_scope(user, rules))
    if not user.is_authenticated:
        return cycles
    return cycles.exclude(pk__in=_blind_audits(user).values("assignment__sampled_case__cycle_id"))


def _blind_audits(user):
    """The audits the user may not read yet: the other half of a double audit they do."""
    return Audit.objects.filter(_still_blind(user))


def may_pack_managed_cycle(user, cycle: Cycle) -> bool:
    """Whether ``pack_cycles_for(user)`` holds ``cycle``, for a cycle already read through
    ``scoping.cycles_managed_by(user)`` (the cycle page): every cycle one runs is in the pack
    scope, so only the still-blind rule remains, asked of this one cycle. The whole scope
    as a subquery cost PostgreSQL ~7 ms to plan, for 0.5 ms of work (bench/pages.py)."""
    if not user.is_authenticated:
        return False
    return not (_blind_audits(user).filter(assignment__sampled_case__cycle_id=cycle.pk).exists())


def pack_jobs_for(user) -> QuerySet[PackJob]:
    return PackJob.objects.filter(cycle__in=pack_cycles_for(user))
