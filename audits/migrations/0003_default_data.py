"""The role groups and our default children's social care audit form, published, as
version 1. Both are written here as they were when this migration was made: the migration
imports no application code and reads no file, so what a new database starts with never
changes when the code or audits/fixtures/default_template.json does later."""

from django.db import migrations
from django.utils import timezone

ROLES = ("auditor", "manager", "internal_auditor", "admin", "practitioner")

DEFAULT_TEMPLATE = {
    "name": "Children's social care case audit",
    "description": "Our standard case file audit tool, graded on the four-point scale used by "
    "Ofsted (Outstanding, Good, Requires improvement, Inadequate). Limiting "
    "judgements cap the overall grade.",
    "grade_scale": {
        "1": "Inadequate",
        "2": "Requires improvement",
        "3": "Good",
        "4": "Outstanding",
    },
    "themes": [
        "Over-optimism about parental capacity",
        "Drift and delay",
        "Voice of the child not evident",
        "Weak critical analysis",
        "Plan not SMART",
        "Management oversight not evident",
        "Not stepped up or down when needed",
        "Chronology missing or out of date",
        "Poor information sharing between agencies",
    ],
    "definition": {
        "sections": [
            {
                "title": "About this audit",
                "questions": [
                    {
                        "key": "audit_type",
                        "text": "How was this audit carried out?",
                        "guidance": "Say whether the worker took part. A "
                        "collaborative audit is done with "
                        "the practitioner.",
                        "kind": "choice",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                        "choices": [
                            "Desk audit",
                            "Collaborative audit with the worker",
                            "Audit with family feedback",
                        ],
                    },
                    {
                        "key": "child_seen_recently",
                        "text": "Has the child been seen within the timescale their plan requires?",
                        "guidance": "Check the case notes for the most "
                        "recent visit and whether the child "
                        "was seen alone where appropriate.",
                        "kind": "yes_no_na",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Risk identification and management",
                "questions": [
                    {
                        "key": "risk_recognised",
                        "text": "Was risk recognised and responded to at the right time?",
                        "guidance": "Look at the referral and the first "
                        "response. Were concerns identified "
                        "early, and was the response "
                        "proportionate?",
                        "kind": "grade",
                        "required": True,
                        "domain": "Risk",
                        "limiting": True,
                    },
                    {
                        "key": "risk_reviewed",
                        "text": "Is risk reviewed as circumstances change?",
                        "guidance": "Is there evidence that new "
                        "information led to a fresh look at "
                        "risk, rather than the original view "
                        "being carried forward?",
                        "kind": "grade",
                        "required": True,
                        "domain": "Risk",
                        "limiting": False,
                    },
                    {
                        "key": "parental_capacity",
                        "text": "Is the assessment of parents' capacity to change realistic?",
                        "guidance": "Watch for over-optimism: promises "
                        "of change accepted without evidence "
                        "that change has happened and "
                        "lasted.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Risk",
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Assessment quality and critical analysis",
                "questions": [
                    {
                        "key": "assessment_timely",
                        "text": "Was the assessment completed within timescales?",
                        "guidance": "Compare the start and completion "
                        "dates with local and statutory "
                        "timescales.",
                        "kind": "yes_no_na",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                    },
                    {
                        "key": "assessment_analysis",
                        "text": "Does the assessment analyse, rather than describe?",
                        "guidance": "A good assessment weighs what is "
                        "known, explains what it means for "
                        "the child and reaches a clear "
                        "conclusion.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Assessment",
                        "limiting": True,
                    },
                    {
                        "key": "history_used",
                        "text": "Is the family's history and chronology "
                        "used to inform the assessment?",
                        "guidance": "Are past events and patterns "
                        "considered, not just the presenting "
                        "incident?",
                        "kind": "grade",
                        "required": True,
                        "domain": "Assessment",
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Planning",
                "questions": [
                    {
                        "key": "plan_smart",
                        "text": "Is the plan specific, measurable, "
                        "achievable, relevant and time-bound?",
                        "guidance": "Could a parent or another "
                        "professional tell from the plan "
                        "what must happen, by whom and by "
                        "when?",
                        "kind": "grade",
                        "required": True,
                        "domain": "Planning",
                        "limiting": False,
                    },
                    {
                        "key": "reviews_on_time",
                        "text": "Do reviews, core groups or looked-after "
                        "reviews take place on time?",
                        "guidance": "Check the dates of the last three "
                        "reviews against the required "
                        "frequency.",
                        "kind": "yes_no_na",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                    },
                    {
                        "key": "plan_progress",
                        "text": "Does the plan move forward without drift or delay?",
                        "guidance": "Look for actions carried over from "
                        "review to review without progress.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Planning",
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Voice of the child",
                "questions": [
                    {
                        "key": "child_voice_recorded",
                        "text": "Are the child's wishes and feelings "
                        "recorded in their own words where "
                        "possible?",
                        "guidance": "Direct quotes, drawings, or "
                        "observations of very young or "
                        "non-verbal children all count.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Voice of the child",
                        "limiting": True,
                    },
                    {
                        "key": "child_voice_acted_on",
                        "text": "Is there evidence that the child's views influenced decisions?",
                        "guidance": "Look for a link between what the "
                        "child said and what was done.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Voice of the child",
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Management oversight and supervision",
                "questions": [
                    {
                        "key": "supervision_regular",
                        "text": "Is supervision regular and recorded on the case file?",
                        "guidance": "Check the frequency of recorded "
                        "supervision against the local "
                        "standard.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Management oversight",
                        "limiting": False,
                    },
                    {
                        "key": "decisions_reasoned",
                        "text": "Are management decisions recorded with reasons?",
                        "guidance": "Key decisions (step up, step down, "
                        "closure, legal planning) should "
                        "state why.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Management oversight",
                        "limiting": True,
                    },
                ],
            },
            {
                "title": "Multi-agency working",
                "questions": [
                    {
                        "key": "partners_involved",
                        "text": "Are the right partner agencies involved "
                        "(police, health, schools)?",
                        "guidance": "Consider who should know about this "
                        "child and whether they are part of "
                        "the plan.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Multi-agency working",
                        "limiting": False,
                    },
                    {
                        "key": "information_shared",
                        "text": "Is information shared promptly between agencies?",
                        "guidance": "Look for strategy discussions, "
                        "referrals and responses recorded "
                        "with dates.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Multi-agency working",
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Outcomes",
                "questions": [
                    {
                        "key": "outcomes_improving",
                        "text": "Is the child's situation improving because of the work done?",
                        "guidance": "Judge the impact for the child, not the amount of activity.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Outcomes",
                        "limiting": True,
                    },
                    {
                        "key": "step_up_down",
                        "text": "Was the case stepped up or down when it should have been?",
                        "guidance": "Consider whether the level of "
                        "intervention matches the level of "
                        "need and risk.",
                        "kind": "yes_no_na",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                    },
                ],
            },
            {
                "title": "Recording and chronology",
                "questions": [
                    {
                        "key": "recording_up_to_date",
                        "text": "Is recording up to date?",
                        "guidance": "Case notes should be entered within "
                        "the local timescale of the event.",
                        "kind": "grade",
                        "required": True,
                        "domain": "Recording",
                        "limiting": False,
                    },
                    {
                        "key": "chronology_present",
                        "text": "Is there an up-to-date chronology?",
                        "guidance": "A chronology of significant events "
                        "should be present and current.",
                        "kind": "yes_no_na",
                        "required": True,
                        "domain": None,
                        "limiting": False,
                    },
                    {
                        "key": "tells_story",
                        "text": "Does the record tell the child's story?",
                        "guidance": "Would the child, reading their file "
                        "as an adult, understand what "
                        "happened and why?",
                        "kind": "grade",
                        "required": True,
                        "domain": "Recording",
                        "limiting": False,
                    },
                    {
                        "key": "cases_open_days",
                        "text": "How many days has the case been open with the current plan?",
                        "guidance": "Count from the start of the current plan to the audit date.",
                        "kind": "number",
                        "required": False,
                        "domain": None,
                        "limiting": False,
                    },
                    {
                        "key": "last_visit_date",
                        "text": "Date of the most recent recorded visit",
                        "guidance": "From the case notes.",
                        "kind": "date",
                        "required": False,
                        "domain": None,
                        "limiting": False,
                    },
                ],
            },
        ]
    },
}


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


def install_default_template(apps, schema_editor):
    Template = apps.get_model("audits", "Template")
    if not Template.objects.filter(name=DEFAULT_TEMPLATE["name"]).exists():
        Template.objects.create(
            status="published", published_at=timezone.now(), version=1, **DEFAULT_TEMPLATE
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0002_postgresql"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(install_default_template, migrations.RunPython.noop),
    ]
