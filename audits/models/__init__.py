from audits.models.accounts import ApiToken
from audits.models.cycles import Cycle, Frame, SampledCase
from audits.models.history import AccessLog, Event
from audits.models.operations import WorkerHeartbeat
from audits.models.register import Allocation, Case, Conflict, Staff, Team

__all__ = [
    "AccessLog",
    "Allocation",
    "ApiToken",
    "Case",
    "Conflict",
    "Cycle",
    "Event",
    "Frame",
    "SampledCase",
    "Staff",
    "Team",
    "WorkerHeartbeat",
]
