"""Pages that a whole council can read (issue 16, items 1 and 9): case types, strata, roles
and the independence rules in words, never their codes; every error at once in a GOV.UK
error summary linked to its field, never a field's name; dates as day, month and year."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from audits.core.display import CASE_TYPE_WORDS
from audits.models import (
    Action,
    Assignment,
    Audit,
    Cycle,
    Event,
    Reconciliation,
    SampledCase,
    Staff,
)
from audits.services import assignment, escalations, sample
from tests.browser import scenarios
from tests.builders import known_server_random

# A rule code alone: "R1" not followed by its words (the pages print "R1", a dash, the words).
RULE_ALONE = re.compile(r"\bR[1-5]\b(?! \N{EN DASH} the auditor)")
# A field's or a value's name as the code stores it: two words joined by an underscore.
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


class VisibleText(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(response) -> str:
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def codes_in(text: str, strata) -> list[str]:
    """Case-type codes, stratum labels and lone rule codes found in a page's text (the codes
    that are also words, "referral" and "assessment", may be read as words)."""
    codes = [code for code in CASE_TYPE_WORDS if code not in ("referral", "assessment")]
    found = [code for code in codes if re.search(rf"(?<![\w/-]){code}(?![\w/-])", text)]
    found += [label for label in strata if label != "all" and label in text]
    return found + RULE_ALONE.findall(text)


@pytest.fixture
def lead(db):
    scenarios.demo_council()
    client = Client()
    client.force_login(scenarios.person(scenarios.LEAD))
    return client


@pytest.fixture
def by_team_and_type(lead):
    """A cycle drawn by team and case type, assigned, with one rule set aside."""
    cycle = scenarios.planned_cycle(n=16)
    Cycle.objects.filter(pk=cycle.pk).update(stratify_by="team_case_type")
    cycle.refresh_from_db()
    with known_server_random("words"):
        sample.sample_draw(cycle=cycle, actor=scenarios.person(scenarios.LEAD))
    lead = scenarios.person(scenarios.LEAD)
    assignment.cycle_assign(cycle=cycle, actor=lead)
    # A manager sets R1 aside: an auditor of the case's own team.
    for item in SampledCase.objects.filter(cycle=cycle).select_related("case"):
        same_team = Staff.objects.filter(team=item.case.team, user__groups__name="auditor")
        if same_team.exists():
            assignment.assignment_override(
                sampled_case=item,
                auditor=same_team.first(),
                role="primary",
                actor=lead,
                reason="Only auditor trained for this case type",
            )
            break
    cycle.refresh_from_db()
    return cycle


def test_the_cycle_page_says_case_types_strata_and_rules_in_words(lead, by_team_and_type):
    cycle = by_team_and_type
    strata = list(cycle.frame.strata_sizes)
    assert any("/" in label and "-" in label for label in strata)  # e.g. "assessment-north/cp"
    page = visible(lead.get(f"/cycles/{cycle.pk}/"))
    assert codes_in(page, strata) == []
    assert "R1 \N{EN DASH} the auditor must not work in the case's current team" in page
    # A stratum reads as its team's name and the case type in words.
    assert re.search(r"[A-Z][\w' ]+, (child|care|early|assessment|contact)", page)


def test_the_sampling_record_says_strata_rules_and_overrides_in_words(lead, by_team_and_type):
    cycle = by_team_and_type
    internal = Client()
    internal.force_login(scenarios.person("internal.audit"))
    page = visible(internal.get(f"/assurance/cycles/{cycle.pk}/sampling/"))
    assert "Independence rules" in page
    assert Assignment.objects.filter(sampled_case__cycle=cycle).exclude(override_rules=[]).exists()
    overrides = page[page.index("Overrides of the independence rules") :]
    assert "R1 \N{EN DASH} the auditor must not work in the case's current team" in overrides, (
        overrides[:400]
    )
    assert codes_in(page, list(cycle.frame.strata_sizes)) == []


def test_my_audits_and_the_new_cycle_form_say_case_types_in_words(lead, by_team_and_type):
    audit = scenarios.first_audit(by_team_and_type)
    auditor = Client()
    auditor.force_login(audit.assignment.auditor.user)
    mine = visible(auditor.get("/my-audits/"))
    assert codes_in(mine, []) == []
    assert "Care leaver" in visible(lead.get("/cycles/new/"))


# --- Errors: all at once, linked, in GOV.UK words ------------------------------------------


def error_texts(response) -> list[str]:
    """Every error a page shows: the summary's entries and the messages by the fields."""
    page = response.content.decode()
    summary = re.findall(r'<li><a href="#[\w-]+">(.*?)</a></li>', page)
    by_field = re.findall(r'<p class="field-error" id="[\w-]+-error">.*?</span> (.*?)</p>', page)
    return summary + by_field


