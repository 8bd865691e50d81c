"""The report builders: figures in, PDF and CSV out, with no database.

The reader we write for is a scrutiny committee member and, behind them, internal audit:
they must find the opinion and why, re-check the sample from the seed and frame hash
printed in the report, and match every page to the report it came from by its hash.
"""

import copy
import csv
import io
import json
import re
import time

import pytest
from pypdf import PdfReader

from tests.report_figures import example_audits, example_figures, large_appendix, unmeasured_figures
from worker import report_pdf
from worker.report_csv import CSV_COLUMNS, render_csv
from worker.report_pdf import render_pdf


def pdf_bytes(figures) -> bytes:
    stream = io.BytesIO()
    render_pdf(figures, stream)
    return stream.getvalue()


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with every run of whitespace made one space, as table cells wrap lines."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def figures():
    return example_figures()


@pytest.fixture(scope="module")
def rendered(figures):
    return pdf_bytes(figures)


@pytest.fixture(scope="module")
def pages(rendered):
    return page_texts(rendered)


def test_the_report_opens_and_names_its_opinion_seed_and_frame_hash(figures, pages):
    text = flat("\n".join(pages))
    assert len(pages) > 1
    assert f"{figures['opinion']['level']} assurance" in flat(pages[0])
    assert figures["methodology"]["seed"] in text
    assert figures["methodology"]["frame_hash"] in text
    assert figures["cycle"]["name"] in flat(pages[0])
    assert "1 July 2025 to 30 September 2025" in flat(pages[0])


def test_every_page_carries_the_report_hash_version_and_page_number(figures, pages):
    report = figures["report"]
    for number, text in enumerate(pages, start=1):
        footer = f"Report hash {report['hash']} · version {report['version']} · page {number}"
        assert footer in text, f"page {number} has no footer"


def test_the_pdf_title_names_the_report_and_the_cycle(rendered):
    metadata = PdfReader(io.BytesIO(rendered)).metadata
    assert metadata.title == "Case audit assurance report: Q3 2025 case audit"


def test_every_condition_is_listed_with_met_or_not_met_in_words(figures, pages):
    summary = flat(pages[1])
    conditions = figures["opinion"]["conditions"]
    for condition in conditions:
        assert flat(condition["text"]) in summary
    not_met = sum(not condition["held"] for condition in conditions)
    assert not_met > 0, "the example should show a condition that failed"
    assert summary.count("Not met") == not_met
    assert len(re.findall(r"(?<!Not )\bMet\b", summary)) == len(conditions) - not_met
    assert flat(figures["opinion"]["reason"]) in summary
    for caveat in figures["opinion"]["caveats"]:
        assert flat(caveat) in summary


def test_internal_audit_can_retype_the_verify_command_and_script(figures, pages):
    text = "\n".join(pages)
    lines = {line.strip() for line in text.splitlines()}
    method = figures["methodology"]
    # A long command is broken between arguments with backslash continuations.
    joined = re.sub(r" \\\n\s+", " ", text)
    assert method["verify_command"] in {line.strip() for line in joined.splitlines()}
    script_lines = [line.strip() for line in method["verify_script"].splitlines() if line.strip()]
    assert len(script_lines) > 20
    missing = [line for line in script_lines if line not in lines]
    assert missing == []


def test_a_long_verify_command_breaks_only_between_arguments():
    sizes = " ".join(f"team-{n}-child-in-need={n}" for n in range(12))
    command = f"python3 verify_sample.py cycle-9-frame.csv.gz 'seed with spaces' {sizes}"
    printed = report_pdf._command_lines(command)
    assert "\n" in printed
    assert "'seed with spaces'" in printed
    assert printed.replace(" \\\n    ", " ") == command


def test_the_methodology_shows_the_draw_and_its_safeguards(figures, pages):
    text = flat("\n".join(pages))
    method = figures["methodology"]
    assert "Cases in the frame (N) 1,500" in text
    assert "Closed before the period 120" in text
    assert "Total left out 150" in text
    replacement = method["replacements"][0]
    assert replacement["case_ref"] in text
    assert replacement["replaced_by"] in text
    assert "R5 The auditor did not audit this case in the last 12 months. Switched off" in text
    assert method["overrides"][0]["reason"] in text
    assert "None: every sampled case had an eligible auditor." in text
    assert "Completed first audits: 39 of 41 cases in the sample (95.1%)." in text


