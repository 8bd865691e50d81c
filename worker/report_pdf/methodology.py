"""Methodology: the frame, the draw and its seed, strata, replacements, independence
rules and overrides, completion, the opinion thresholds and how to re-check the sample."""

from collections.abc import Mapping
from typing import Any

from reportlab.platypus import PageBreak, Spacer

from audits.core.display import NOT_MEASURED, headline, threshold_percent
from audits.models import Cycle
from worker.report_pdf.blocks import (
    Column,
    code_block,
    command_lines,
    facts_table,
    field,
    mono,
    number,
    para,
    records_table,
)
from worker.report_pdf.styles import H1, H2, LABEL, LEAD
from worker.report_pdf.words import (
    as_count,
    as_date,
    as_datetime,
    as_text,
    as_yes_no,
    case_type_text,
    records,
    section,
    staff_names,
    stratum_text,
    team_names,
)

FRAME_LABELS = {
    "case_types": "Kinds of case",
    "teams": "Teams",
    "open_on": "Cases open on",
    "exclude_audited_months": "Left out if audited within (months)",
    "exclude_closed_before_period": "Left out if closed before the period",
    "stratify_by": "Sample drawn separately by",
}


def _stratum_columns(teams: Mapping[str, str]) -> list[Column]:
    return [
        Column("Stratum", 25, lambda row: stratum_text(row.get("stratum"), teams)),
        number("Cases in frame", 15, "population"),
        number("Planned", 12, "planned"),
        number("Drawn", 12, "drawn"),
        number("Replaced", 12, "replacements"),
        number("In sample", 12, "in_sample"),
        number("Completed", 12, "completed"),
    ]


def _replacement_columns(teams: Mapping[str, str]) -> list[Column]:
    return [
        Column("Case", 13, field("case_ref")),
        Column("Stratum", 11, lambda row: stratum_text(row.get("stratum"), teams)),
        Column("Rank", 7, field("rank")),
        Column("Why it was replaced", 55, field("reason")),
        Column("Replaced by", 14, field("replaced_by")),
    ]


RULE_COLUMNS = [
    Column("Rule and what it requires", 82, field("text")),
    Column("This cycle", 18, lambda r: "Applied" if r.get("enabled") else "Switched off"),
]
UNASSIGNABLE_COLUMNS = [
    Column("Case", 20, field("case_ref")),
    Column("Why no auditor could take it", 80, lambda u: _in_words(u, "reasons_in_words", "rules")),
]


def _in_words(row: Mapping, words: str, codes: str) -> str:
    """The rules or reasons of a row in words, or their codes in a report from before the
    figures carried the words."""
    listed = row.get(words) if isinstance(row.get(words), list) else row.get(codes)
    return "; ".join(map(str, listed)) if isinstance(listed, list) else as_text(listed)


def _override_columns(names: Mapping[str, str]) -> list[Column]:
    def auditor(row: Mapping) -> str:
        return names.get(str(row.get("auditor")), as_text(row.get("auditor")))

    def rules(row: Mapping) -> str:
        return _in_words(row, "rules_in_words", "rule") or "None: no rule blocked the auditor"

    return [
        Column("Case", 12, field("case_ref")),
        Column("Auditor", 17, auditor),
        Column("Rule set aside", 30, rules),
        Column("Reason", 27, field("reason")),
        Column("Agreed by", 14, lambda row: row.get("agreed_by") or "Not recorded"),
    ]


