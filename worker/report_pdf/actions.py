"""Safeguarding escalations and the actions agreed from the cycle's audits."""

from collections.abc import Mapping

from reportlab.platypus import PageBreak, Spacer

from audits.core.display import percent
from worker.report_pdf.blocks import Column, facts_table, field, number, para, records_table
from worker.report_pdf.styles import H1
from worker.report_pdf.words import as_count, as_datetime, as_yes_no, records, section

ESCALATION_COLUMNS = [
    Column("Case", 18, field("case_ref")),
    Column("Raised", 33, field("raised_at", as_datetime)),
    Column(
        "Acknowledged",
        33,
        lambda e: as_datetime(e["acknowledged_at"]) if e.get("acknowledged_at") else "Not yet",
    ),
    Column("Overdue", 16, field("overdue", as_yes_no)),
]


ACTION_FACTS = [
    ("Actions agreed", "total"),
    ("Open", "open"),
    ("Done, awaiting check", "done"),
    ("Done and checked", "verified"),
    ("Overdue", "overdue"),
    ("Overdue and high priority", "overdue_high"),
]
PRIORITY_COLUMNS = [Column("Priority", 50, field("priority")), number("Actions", 50, "actions")]


def escalations_and_actions(figures: Mapping) -> list:
    escalations, actions = section(figures, "escalations"), section(figures, "actions")
    priorities = [
        {"priority": str(priority).capitalize(), "actions": count}
        for priority, count in section(actions, "by_priority").items()
    ]
    counts = (
        f"Raised: {as_count(escalations.get('raised'))}. Acknowledged: "
        f"{as_count(escalations.get('acknowledged'))}. Acknowledged late or not yet: "
        f"{as_count(escalations.get('overdue'))}."
    )
    story = [
        PageBreak(),
        para("Safeguarding escalations", H1),
        para(counts),
        *records_table(
            records(escalations, "items"), ESCALATION_COLUMNS, "No escalations were raised."
        ),
        para("Actions", H1),
    ]
    if actions.get("total") == 0:
        return [*story, para("No actions were agreed from this cycle's audits.")]
    facts = [(label, as_count(actions.get(key))) for label, key in ACTION_FACTS]
    # The share is of actions done; with none done there is no share, and nothing to measure.
    rate = actions.get("on_time_rate")
    done = rate is not None or not isinstance(actions.get("total"), int)
    on_time = ("Completed by their due date", percent(rate) if done else "None done yet")
    return [
        *story,
        facts_table([*facts, on_time]),
        Spacer(1, 6),
        *records_table(priorities, PRIORITY_COLUMNS, ""),
    ]
