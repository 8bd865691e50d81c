"""The assurance report's PDF as its readers see it: a scrutiny committee member finds the
opinion and why; internal audit re-checks the sample from the seed and frame hash printed
in it and matches every page to the report by its hash. Every PDF here is compiled by the
product from a cycle built through the services, and read back as text."""

import copy
import io
import json
import re
import time
from datetime import date, timedelta

import pdfplumber
import pytest
from django.core.management import call_command
from pypdf import PdfReader

from audits.models import Audit, Escalation, SampledCase, Staff, Team
from audits.selectors.case_facts import blocking_rules
from audits.services import assignment, sample
from tests.builders import finished_cycle
from tests.report_compiled import compiled, flat, page_texts
from worker.report_pdf import render_pdf

# The reports are compiled once per module (see tests/report_compiled.py); the mark makes
# pytest-django create the test database for them.
pytestmark = pytest.mark.django_db

REPLACED_BECAUSE = "The child moved to another council before the audit began."
OVERRIDDEN_BECAUSE = "The manager took over the team after the draw; nobody else was free."


OPINION_WORDS = {
    "Substantial": "Substantial assurance",
    "Reasonable": "Reasonable assurance",
    "Limited": "Limited assurance",
    "No assurance": "No assurance",
}


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def pdf_bytes(figures, appendix_rows=()) -> bytes:
    stream = io.BytesIO()
    render_pdf(figures, stream, appendix_rows)
    return stream.getvalue()


def audited_refs(cycle) -> list[str]:
    completed = Audit.objects.filter(
        assignment__sampled_case__cycle=cycle,
        assignment__role="primary",
        status__in=["submitted", "final"],
    )
    return sorted(completed.values_list("assignment__sampled_case__case__case_ref", flat=True))


def replace_one_case_and_override_one_rule(cycle, lead, facts: dict) -> None:
    """A case turns out unsuitable and is replaced (and its replacement assigned); the lead
    gives another case to an auditor a rule blocks, setting the rule aside with a reason."""
    selected = SampledCase.objects.filter(cycle=cycle, status="selected", is_follow_up=False)
    unsuitable, *others = selected.select_related("case__team").order_by("stratum", "rank")
    replacement = sample.sample_replace(
        sampled_case=unsuitable, actor=lead, reason=REPLACED_BECAUSE
    )
    assignment.cycle_assign(cycle=cycle, actor=lead)
    auditors = list(Staff.objects.filter(user__groups__name="auditor", is_active=True))
    sampled, manager = next(
        (sampled, auditor)
        for sampled in others
        for auditor in auditors
        if blocking_rules(sampled, auditor)
        and not sampled.assignments.filter(role="second", auditor=auditor).exists()
    )
    assignment.assignment_override(
        sampled_case=sampled,
        auditor=manager,
        role="primary",
        actor=lead,
        reason=OVERRIDDEN_BECAUSE,
        over_capacity=True,  # the lead knows: the auditor may already be full
    )
    facts.update(
        replaced=unsuitable.case.case_ref,
        replacement=replacement.case.case_ref,
        overridden=sampled.case.case_ref,
        override_auditor=(manager.name, manager.staff_ref),
    )


def a_quarter_after_an_earlier_one():
    """An earlier quarter, then this one: a case replaced, a rule set aside, every audit
    done and moderated, an escalation and actions."""
    earlier = finished_cycle(ends=date.today() - timedelta(days=120))
    facts: dict = {"earlier": earlier.name}
    cycle = finished_cycle(
        before_audits=lambda cycle, lead: replace_one_case_and_override_one_rule(cycle, lead, facts)
    )
    # Two people share a name: the override's auditor and another who audited a case.
    namesake = (
        Staff.objects.filter(assignments__sampled_case__cycle=cycle, assignments__role="primary")
        .exclude(staff_ref=facts["override_auditor"][1])
        .order_by("staff_ref")
        .first()
    )
    namesake.name = facts["override_auditor"][0]
    namesake.save(update_fields=["name"])
    facts.update(
        namesake=namesake.staff_ref,
        lead=Staff.objects.get(user__username="qa.lead").name,
        auditors=dict(
            Staff.objects.filter(assignments__sampled_case__cycle=cycle).values_list(
                "staff_ref", "name"
            )
        ),
    )
    escalated = Escalation.objects.filter(audit__assignment__sampled_case__cycle=cycle)
    facts.update(
        name=cycle.name,
        period=(cycle.period_start, cycle.period_end),
        seed=cycle.frame.seed,
        frame_hash=cycle.frame.frame_hash,
        population=cycle.frame.size,
        audited=audited_refs(cycle),
        teams=sorted(
            set(
                Audit.objects.filter(
                    assignment__sampled_case__cycle=cycle, summary__isnull=False
                ).values_list("summary__team__name", flat=True)
            )
        ),
        escalated=list(
            escalated.values_list("audit__assignment__sampled_case__case__case_ref", flat=True)
        ),
    )
    return cycle, facts


