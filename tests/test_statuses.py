"""The status groups of audits.core.statuses name real statuses, and mean what they say."""

from audits.core import statuses
from audits.models import Audit, Cycle


def test_every_audit_group_names_real_audit_statuses():
    for group in (statuses.AUDIT_EDITABLE, statuses.AUDIT_COMPLETED, statuses.AUDIT_UNFINISHED):
        assert set(group) <= set(Audit.Status.values), group


def test_every_cycle_group_names_real_cycle_statuses():
    for group in (statuses.CYCLE_DRAWN, statuses.CYCLE_CLOSED):
        assert set(group) <= set(Cycle.Status.values), group


def test_the_groups_split_the_statuses_as_the_workflow_does():
    # An audit is editable, completed or withdrawn, never two of these at once.
    assert set(statuses.AUDIT_EDITABLE) | set(statuses.AUDIT_COMPLETED) | {"withdrawn"} == set(
        Audit.Status.values
    )
    assert not set(statuses.AUDIT_EDITABLE) & set(statuses.AUDIT_COMPLETED)
    # A cycle is planned (nothing drawn), drawn and open, or closed.
    assert {"planned", *statuses.CYCLE_DRAWN, *statuses.CYCLE_CLOSED} == set(Cycle.Status.values)
    assert not set(statuses.CYCLE_DRAWN) & set(statuses.CYCLE_CLOSED)
