"""Inspection pack pages: build a cycle's pack (a button), watch its progress (polled by
static/audits/job-progress.js), and download it (through the API's scoped, logged and
hash-checked download)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from audits.core.errors import DomainError
from audits.selectors import permissions
from audits.selectors.packs import PACK_ROLES, pack_cycles_for, pack_jobs_for
from audits.services import packs
from audits.web import listing
from audits.web.access import role_required
from audits.web.pages import page


def _trail(request, cycle) -> tuple[str, list]:
    if permissions.can_manage_cycle(request.user, cycle):
        return "web:cycles", [(cycle.name, reverse("web:cycle", args=[cycle.pk]))]
    return "web:assurance", [("Reports", reverse("web:cycle-reports", args=[cycle.pk]))]


@role_required(*PACK_ROLES)
def cycle_pack(request, cycle_id: int):
    cycle = get_object_or_404(
        pack_cycles_for(request.user).select_related("frame").defer(*listing.CYCLE_ROW_DEFERRED),
        pk=cycle_id,
    )
    if request.method == "POST":
        try:
            job, created = packs.pack_request(cycle=cycle, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("web:cycle-pack", cycle_id=cycle.pk)
        if created:
            messages.success(request, "The inspection pack is being built.")
        else:
            messages.info(request, "An inspection pack of this cycle is already being built.")
        return redirect("web:pack-job", pack_id=job.pk)
    jobs = listing.paginate(
        request,
        pack_jobs_for(request.user).filter(cycle=cycle).order_by("-requested_at", "-pk"),
        noun=("inspection pack", "inspection packs"),
        per_page=20,
    )
    current, trail = _trail(request, cycle)
    context = {"cycle": cycle, "jobs": jobs, "drawn": hasattr(cycle, "frame")}
    return page(request, "audits/cycle_pack.html", context, current=current, trail=trail)


@role_required(*PACK_ROLES)
def pack_job(request, pack_id: int):
    job = get_object_or_404(pack_jobs_for(request.user).select_related("cycle"), pk=pack_id)
    current, trail = _trail(request, job.cycle)
    trail.append(("Inspection packs", reverse("web:cycle-pack", args=[job.cycle_id])))
    context = {
        "job": job,
        "status_url": reverse("api:pack-detail", args=[job.pk]),
        "download_url": reverse("api:pack-download", args=[job.pk]),
    }
    return page(request, "audits/pack_job.html", context, current=current, trail=trail)