@pytest.fixture(scope="module")
def quarter(django_db_setup, django_db_blocker):
    return compiled(django_db_blocker, a_quarter_after_an_earlier_one)


@pytest.fixture(scope="module")
def half_done(django_db_setup, django_db_blocker):
    return compiled(django_db_blocker, lambda: (finished_cycle(complete=0.5), {}))


@pytest.fixture(scope="module")
def nothing_audited(django_db_setup, django_db_blocker):
    return compiled(django_db_blocker, lambda: (finished_cycle(complete=0.0), {}))


def test_the_cover_names_the_report_the_cycle_its_period_and_the_opinion(quarter):
    cover = quarter.pages[0]
    start, end = quarter.facts["period"]
    assert "Case audit assurance report" in cover
    assert quarter.facts["name"] in cover
    assert f"Period audited: {long_date(start)} to {long_date(end)}" in cover
    opinion = OPINION_WORDS[quarter.figures["opinion"]["level"]]
    assert f"Assurance opinion {opinion}" in cover
    assert "Interim" not in cover


def test_every_page_carries_the_report_hash_version_and_page_number(quarter):
    report = quarter.figures["report"]
    assert len(quarter.pages) > 5
    for number, text in enumerate(quarter.pages, start=1):
        footer = f"Report hash {report['hash']} · version {report['version']} · page {number}"
        assert footer in text, f"page {number} has no footer"


def test_the_pdf_title_names_the_report_and_the_cycle(quarter):
    metadata = PdfReader(io.BytesIO(quarter.pdf)).metadata
    assert metadata.title == f"Case audit assurance report: {quarter.facts['name']}"


def test_every_condition_is_listed_with_met_or_not_met_in_words(quarter):
    summary = quarter.pages[1]
    opinion = quarter.figures["opinion"]
    for condition in opinion["conditions"]:
        assert flat(condition["text"]) in summary
    measured = [c for c in opinion["conditions"] if c["value"] is not None]
    held = sum(condition["held"] for condition in measured)
    assert len(re.findall(r"(?<!Not )\bMet\b", summary)) == held
    assert summary.count("Not met") == len(measured) - held
    assert summary.count("Not measured") == len(opinion["conditions"]) - len(measured)
    assert flat(opinion["reason"]) in summary
    for caveat in opinion["caveats"]:
        assert flat(caveat) in summary


def test_internal_audit_can_retype_the_verify_command_and_script(quarter):
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(quarter.pdf)).pages)
    method = quarter.figures["methodology"]
    command = method["verify_command"]
    assert quarter.facts["seed"] in command
    assert quarter.facts["frame_hash"] in command
    # The command is longer than a line: it is broken between arguments, with backslashes.
    assert len(command) > 100
    joined = re.sub(r" \\\n\s+", " ", text)
    assert command in {line.strip() for line in joined.splitlines()}
    lines = {line.strip() for line in text.splitlines()}
    script = [line.strip() for line in method["verify_script"].splitlines() if line.strip()]
    assert len(script) > 20
    assert [line for line in script if line not in lines] == []


def test_the_methodology_shows_the_frame_the_draw_and_its_safeguards(quarter):
    text = " ".join(quarter.pages)
    facts = quarter.facts
    assert f"Cases in the frame (N) {facts['population']:,}" in text
    assert quarter.facts["seed"] in text
    assert quarter.facts["frame_hash"] in text
    # The earlier quarter's cases were audited within 12 months, so they are left out.
    assert re.search(r"Audited in the last 12 months \d+", text)
    assert f"{facts['replaced']} " in text
    assert REPLACED_BECAUSE in text
    assert facts["replacement"] in text
    assert OVERRIDDEN_BECAUSE in text
    assert facts["overridden"] in text
    assert f"Drawn by {facts['lead']}" in text


def test_completion_counts_completed_first_audits_over_the_cases_in_the_sample(quarter):
    audited = len(quarter.facts["audited"])
    sampled = quarter.figures["summary"]["sampled"]
    share = f"{audited / sampled * 100:.1f}%"
    assert f"Completed first audits: {audited} of {sampled} cases in the sample ({share})." in (
        " ".join(quarter.pages)
    )