def test_two_mistakes_show_both_in_the_summary_linked_to_their_fields(lead):
    response = lead.post(
        "/cycles/new/",
        {"name": "", "period_start_day": "1", "period_start_month": "4", "stratify_by": "none"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert '<h2 id="error-summary-title">There is a problem</h2>' in page
    assert "data-focus-on-load" in page
    assert '<a href="#name">Enter a name for the cycle</a>' in page
    assert '<a href="#period_start">The start of the period must include a year</a>' in page
    assert '<a href="#period_end">Enter the end of the period</a>' in page
    # ... and each again by its field, the same words.
    assert 'id="name-error"><span class="visually-hidden">Error:</span> Enter a name' in page
    assert 'id="period_start" value="1"' in page  # what was typed stays
    assert not Cycle.objects.filter(name="").exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (("31", "2", "2026"), "The start of the period must be a real date"),
        (("1", "13", "2026"), "The start of the period must be a real date"),
        (("1", "4", ""), "The start of the period must include a year"),
        (("", "4", ""), "The start of the period must include a day and year"),
        (("1", "4", "26"), "The year of the start of the period must have 4 numbers, like 2026"),
        (("first", "4", "2026"), "The start of the period must be a real date"),
    ],
)
def test_a_date_is_three_boxes_and_a_wrong_one_is_said_in_words(lead, typed, message):
    day, month, year = typed
    form = {
        "name": "Dates",
        "period_start_day": day,
        "period_start_month": month,
        "period_start_year": year,
        "period_end_day": "30",
        "period_end_month": "6",
        "period_end_year": "2026",
        "stratify_by": "none",
        "n": "10",
        "allocation": "proportional",
    }
    response = lead.post("/cycles/new/", form)
    assert response.status_code == 400
    assert f'<a href="#period_start">{message}</a>' in response.content.decode()


def test_the_three_boxes_make_a_cycle_with_that_period(lead):
    form = {
        "name": "Three boxes",
        "period_start_day": "1",
        "period_start_month": "4",
        "period_start_year": "2026",
        "period_end_day": "30",
        "period_end_month": "06",
        "period_end_year": "2026",
        "stratify_by": "none",
        "n": "10",
        "allocation": "proportional",
    }
    page = lead.get("/cycles/new/").content.decode()
    for part in ("Day", "Month", "Year"):
        assert f'<label for="period_start{"" if part == "Day" else "_" + part.lower()}">' in page
    response = lead.post("/cycles/new/", form)
    assert response.status_code == 302
    cycle = Cycle.objects.get(name="Three boxes")
    assert (str(cycle.period_start), str(cycle.period_end)) == ("2026-04-01", "2026-06-30")


def test_the_action_due_date_rejects_the_31st_of_february(lead, by_team_and_type):
    audit = scenarios.first_audit(by_team_and_type)
    owner = audit.assignment.auditor
    form = {
        "audit": audit.pk,
        "owner": owner.staff_ref,
        "description": "Update the chronology",
        "priority": "high",
        "due_date_day": "31",
        "due_date_month": "2",
        "due_date_year": "2026",
    }
    response = lead.post("/actions/new/", form)
    assert response.status_code == 400
    assert '<a href="#due_date">The due date must be a real date</a>' in response.content.decode()
    assert not Action.objects.exists()


def test_the_audit_window_takes_day_month_and_year(lead, by_team_and_type):
    cycle = by_team_and_type
    due = cycle.audit_due_date
    bad = lead.post(
        f"/cycles/{cycle.pk}/window/",
        {"audit_due_date_day": "31", "audit_due_date_month": "2", "audit_due_date_year": "2027"},
    )
    assert bad.status_code == 400
    assert '<a href="#audit_due_date">The due date must be a real date</a>' in bad.content.decode()
    later = due.replace(year=due.year + 1)
    good = lead.post(
        f"/cycles/{cycle.pk}/window/",
        {
            "audit_due_date_day": str(later.day),
            "audit_due_date_month": str(later.month),
            "audit_due_date_year": str(later.year),
            "window_reason": "Staff away over the summer",
        },
    )
    assert good.status_code == 302
    cycle.refresh_from_db()
    assert cycle.audit_due_date == later
    assert Event.objects.filter(verb="cycle.window_extended", object_id=str(cycle.pk)).exists()


def smaller_pages(cycle):
    """An auditor's client on an unstarted audit, a reconciliation of a submitted audit and an
    open escalation raised from the auditor's audit."""
    submitted = Audit.objects.filter(status="submitted").first()
    if submitted is None:
        submitted = scenarios.first_audit(cycle)
        Audit.objects.filter(pk=submitted.pk).update(status="submitted")
    audit = scenarios.first_audit(cycle)
    client = Client()
    client.force_login(audit.assignment.auditor.user)
    reconciliation = Reconciliation.objects.create(
        sampled_case=submitted.assignment.sampled_case,
        first_audit=submitted,
        second_audit=submitted,
        first_grades={},
        second_grades={},
    )
    escalation = escalations.escalation_raise(
        audit=audit, actor=audit.assignment.auditor.user, concern="The child was not seen."
    )
    return client, reconciliation, escalation