def test_the_findings_draw_their_charts_and_tables(figures, pages):
    text = flat("\n".join(pages))
    # Words drawn inside the charts: axis titles, category names and keys.
    for drawn in ("Requires improvement", "Cases audited in team", "99.8% limits", "Audit cycle"):
        assert drawn in text
    for team in figures["findings"]["by_team"]:
        assert team["team"] in text
    for theme in figures["findings"]["themes"]:
        assert theme["theme"] in text
    for domain in figures["findings"]["by_domain"]:
        assert domain["domain"] in text
    trend_rows = re.findall(r"Q\d 20\d\d \d{1,2} \w+ 20\d\d \d+ \d+\.\d%", text)
    assert [row.split()[:2] for row in trend_rows] == [
        ["Q4", "2024"],
        ["Q1", "2025"],
        ["Q2", "2025"],
        ["Q3", "2025"],
    ]


def test_this_cycle_is_added_to_the_trend_when_the_compiler_lists_only_earlier_ones(figures):
    earlier_only = copy.deepcopy(figures)
    earlier_only["findings"]["trend"] = earlier_only["findings"]["trend"][:-1]
    text = flat("\n".join(page_texts(pdf_bytes(earlier_only))))
    assert "This cycle" in text
    assert "Q3 2025 30 September 2025 39 61.4%" in text  # the stratified estimate


def test_reliability_escalations_and_actions_are_reported(figures, pages):
    text = flat("\n".join(pages))
    reliability = figures["reliability"]
    assert f"Audits moderated {reliability['moderated']}" in text
    assert f"(weighted kappa) {reliability['kappa_quadratic']:.2f}" in text
    assert f"(Krippendorff's alpha) {reliability['alpha_overall']:.2f}" in text
    assert "Voice of the child 0.29 Low: read with caution" in text
    for item in figures["escalations"]["items"]:
        assert item["case_ref"] in text
    assert "4 August 2025, 10:12 UTC" in text
    assert "Completed by their due date 85.0%" in text


def test_headings_are_bookmarked_for_navigation(rendered):
    outline = PdfReader(io.BytesIO(rendered)).outline
    titles = [entry.title for entry in outline if not isinstance(entry, list)]
    assert titles[:3] == ["Executive summary", "Methodology", "Findings"]
    assert "Appendix: audited cases" in titles


def test_the_appendix_lists_audited_cases_by_case_ref(figures, pages):
    appendix = "\n".join(pages[next(i for i, t in enumerate(pages) if "Appendix:" in t) :])
    refs = re.findall(r"^C\d{6}\b", appendix, flags=re.MULTILINE)
    assert refs == sorted(row["case_ref"] for row in figures["appendix"])


def test_same_figures_give_identical_bytes_and_other_figures_do_not(figures, rendered):
    assert pdf_bytes(copy.deepcopy(figures)) == rendered
    changed = copy.deepcopy(figures)
    changed["report"]["hash"] = "f" * 64
    assert pdf_bytes(changed) != rendered


def test_nothing_measured_renders_in_plain_words():
    figures = unmeasured_figures()
    pages = page_texts(pdf_bytes(figures))
    text = flat("\n".join(pages))
    assert "No opinion formed" in text
    assert "not measured" in text
    for sentence in (
        "No escalations were raised.",
        "No grades were recorded.",
        "No team had an audited case.",
        "There are no earlier cycles to compare with.",
        "Agreement by area of practice was not measured.",
        "No cases were audited.",
        "No conditions were tested.",
    ):
        assert sentence in text
    assert all("0" * 64 in page for page in pages)


def test_an_empty_dict_still_gives_a_complete_pdf():
    pages = page_texts(pdf_bytes({}))
    assert len(pages) > 1
    assert all("Report hash not measured · version not measured" in page for page in pages)


def test_missing_figures_scattered_through_a_real_report_do_not_break_it(figures):
    ragged = copy.deepcopy(figures)
    ragged["summary"] = None
    ragged["opinion"]["conditions"][0] = {"opinion": "Substantial", "held": False}
    ragged["methodology"]["strata"][0]["drawn"] = None
    ragged["methodology"]["frame_definition"]["open_on"] = None
    ragged["methodology"]["exclusions"]["closed before the period"] = None
    ragged["findings"]["by_team"][0].update(proportion=None, limits95=None, flag=None)
    ragged["findings"]["funnel"][3]["low95"] = None
    ragged["findings"]["trend"][1].update(good_or_better=None, low=None, high=None)
    ragged["findings"]["by_domain"][0]["distribution"] = None
    ragged["findings"]["grade_scale"] = None
    ragged["reliability"]["direction"] = None
    ragged["reliability"]["alpha_by_domain"]["Planning"] = None
    ragged["escalations"]["items"][0]["acknowledged_at"] = None
    ragged["actions"]["by_priority"] = None
    ragged["appendix"][0].update(themes=None, moderated_grade=None, team=None)
    text = flat("\n".join(page_texts(pdf_bytes(ragged))))
    assert "Key figures Cases planned not measured Completed audits not measured" in text
    assert figures["methodology"]["seed"] in text