def test_the_findings_draw_their_charts_and_tables(quarter):
    text = " ".join(quarter.pages)
    # Words drawn inside the charts: axis titles, category names and keys.
    for drawn in ("Requires improvement", "Cases audited in team", "99.8% limits", "Audit cycle"):
        assert drawn in text
    for team in quarter.facts["teams"]:
        assert team in text
    for theme in quarter.figures["findings"]["themes"]:
        assert theme["theme"] in text
    for domain in quarter.figures["findings"]["by_domain"]:
        assert domain["domain"] in text


def test_the_trend_compares_this_quarter_with_the_earlier_one(quarter):
    text = " ".join(quarter.pages)
    trend = text[text.index("Trend against earlier cycles") :]
    earlier = quarter.facts["earlier"].removesuffix(" case audit")
    assert trend.index(earlier) < trend.index(quarter.facts["name"])
    assert "There are no earlier cycles to compare with." not in text


def test_reliability_escalations_and_actions_are_reported(quarter):
    text = " ".join(quarter.pages)
    reliability = quarter.figures["reliability"]
    assert f"Audits moderated {reliability['moderated']}" in text
    for case_ref in quarter.facts["escalated"]:
        assert case_ref in text[text.index("Safeguarding escalations") :]
    assert "Actions agreed 6" in text


def test_headings_are_bookmarked_for_navigation(quarter):
    outline = PdfReader(io.BytesIO(quarter.pdf)).outline
    titles = [entry.title for entry in outline if not isinstance(entry, list)]
    assert titles[:3] == ["Executive summary", "Methodology", "Findings"]
    assert "Appendix: audited cases" in titles


def test_the_appendix_lists_every_audited_case_by_case_ref(quarter):
    appendix = " ".join(
        quarter.pages[next(i for i, t in enumerate(quarter.pages) if "Appendix:" in t) :]
    )
    printed = list(re.findall(r"\bC\d{6}\b", appendix))
    assert printed == quarter.facts["audited"]


def test_the_stored_pdf_is_what_its_figures_render_and_other_figures_do_not(quarter):
    assert pdf_bytes(copy.deepcopy(quarter.figures), quarter.appendix) == quarter.pdf
    changed = copy.deepcopy(quarter.figures)
    changed["report"]["hash"] = "f" * 64
    assert pdf_bytes(changed, quarter.appendix) != quarter.pdf
    assert pdf_bytes(quarter.figures, quarter.appendix[1:]) != quarter.pdf


def test_a_report_before_90_percent_completion_says_interim_on_its_cover(half_done):
    summary = half_done.figures["summary"]
    done = f"{summary['audited']} of {summary['sampled']} cases in the sample"
    assert f"Interim Compiled before 90% of the sample was audited: {done}" in half_done.pages[0]
    assert "Interim report. Opinion:" in half_done.pages[1]


def test_a_cycle_with_nothing_audited_yet_says_so_in_plain_words(nothing_audited):
    text = " ".join(nothing_audited.pages)
    assert "Completed audits 0 of 40 cases in the sample (0.0%)" in text
    for sentence in (
        "Nothing has been audited, so there is no interval for good or better",
        "No grades were recorded.",
        "No team had an audited case.",
        "There are no earlier cycles to compare with.",
        "Agreement by area of practice was not measured.",
        "No cases were audited.",
        "No follow-up audits were made in this cycle.",
    ):
        assert sentence in text


def test_an_empty_figures_dict_still_gives_a_complete_pdf():
    pages = page_texts(pdf_bytes({}))
    assert len(pages) > 1
    assert all("Report hash not measured · version not measured" in page for page in pages)


def test_text_from_the_register_is_printed_as_written_not_read_as_markup(
    django_db_setup, django_db_blocker
):
    def odd_team_name():
        cycle = finished_cycle()
        audited = cycle.sampled_cases.filter(assignments__audit__status="final").first()
        Team.objects.filter(pk=audited.case.team_id).update(name="Smith & Jones <North>")
        return cycle, {}

    report = compiled(django_db_blocker, odd_team_name)
    assert "Smith & Jones <North>" in " ".join(report.pages)


