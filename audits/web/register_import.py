"""The register import pages: a manager (or an administrator) uploads a CSV file, which
starts an import job (audits/services/import_jobs), and watches it on the job's page: a
progress bar that static/audits/job-progress.js refreshes from the job's JSON (a meta
refresh without JavaScript), then the counts, or every problem found (nothing written)."""

from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from audits.core import roles
from audits.core.errors import DomainError
from audits.models import ImportJob
from audits.selectors.import_jobs import import_jobs_for
from audits.services.import_jobs import import_job_start
from audits.web.access import role_required
from audits.web.errors import summary
from audits.web.pages import page

IMPORTERS = (roles.MANAGER, roles.ADMIN)
KIND_WORDS = {
    "cases": "Cases",
    "allocations": "Allocation history (who held each case)",
    "staff": "Staff, their roles and the teams they manage (administrators only)",
}
KIND_NOUNS = {"cases": "cases", "allocations": "allocations", "staff": "staff records"}
COLUMN_WORDS = {
    "case_ref": "case reference",
    "team": "team",
    "case_type": "case type",
    "opened_on": "date opened",
    "closed_on": "date closed",
    "worker_ref": "worker",
    "manager_ref": "manager",
    "birth_year": "year of birth",
    "staff_ref": "staff reference",
    "role": "role",
    "from_date": "from date",
    "to_date": "to date",
    "manages_teams": "teams managed",
    "roles": "roles",
    "capacity": "capacity",
    "email": "email",
    "name": "name",
}
LABELS = {"kind": "What the file holds", "file": "CSV file"}
REFRESH_SECONDS = 3


class RegisterUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=list(KIND_WORDS.items()),
        error_messages={
            "required": "Choose what the file holds",
            "invalid_choice": "Choose what the file holds",
        },
    )
    file = forms.FileField(
        error_messages={
            "required": "Choose a CSV file to upload",
            "empty": "The file you chose is empty",
        }
    )
    dry_run = forms.BooleanField(required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1 << 20)
            raise forms.ValidationError(f"The file must be at most {limit} MB")
        return upload


def _kinds(user) -> list[tuple[str, str]]:
    admin = roles.has_role(user, roles.ADMIN)
    return [(kind, words) for kind, words in KIND_WORDS.items() if admin or kind != "staff"]


@role_required(*IMPORTERS)
def register_upload(request):
    error_summary, status, chosen = None, 200, {"kind": "cases", "dry_run": False}
    if request.method == "POST":
        form = RegisterUploadForm(request.POST, request.FILES)
        chosen = {
            "kind": request.POST.get("kind", ""),
            "dry_run": bool(request.POST.get("dry_run")),
        }
        try:
            if not form.is_valid():
                fields = {name: list(texts) for name, texts in form.errors.items()}
                raise DomainError("The file was not uploaded.", fields=fields)
            job = import_job_start(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as error:
            if not error.fields:  # the service's refusal (403: this kind is not yours)
                error = DomainError(error.message, fields={"kind": [error.message]})
            error_summary = summary(error, LABELS, default="upload-form")
            status = 400
        else:
            return redirect("web:import-job", import_job_id=job.pk)
    recent = import_jobs_for(request.user).order_by("-requested_at", "-pk")[:10]
    context = {
        "kinds": _kinds(request.user),
        "chosen": chosen,
        "error_summary": error_summary,
        "recent": [_describe(job) for job in recent],
        "max_mb": settings.IMPORT_MAX_BYTES // (1 << 20),
    }
    return page(request, "audits/register_import.html", context, status=status)


def _describe(job: ImportJob) -> dict:
    """The job in words, as the page and its script show it."""
    noun = KIND_NOUNS.get(job.kind, job.kind)
    percent = (
        100
        if job.status == ImportJob.Status.FINISHED
        else (min(100, 100 * job.rows_checked // job.total_rows) if job.total_rows else 0)
    )
    if job.status == ImportJob.Status.QUEUED:
        words, state = "Waiting for the import service to start.", "Waiting"
    elif job.status == ImportJob.Status.RUNNING and job.total_rows <= job.rows_checked:
        words, state = f"All {job.total_rows:,} rows checked: writing them.", "Importing"
    elif job.status == ImportJob.Status.RUNNING:
        words = f"Checked {job.rows_checked:,} of {job.total_rows:,} rows."
        state = "Importing"
    elif job.status == ImportJob.Status.FINISHED and job.dry_run:
        words = (
            f"The file is good: {job.created:,} new {noun} and {job.updated:,} updated if you "
            "import it. This was a check only: nothing was changed."
        )
        state = "Checked"
    elif job.status == ImportJob.Status.FINISHED:
        words = (
            f"Imported {job.rows_written:,} rows: {job.created:,} new {noun}, "
            f"{job.updated:,} updated."
        )
        state = "Imported"
    else:
        problems = job.error_count or 0
        words = (
            f"The file was not imported: {problems:,} problem{'s' if problems != 1 else ''} "
            "found. Nothing was changed."
            if problems
            else f"The file was not imported. Nothing was changed. {job.message}".strip()
        )
        state = "Not imported"
    return {
        "job": job,
        "kind": KIND_WORDS.get(job.kind, job.kind).split(" (")[0],
        "state": state,
        "words": words,
        "percent": percent,
        "done": job.status in (ImportJob.Status.FINISHED, ImportJob.Status.FAILED),
    }


def _problem(error: dict) -> str:
    column = error.get("column")
    where = f"Line {error.get('line')}" if error.get("line") else "The file"
    if column:
        where += f", {COLUMN_WORDS.get(column, column)}"
    message = error.get("message", "")
    return f"{where}: {message}"


@require_safe
@role_required(*IMPORTERS)
def import_job(request, import_job_id: int):
    jobs = import_jobs_for(request.user).select_related("requested_by")
    job = get_object_or_404(jobs, pk=import_job_id)
    described = _describe(job)
    problems = [_problem(error) for error in job.errors or []]
    context = {
        **described,
        "problems": problems,
        "more_problems": max(0, (job.error_count or 0) - len(problems)),
        "status_url": reverse("api:import-job-detail", args=[job.pk]),
        "refresh_seconds": REFRESH_SECONDS,
    }
    trail = [("Import the register", reverse("web:register-import"))]
    return page(request, "audits/import_job.html", context, trail=trail)
