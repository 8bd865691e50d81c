"""Groups of statuses, each named once and used everywhere: pure cores, querysets, pages.

Plain strings, the values of ``Audit.Status`` and ``Cycle.Status`` (``audits.models``; a
TextChoices member equals its value, so ``audit.status in AUDIT_COMPLETED`` and
``status__in=AUDIT_COMPLETED`` both work). ``tests/test_statuses.py`` checks that every
value names a real status. (``audits/standalone/recompute_report.py`` keeps its own copy
of ``AUDIT_COMPLETED``: it is handed to outsiders and imports the standard library only.)
"""

# --- Audits ---------------------------------------------------------------------------------
# The auditor may still change it (a returned audit is reworked).
AUDIT_EDITABLE = ("assigned", "in_progress", "returned")
# Sent by the auditor: counted in the figures, shown as done, paired blind no more.
AUDIT_COMPLETED = ("submitted", "final")
# Not final yet: what closing a cycle leaves unfinished.
AUDIT_UNFINISHED = (*AUDIT_EDITABLE, "submitted")

# --- Cycles ---------------------------------------------------------------------------------
# Drawn and still open: its sample can be extended, assigned, moved.
CYCLE_DRAWN = ("sampled", "assigned", "in_progress")
# Closed or reported: its audits are as they are.
CYCLE_CLOSED = ("closed", "reported")