def _frame_value(key: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        words = case_type_text if key == "case_types" else str
        return ", ".join(map(words, value)) if value else "all"
    if key == "stratify_by" and value in Cycle.Stratify.values:
        return Cycle.Stratify(value).label
    if isinstance(value, bool):
        return as_yes_no(value)
    return as_date(value) if key == "open_on" else as_text(value).replace("_", " ")


def methodology(figures: Mapping, names: Mapping[str, str] | None = None) -> list:
    method = section(figures, "methodology")
    definition = section(method, "frame_definition")
    exclusions = [
        {"reason": str(reason).capitalize(), "cases": cases}
        for reason, cases in section(method, "exclusions").items()
    ]
    left_out = {"reason": "Total left out", "cases": sum(e["cases"] or 0 for e in exclusions)}
    frame = [
        (FRAME_LABELS.get(key, key.replace("_", " ").capitalize()), _frame_value(key, value))
        for key, value in definition.items()
    ]
    strata = records(method, "strata")
    totals = {"stratum": "Total"} | {
        key: sum(s.get(key) or 0 for s in strata)
        for key in ("population", "planned", "drawn", "replacements", "in_sample", "completed")
    }
    done = headline(dict(figures))["completion"]
    teams = team_names(figures)
    return [
        para("Methodology", H1),
        para("The sampling frame", H2),
        para(
            "The frame is every case that met the cycle's definition when the sample was "
            "drawn, less the cases left out for the reasons below."
        ),
        facts_table(frame) if frame else para("The frame definition was not recorded."),
        facts_table([("Cases in the frame (N)", as_count(method.get("population")))]),
        Spacer(1, 6),
        *records_table(
            exclusions,
            [Column("Reason left out", 80, field("reason")), number("Cases", 20, "cases")],
            "No cases were left out of the frame.",
            total=left_out,
        ),
        para("The draw", H2),
        facts_table(
            [
                ("Frame hash (SHA-256)", mono(as_text(method.get("frame_hash")), size=7)),
                *_seed_facts(method),
                ("Selection method", as_text(method.get("algorithm"))),
                ("Drawn by", as_text(method.get("drawn_by"))),
                ("Drawn at", as_datetime(method.get("drawn_at"))),
                ("Sample size set by", as_text(method.get("sample_size_method"))),
                ("Shared between kinds of case", as_text(method.get("allocation_method"))),
            ]
        ),
        para("Cases planned and drawn by stratum", H2),
        *records_table(strata, _stratum_columns(teams), "No strata were recorded.", total=totals),
        para("Replacements", H2),
        para(
            "A case unsuitable for audit is replaced by the next case in its stratum's order.", LEAD
        ),
        *records_table(
            records(method, "replacements"), _replacement_columns(teams), "No case was replaced."
        ),
        para("Independence of auditors", H2),
        para(
            "Each case went to an auditor who passed every rule switched on for this cycle.", LEAD
        ),
        *records_table(records(method, "rules"), RULE_COLUMNS, "No rules were recorded."),
        para("Rules set aside by a manager, with the reason recorded", LABEL),
        *records_table(
            records(method, "overrides"),
            _override_columns(staff_names(figures) if names is None else names),
            "No rule was set aside.",
        ),
        para("Cases no eligible auditor could take", LABEL),
        *records_table(
            records(method, "unassignable"),
            UNASSIGNABLE_COLUMNS,
            "None: every sampled case had an eligible auditor.",
        ),
        para("Completion", H2),
        para(
            f"Completed first audits: {done}. The cases in the sample are those drawn less "
            "those replaced; follow-up audits are not counted."
            if done != NOT_MEASURED
            else "Not measured."
        ),
        *_thresholds(figures),
        *_verification(method),
        PageBreak(),
    ]


THRESHOLD_ROWS = [
    ("Substantial: lower end of the 95% interval for good or better at least", "substantial_lower"),
    ("Reasonable: lower end of the 95% interval at least", "reasonable_lower"),
    ("Limited: lower end of the 95% interval at least", "limited_lower"),
    ("Substantial: agreement between auditors (alpha), measured, at least", "substantial_alpha"),
    ("Caveat when alpha is below", "alpha_caveat"),
    ("Interim, with a caveat, when completion is below", "completion_caveat"),
    (
        "Above Limited only if strata with no completed audit hold less of the frame than",
        "unaudited_share_max",
    ),
    ("Agreement measured only with at least this many cases", "reliability_minimum"),
]


def _thresholds(figures: Mapping) -> list:
    thresholds = section(figures, "opinion", "thresholds")
    if not thresholds:
        return []

    def shown(key: str) -> str:
        value = thresholds.get(key)
        if not isinstance(value, int | float):
            return NOT_MEASURED
        if key == "reliability_minimum":
            return str(value)
        return f"{value:g}" if "alpha" in key else threshold_percent(value)

    return [
        para("Opinion thresholds used", H2),
        para(
            "The organisation's thresholds when this report was compiled. Each is compared "
            "with the unrounded figure; the report rounds only to print.",
            LEAD,
        ),
        facts_table([(label, shown(key)) for label, key in THRESHOLD_ROWS]),
    ]


def _seed_facts(method: Mapping) -> list[tuple]:
    """The seed and the parts it was derived from, and any other draw over the same cases."""
    parts = method.get("seed_parts") or {}
    facts = []
    if parts.get("server_random"):
        facts += [
            ("Frame frozen at", as_datetime(parts.get("frozen_at"))),
            ("Random part from the server", mono(as_text(parts["server_random"]), size=7)),
            ("Witness input", as_text(parts.get("witness_input") or "None given")),
            ("Seed", mono(as_text(method.get("seed")), size=7)),
            ("Seed derived as", as_text(parts.get("seed_algorithm"))),
        ]
    else:
        facts.append(("Seed (typed at the draw)", mono(as_text(method.get("seed")))))
    others = method.get("overlapping_draws") or []
    facts.append(
        (
            "Other draws over the same period and teams",
            as_text(
                "; ".join(
                    f"{o['name']} (cycle {o['id']}, drawn {o['drawn_at'][:10]})" for o in others
                )
                or "None"
            ),
        )
    )
    return facts


def _verification(method: Mapping) -> list:
    command, script = method.get("verify_command"), method.get("verify_script")
    return [
        para("Re-checking the sample", H2),
        para(
            "Anyone with Python 3 can re-check this sample without CaseAssure. Download the "
            "cycle's frame file and its sample on record, save the script below as "
            "verify_sample.py and run the command in the same folder. The script recomputes "
            "the frame hash, the seed from its parts and the cases drawn in each stratum, "
            "compares each with the values in the command and the sample on record "
            "(including any case later replaced), prints what differs and ends with an "
            "error status on any difference."
        ),
        para("The command:", LABEL),
        code_block(command_lines(command)) if command else para("No command was recorded."),
        para("The script, verify_sample.py:", LABEL),
        code_block(script) if script else para("No script was recorded."),
    ]