def test_text_from_the_register_is_printed_as_written_not_read_as_markup(figures):
    odd = copy.deepcopy(figures)
    odd["findings"]["by_team"][0]["team"] = "Smith & Jones <North>"
    odd["appendix"][0]["themes"] = ["Drift & delay <b>"]
    text = flat("\n".join(page_texts(pdf_bytes(odd))))
    assert "Smith & Jones <North>" in text
    assert "Drift & delay <b>" in text


def test_a_10000_case_appendix_grows_the_report_linearly(figures):
    def render(count):
        big = copy.deepcopy(figures)
        big["appendix"] = large_appendix(count)
        started = time.perf_counter()
        data = pdf_bytes(big)
        return time.perf_counter() - started, data

    base = len(PdfReader(io.BytesIO(pdf_bytes({**figures, "appendix": []}))).pages)
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
    last_page = large_reader.pages[-1].extract_text()
    assert "C0009999" in last_page
    assert "Case Team Kind Stratum Auditor" in flat(last_page)  # header repeated


def test_csv_has_the_header_and_one_row_per_audit_that_round_trips():
    audits = example_audits()
    stream = io.StringIO(newline="")
    render_csv(audits, stream)
    stream.seek(0)
    reader = csv.DictReader(stream)
    rows = list(reader)
    domains = sorted({d for audit in audits for d in audit["domain_grades"]})
    assert reader.fieldnames == [*CSV_COLUMNS, *(f"domain: {d}" for d in domains)]
    assert [row["case_ref"] for row in rows] == [audit["case_ref"] for audit in audits]
    for audit, row in zip(audits, rows, strict=True):
        assert row["themes"] == "; ".join(audit["themes"])
        for domain in domains:
            grade = audit["domain_grades"].get(domain)
            assert row[f"domain: {domain}"] == ("" if grade is None else str(grade))
        assert row["final_grade"] == (
            "" if audit["final_grade"] is None else str(audit["final_grade"])
        )
        assert row["moderated_grade"] == (
            "" if audit["moderated_grade"] is None else str(audit["moderated_grade"])
        )
        assert row["status"] == audit["status"]
        assert row["role"] == "primary"


def test_csv_writes_one_row_per_appendix_row(figures):
    stream = io.StringIO(newline="")
    render_csv(figures["appendix"], stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 1 + len(figures["appendix"])


@pytest.mark.parametrize(
    ("role", "follow_up", "written"),
    [("primary", False, "primary"), ("second", False, "second"), ("primary", True, "follow-up")],
)
def test_csv_names_each_audit_role(role, follow_up, written):
    stream = io.StringIO(newline="")
    render_csv([{"case_ref": "C1", "role": role, "follow_up": follow_up}], stream)
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["role"] == written


def test_csv_keeps_commas_quotes_and_line_breaks_inside_their_cell():
    row = {
        "case_ref": "C1",
        "team_at_completion": 'Assessment, "North"',
        "themes": ["Drift and delay", "Plans not SMART, again"],
        "domain_grades": {"Voice of the child, early years": 2, "Planning": 3.5},
        "auditor": "line one\nline two",
        "follow_up": True,
        "overall_grade": None,
    }
    stream = io.StringIO(newline="")
    render_csv([row], stream)
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["team_at_completion"] == 'Assessment, "North"'
    assert read["themes"] == "Drift and delay; Plans not SMART, again"
    assert read["domain: Voice of the child, early years"] == "2"
    assert read["domain: Planning"] == "3.5"
    assert read["auditor"] == "line one\nline two"
    assert read["role"] == "follow-up"
    assert read["overall_grade"] == ""
    assert read["stratum"] == ""


def test_csv_text_that_a_spreadsheet_would_run_as_a_formula_is_defused():
    stream = io.StringIO(newline="")
    render_csv(
        [{"case_ref": '=HYPERLINK("http://x")', "current_team": "+team", "themes": ["@risk"]}],
        stream,
    )
    stream.seek(0)
    (read,) = list(csv.DictReader(stream))
    assert read["case_ref"] == '\'=HYPERLINK("http://x")'
    assert read["current_team"] == "'+team"
    assert read["themes"] == "'@risk"