def test_a_10000_case_appendix_grows_the_report_linearly(quarter):
    rows = quarter.appendix

    def render(count):
        many = [
            {**rows[number % len(rows)], "case_ref": f"C{number:07d}"} for number in range(count)
        ]
        started = time.perf_counter()
        data = pdf_bytes(quarter.figures, many)
        return time.perf_counter() - started, data

    base = len(PdfReader(io.BytesIO(pdf_bytes(quarter.figures))).pages)
    small_seconds, small = render(1_000)
    large_seconds, large = render(10_000)
    small_pages = len(PdfReader(io.BytesIO(small)).pages) - base
    large_reader = PdfReader(io.BytesIO(large))
    large_pages = len(large_reader.pages) - base
    # Timings go to the output for the record, never into an assertion (CONVENTIONS.md).
    print(
        json.dumps(
            {
                "appendix_1000_seconds": round(small_seconds, 2),
                "appendix_10000_seconds": round(large_seconds, 2),
                "time_ratio": round(large_seconds / small_seconds, 2),
                "appendix_pages": [small_pages, large_pages],
            }
        )
    )
    assert 9 * small_pages <= large_pages <= 11 * small_pages
    last_pages = [flat(page.extract_text()) for page in large_reader.pages[-2:]]
    last_rows = next(page for page in last_pages if "C0009999" in page)
    assert "Case Team Kind Stratum Auditor" in last_rows  # the header is repeated


# --- issue 16 item 8: a report a reader can read ----------------------------------------------


