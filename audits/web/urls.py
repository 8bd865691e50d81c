"""The pages, mounted at the site root. Paths carry numeric ids only, never personal data."""

from django.urls import path

from audits.web import (
    action_new,
    action_owner,
    actions,
    assurance,
    auditor,
    cycle_tools,
    cycles,
    dashboard,
    escalations,
    home,
    moderation,
    practitioner,
    reports,
)

app_name = "web"

urlpatterns = [
    path("session/keepalive/", home.keepalive, name="keepalive"),
    path("audits/", auditor.my_audits, name="my-audits"),
    path("audits/<int:audit_id>/", auditor.audit_page, name="audit"),
    path("audits/<int:audit_id>/concern/", auditor.raise_concern, name="raise-concern"),
    path("cycles/", cycles.cycle_list, name="cycles"),
    path("cycles/new/", cycles.cycle_new, name="cycle-new"),
    path("cycles/<int:cycle_id>/", cycles.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_id>/draw/", cycles.cycle_draw, name="cycle-draw"),
    path("cycles/<int:cycle_id>/assign/", cycles.cycle_assign, name="cycle-assign"),
    path("cycles/<int:cycle_id>/override/", cycles.cycle_override, name="cycle-override"),
    path("cycles/<int:cycle_id>/replace/", cycles.cycle_replace, name="cycle-replace"),
    path("cycles/<int:cycle_id>/extend/", cycle_tools.cycle_extend, name="cycle-extend"),
    path(
        "cycles/<int:cycle_id>/unavailable/",
        cycle_tools.cycle_unavailable,
        name="cycle-unavailable",
    ),
    path("cycles/<int:cycle_id>/close/", cycle_tools.cycle_close, name="cycle-close"),
    path("cycles/<int:cycle_id>/reports/", reports.cycle_reports, name="cycle-reports"),
    path("reports/<int:job_id>/", reports.report_job, name="report-job"),
    path("moderation/", moderation.moderation_queue, name="moderation"),
    path("moderation/<int:audit_id>/", moderation.moderate, name="moderate"),
    path("actions/", actions.action_board, name="actions"),
    path("actions/new/", action_new.action_new, name="action-new"),
    path("actions/<int:action_id>/advance/", actions.action_advance, name="action-advance"),
    path("actions/mine/", action_owner.my_actions, name="my-actions"),
    path("actions/<int:action_id>/", action_owner.action_page, name="action"),
    path("actions/<int:action_id>/notes/", action_owner.action_note, name="action-note"),
    path("findings/", practitioner.my_findings, name="my-findings"),
    path("findings/<int:audit_id>/", practitioner.finding, name="finding"),
    path("responses/", practitioner.response_list, name="responses"),
    path("escalations/", escalations.escalation_list, name="escalations"),
    path(
        "escalations/<int:escalation_id>/acknowledge/",
        escalations.escalation_acknowledge,
        name="escalation-acknowledge",
    ),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("assurance/", assurance.assurance_list, name="assurance"),
    path("assurance/reports/<int:report_id>/", assurance.assurance_report, name="assurance-report"),
    path(
        "assurance/cycles/<int:cycle_id>/sampling/",
        assurance.sampling_record,
        name="sampling-record",
    ),
    path("assurance/cycles/<int:cycle_id>/recheck/", assurance.recheck, name="recheck"),
]
