"""What followed the audits: escalations (raised, answered late, overdue) and actions
(open, overdue, done on time)."""

from datetime import date, datetime, time, timedelta

from audits.core.figures.common import _share


def _escalations(inputs: dict, as_of: datetime) -> dict:
    items = []
    for e in inputs["escalations"]:
        due = datetime.fromisoformat(e["due_at"])
        acknowledged = e["acknowledged_at"]
        overdue = acknowledged is None and due < as_of
        late = acknowledged is not None and datetime.fromisoformat(acknowledged) > due
        items.append({**e, "overdue": overdue, "acknowledged_late": late})
    return {
        "raised": len(items),
        "acknowledged": sum(e["acknowledged_at"] is not None for e in items),
        "overdue": sum(e["overdue"] for e in items),
        "items": items,
    }


def _actions(inputs: dict, today: date) -> dict:
    actions = inputs["actions"]
    overdue = [
        a for a in actions if a["status"] == "open" and date.fromisoformat(a["due_date"]) < today
    ]
    finished = [a for a in actions if a["done_on"]]
    on_time = [a for a in finished if a["done_on"] <= a["due_date"]]
    return {
        "total": len(actions),
        "open": sum(a["status"] == "open" for a in actions),
        "done": sum(a["status"] == "done" for a in actions),
        "verified": sum(a["status"] == "verified" for a in actions),
        "overdue": len(overdue),
        "overdue_high": sum(a["priority"] == "high" for a in overdue),
        "on_time_rate": _share(len(on_time), len(finished)),
        "by_priority": {
            p: sum(a["priority"] == p for a in actions) for p in ("high", "medium", "low")
        },
    }


def figures_change_at(inputs: dict, as_of: datetime) -> datetime:
    """The first moment after ``as_of`` at which figures computed from the same ``inputs``
    would differ: an unacknowledged escalation falling due, or the next day (an action
    falling overdue). Until then the figures of ``as_of`` stand."""
    next_day = datetime.combine(as_of.date() + timedelta(days=1), time(), tzinfo=as_of.tzinfo)
    falling_due = [
        due
        for e in inputs["escalations"]
        if e["acknowledged_at"] is None and (due := datetime.fromisoformat(e["due_at"])) >= as_of
    ]
    return min([next_day, *falling_due])