def overlapping_text(pdf: bytes) -> list[str]:
    """Every pair of printed characters whose boxes cover each other, as "page n: 'a' over
    'b' at (x, y)". Letters of one word sit side by side and never count; two cells or
    labels printed over each other do."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            chars = sorted((c for c in page.chars if c["text"].strip()), key=lambda c: c["x0"])
            for index, char in enumerate(chars):
                for other in chars[index + 1 :]:
                    if other["x0"] >= char["x1"]:
                        break
                    wide = min(char["x1"], other["x1"]) - other["x0"]
                    high = min(char["bottom"], other["bottom"]) - max(char["top"], other["top"])
                    narrowest = min(char["width"], other["width"])
                    lowest = min(char["height"], other["height"])
                    if wide > 0.25 * narrowest and high > 0.25 * lowest:
                        found.append(
                            f"page {number}: {char['text']!r} over {other['text']!r} "
                            f"at ({char['x0']:.0f}, {char['top']:.0f})"
                        )
    return found


LONG_TEAM = "{} and Family Safeguarding Service (North East Locality)"
LONG_NAMES = ["Alexandrina Montgomery-Fitzwilliam", "Bartholomew Okonkwo-Vanderbilt"]


def long_names_everywhere():
    """Teams, strata (team and kind of case) and auditors with the longest names a council
    gives them, a case replaced, a rule set aside and a case no auditor can take."""
    call_command("seed_demo", cases=300, seed=5, history=False, stdout=io.StringIO())
    for team in Team.objects.all():
        Team.objects.filter(pk=team.pk).update(name=LONG_TEAM.format(team.name))
    auditors = Staff.objects.filter(user__groups__name="auditor").order_by("pk")
    for number, auditor in enumerate(auditors):
        auditor.name = f"{LONG_NAMES[number % 2]} {number}"
        auditor.save(update_fields=["name"])
    facts: dict = {}

    def before_audits(cycle, lead):
        replace_one_case_and_override_one_rule(cycle, lead, facts)
        leave_a_case_no_auditor_can_take(cycle, lead, facts)

    cycle = finished_cycle(stratify_by="team_case_type", before_audits=before_audits)
    return cycle, facts


def leave_a_case_no_auditor_can_take(cycle, lead, facts: dict) -> None:
    """Every auditor is full when a second case is replaced: its replacement waits."""
    selected = SampledCase.objects.filter(cycle=cycle, status="selected", is_follow_up=False)
    unsuitable = selected.filter(assignments__audit__status="assigned").order_by("-rank").first()
    replacement = sample.sample_replace(
        sampled_case=unsuitable, actor=lead, reason=REPLACED_BECAUSE
    )
    for auditor in Staff.objects.filter(user__groups__name="auditor"):
        held = auditor.assignments.filter(sampled_case__cycle=cycle).exclude(
            audit__status="withdrawn"
        )
        auditor.capacity = held.count()
        auditor.save(update_fields=["capacity"])
    assignment.cycle_assign(cycle=cycle, actor=lead)
    facts["waiting"] = replacement.case.case_ref


@pytest.fixture(scope="module")
def long_names(django_db_setup, django_db_blocker):
    return compiled(django_db_blocker, long_names_everywhere)


@pytest.mark.parametrize("report", ["quarter", "half_done", "nothing_audited"])
def test_no_text_is_printed_over_other_text_in_any_report(report, request):
    assert overlapping_text(request.getfixturevalue(report).pdf) == []


def test_no_text_is_printed_over_other_text_even_with_long_names(long_names):
    """Long teams, strata and names in the appendix, a rule set aside, a case replaced, a
    case nobody could take and double audits compared: nothing printed over anything."""
    assert "Family Safeguarding Service (North East Locality)" in " ".join(long_names.pages)
    assert long_names.figures["methodology"]["overrides"]
    assert long_names.figures["reconciliation"]["disagreed"] > 0
    assert overlapping_text(long_names.pdf) == []


DASH = "\N{EN DASH}"
RULES_IN_WORDS = [
    f"R1 {DASH} the auditor must not work in the case's current team",
    f"R2 {DASH} the auditor must never have been the case's allocated worker or manager",
    f"R3 {DASH} the auditor must not manage the case's team",
    f"R4 {DASH} the auditor must not have declared a conflict with the case or its worker",
    f"R5 {DASH} the auditor must not have audited this case in the last 12 months",
]


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_the_independence_rules_read_as_what_they_require(quarter):
    rules = between(" ".join(quarter.pages), "Independence of auditors", "Rules set aside")
    for rule in RULES_IN_WORDS:
        assert rule in rules
    assert "auditor is in the case's current team" not in rules


def test_an_override_names_the_auditor_the_rule_in_words_and_who_agreed_to_it(quarter):
    overrides = between(" ".join(quarter.pages), "Rules set aside", "Cases no eligible auditor")
    name, ref = quarter.facts["override_auditor"]
    # Another person has the same name, so the staff reference tells them apart.
    assert f"{name} ({ref})" in overrides
    assert any(rule in overrides for rule in RULES_IN_WORDS)
    assert quarter.facts["lead"] in overrides
    assert "not measured" not in overrides


def test_the_appendix_names_each_auditor_and_tells_two_people_of_one_name_apart(quarter):
    appendix = " ".join(
        quarter.pages[next(i for i, t in enumerate(quarter.pages) if "Appendix:" in t) :]
    )
    auditors = quarter.facts["auditors"]
    namesake = quarter.facts["namesake"]
    assert f"{auditors[namesake]} ({namesake})" in appendix
    for ref, name in auditors.items():
        if list(auditors.values()).count(name) == 1 and name in appendix:
            assert ref not in appendix, f"{ref} printed beside a name no one else has"
    assert any(name in appendix for name in auditors.values())


def test_an_unmeasured_agreement_is_never_printed_as_met(half_done):
    summary = half_done.pages[1]
    assert "Agreement between auditors (Krippendorff's alpha) was not measured" in summary
    row = between(summary, "Agreement between auditors (Krippendorff's alpha) was", "assurance")
    assert row.endswith("(needs a measured alpha of at least 0.8) Not measured Substantial ")


def test_an_escalation_not_yet_acknowledged_and_actions_not_yet_done_say_so(quarter):
    text = " ".join(quarter.pages)
    escalations = between(text, "Safeguarding escalations Raised:", "Actions agreed")
    (case_ref,) = quarter.facts["escalated"]
    assert re.search(rf"{case_ref} \d+ \w+ \d{{4}}, \d\d:\d\d UTC Not yet No", escalations)
    assert "Completed by their due date None done yet" in text
    # (The practitioners' response rate after it may well be "not measured": none was due.)
    actions_section = between(text, "Safeguarding escalations Raised:", "Practitioners' responses")
    assert "not measured" not in actions_section


def test_a_case_no_auditor_could_take_says_why_in_words(long_names):
    waiting = between(" ".join(long_names.pages), "Cases no eligible auditor", "Completion")
    assert long_names.facts["waiting"] in waiting
    assert "auditor has no capacity left" in waiting
    assert any(rule in waiting for rule in RULES_IN_WORDS)


def test_kinds_of_case_and_strata_are_printed_in_words(long_names):
    """The appendix, the strata and the findings by kind of case say "Child protection" and
    "<team>, child protection", never "cp" or "north-team/cp"."""
    text = " ".join(long_names.pages)
    strata = [str(row["stratum"]) for row in long_names.figures["methodology"]["strata"]]
    assert any("/" in label for label in strata)
    for label in strata:
        assert label not in text, label
    appendix = text[text.index("Appendix: audited cases") :]
    kinds = {str(row["case_type"]) for row in long_names.appendix}
    for code in kinds - {"referral", "assessment"}:
        assert not re.search(rf"(?<![\w/-]){code}(?![\w/-])", appendix), code
    assert re.search(
        r"Family Safeguarding Service \(North East Locality\), (child|care|early)", text
    )
    assert "By team and case type" in text