def test_no_page_form_shows_a_field_name_in_an_error(lead, by_team_and_type):
    """Every form page, sent empty or wrong: each error is a sentence, never a field's name
    ("period_start", "evidence_note: required") or a library's words."""
    cycle = by_team_and_type
    some_case = SampledCase.objects.filter(cycle=cycle).first()
    submitted = scenarios.first_audit(cycle)
    Audit.objects.filter(pk=submitted.pk).update(status="submitted")
    sent = {
        "/cycles/new/": {"n": "many", "minimum": "-1"},
        "/actions/new/": {"due_date_day": "40"},
        "/programme/new/": {"n": "many", "day": "x", "stratify_by": "by_size"},
        f"/cycles/{cycle.pk}/window/": {
            "audit_opens_on_day": "2",
            "audit_opens_on_month": "1",
            "audit_opens_on_year": "2030",
            "audit_due_date_day": "1",
            "audit_due_date_month": "1",
            "audit_due_date_year": "2030",
        },
        f"/cycles/{cycle.pk}/override/": {"sampled_case": str(some_case.pk), "auditor": "x"},
        f"/cycles/{cycle.pk}/extend/": {f"size-{some_case.stratum}": "lots"},
        f"/cycles/{cycle.pk}/unavailable/": {"auditor": "nobody"},
        f"/moderation/{submitted.pk}/": {"decision": "", "overall_grade": "9"},
        f"/cycles/{scenarios.planned_cycle(name='Not drawn').pk}/draw/": {"witness_input": "3"},
    }
    auditor, reconciliation, escalation = smaller_pages(cycle)
    sent |= {
        f"/moderation/reconciliations/{reconciliation.pk}/": {"overall_grade": "9", "reason": ""},
        "/notifications/preferences/": {"email_kinds": ["no_such_kind"]},
        f"/escalations/{escalation.pk}/acknowledge/": {"response": "x" * 10_001},
        f"/audits/{submitted.pk}/concern/": {"concern": " "},
        f"/cycles/{cycle.pk}/replace/": {"sampled": "", "reason": ""},
    }
    audit = escalation.audit
    by_auditor = {f"/audits/{audit.pk}/evidence/": {"question_key": "no_such_question"}}
    seen = 0
    for url, form in [*sent.items(), *by_auditor.items()]:
        response = (auditor if url in by_auditor else lead).post(url, form)
        assert response.status_code == 400, url
        for text in error_texts(response):
            seen += 1
            assert not SNAKE.search(text), (url, text)
            assert text[:1].isupper(), (url, text)
            assert "This field" not in text, (url, text)
            assert text.lower() != "required", (url, text)
    assert seen >= 21


def test_adding_evidence_with_two_mistakes_shows_both(lead, by_team_and_type):
    auditor, _, escalation = smaller_pages(by_team_and_type)
    audit = escalation.audit
    response = auditor.post(f"/audits/{audit.pk}/evidence/", {"question_key": "nowhere"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#file">Choose a file to upload</a>' in page
    assert '<a href="#question_key">Choose the question the evidence is for</a>' in page
    assert 'id="file-error"' in page
    assert 'id="question_key-error"' in page
    assert not audit.evidence.exists()


def test_replacing_a_case_with_two_mistakes_shows_both(lead, by_team_and_type):
    cycle = by_team_and_type
    response = lead.post(f"/cycles/{cycle.pk}/replace/", {"sampled": "", "reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<a href="#sample-table">Choose the case to replace</a>' in page
    assert '<a href="#sample-table">Say why the case is replaced</a>' in page
    assert not SampledCase.objects.filter(cycle=cycle, status="replaced").exists()


def test_a_refused_acknowledgement_keeps_what_was_typed_by_its_box(lead, by_team_and_type):
    _, _, escalation = smaller_pages(by_team_and_type)
    typed = "Visited. " * 1_200
    response = lead.post(f"/escalations/{escalation.pk}/acknowledge/", {"response": typed})
    assert response.status_code == 400
    page = response.content.decode()
    box = f"response-{escalation.pk}"
    assert f'<a href="#{box}">What has been done must be 10,000 characters or fewer</a>' in page
    assert f'id="{box}-error"' in page
    assert typed.strip() in page
    escalation.refresh_from_db()
    assert escalation.status == "open"
    done = lead.post(f"/escalations/{escalation.pk}/acknowledge/", {"response": "Visited"})
    assert done.status_code == 302
