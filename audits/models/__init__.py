from audits.models.accounts import ApiToken
from audits.models.actions import Action, FollowUp, ImprovementItem
from audits.models.audits import Assignment, Audit, Escalation, Moderation
from audits.models.cycles import Cycle, Frame, SampledCase
from audits.models.evidence import Evidence
from audits.models.external import ExternalAccess, ExternalReviewCase
from audits.models.history import AccessLog, Event
from audits.models.imports import ImportJob
from audits.models.notifications import Notification, NotificationPreference
from audits.models.operations import DataMark, WorkerHeartbeat
from audits.models.opinion import OpinionSettings
from audits.models.packs import PackJob
from audits.models.programme import ProgrammeEntry, ProgrammeOccurrence
from audits.models.reconciliation import Reconciliation
from audits.models.register import Allocation, Case, Conflict, Staff, Team
from audits.models.reports import Report, ReportJob
from audits.models.responses import ActionNote, PractitionerResponse, ResponseRequest
from audits.models.retention import RetentionPolicy
from audits.models.sso import GroupMapping, SingleSignOnIdentity
from audits.models.summaries import AuditSummary, DomainGrade
from audits.models.templates import Template

__all__ = [
    "AccessLog",
    "Action",
    "ActionNote",
    "Allocation",
    "ApiToken",
    "Assignment",
    "Audit",
    "AuditSummary",
    "Case",
    "Conflict",
    "Cycle",
    "DataMark",
    "DomainGrade",
    "Escalation",
    "Event",
    "Evidence",
    "ExternalAccess",
    "ExternalReviewCase",
    "FollowUp",
    "Frame",
    "GroupMapping",
    "ImportJob",
    "ImprovementItem",
    "Moderation",
    "Notification",
    "NotificationPreference",
    "OpinionSettings",
    "PackJob",
    "PractitionerResponse",
    "ProgrammeEntry",
    "ProgrammeOccurrence",
    "Reconciliation",
    "Report",
    "ReportJob",
    "ResponseRequest",
    "RetentionPolicy",
    "SampledCase",
    "SingleSignOnIdentity",
    "Staff",
    "Team",
    "Template",
    "WorkerHeartbeat",
]
