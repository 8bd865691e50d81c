"""The rules of an action's terms, whoever sets them (the page, the API, a command): plain
data in, a field's problem out."""

from datetime import date

DUE_DATE_PAST = "must be today or later"
NO_WORKER = "the case has no allocated worker: choose who owns the action"


def due_date_problem(due: date | None, today: date) -> str | None:
    """An action is agreed for today or later; a date already past cannot be set."""
    if due is not None and due < today:
        return DUE_DATE_PAST
    return None
