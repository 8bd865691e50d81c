"""What people are told about, in words they would use. Each kind is one thing that needs
someone's attention; a person chooses which kinds also come by email."""

ASSIGNED = "assigned"
AUDIT_DUE = "audit_due"
AUDIT_OVERDUE = "audit_overdue"
RETURNED_FOR_REWORK = "returned"
DOUBLE_AUDIT_READY = "double_audit_ready"
RESPONSE_REQUESTED = "response_requested"
ACTION_DUE = "action_due"
ACTION_OVERDUE = "action_overdue"
SAFEGUARDING_ESCALATION = "escalation"
INADEQUATE_GRADE = "inadequate_grade"
PROGRAMME_CYCLE_READY = "programme_cycle"

LABELS = {
    ASSIGNED: "Audits assigned to you",
    AUDIT_DUE: "Your audits due soon",
    AUDIT_OVERDUE: "Your audits overdue",
    RETURNED_FOR_REWORK: "Audits returned to you for rework",
    DOUBLE_AUDIT_READY: "Double audits ready to compare",
    RESPONSE_REQUESTED: "Audits of your cases waiting for your response",
    ACTION_DUE: "Actions due soon",
    ACTION_OVERDUE: "Actions overdue",
    SAFEGUARDING_ESCALATION: "Safeguarding concerns",
    INADEQUATE_GRADE: "Audits graded Inadequate",
    PROGRAMME_CYCLE_READY: "Programme cycles ready to draw",
}
KINDS = tuple(LABELS)
