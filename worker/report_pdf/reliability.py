"""Reliability of grading: moderation (kappa) and cases audited twice (alpha)."""

from collections.abc import Mapping

from reportlab.platypus import Spacer

from worker.report_pdf.blocks import (
    Column,
    bullets,
    facts_table,
    field,
    number,
    para,
    records_table,
)
from worker.report_pdf.styles import H1, H2, SMALL
from worker.report_pdf.words import as_count, as_decimal, section, with_rate


def _agreement(alpha: float | None) -> str:
    if alpha is None:
        return ""
    if alpha >= 0.8:
        return "Good agreement"
    return "Tentative agreement" if alpha >= 0.667 else "Low: read with caution"


ALPHA_COLUMNS = [
    Column("Area of practice", 55, field("domain")),
    number("Alpha", 12, "alpha", as_decimal),
    Column("Reading", 33, lambda d: _agreement(d.get("alpha"))),
]


def reliability(figures: Mapping) -> list:
    reliability = section(figures, "reliability")
    direction = section(reliability, "direction")
    by_domain = section(reliability, "alpha_by_domain")
    alphas = [{"domain": domain, "alpha": alpha} for domain, alpha in by_domain.items()]
    changed = with_rate(reliability.get("changed"), reliability.get("change_rate"))
    kappa, alpha = reliability.get("kappa_quadratic"), reliability.get("alpha_overall")
    return [
        para("Reliability of grading", H1),
        para("Moderation", H2),
        facts_table(
            [
                ("Audits moderated", as_count(reliability.get("moderated"))),
                ("Grade changed by the moderator", changed),
                ("Changed to a better grade", as_count(direction.get("up"))),
                ("Changed to a worse grade", as_count(direction.get("down"))),
                ("Agreement of auditor and moderator (weighted kappa)", as_decimal(kappa)),
            ]
        ),
        para(
            "Kappa is 1 when auditor and moderator always agree and 0 when they agree no more "
            "than chance would give; near misses (Good against Outstanding) count less than "
            "wide ones.",
            SMALL,
        ),
        para("Cases audited twice", H2),
        facts_table(
            [
                ("Cases audited twice, blind", as_count(reliability.get("double_audits"))),
                ("Agreement between auditors (Krippendorff's alpha)", as_decimal(alpha)),
            ]
        ),
        para("0.80 or more is good agreement; below 0.667 read grades with caution.", SMALL),
        *records_table(alphas, ALPHA_COLUMNS, "Agreement by area of practice was not measured."),
        Spacer(1, 4),
        *bullets(reliability.get("notes"), ""),
    ]


def reconciliation(figures: Mapping) -> list:
    """Double audits whose two blind audits disagreed, and what became of them."""
    found = section(figures, "reconciliation")
    if not found:
        return []
    return [
        para("Reconciling double audits", H2),
        facts_table(
            [
                (
                    "Cases audited twice, both audits completed",
                    as_count(found.get("double_audits")),
                ),
                ("Auditors gave the same grades", as_count(found.get("agreed_at_once"))),
                ("A grade or more apart (overall or an area)", as_count(found.get("disagreed"))),
                ("Agreed grades recorded by a moderator", as_count(found.get("reconciled"))),
                ("Still waiting for agreed grades", as_count(found.get("open"))),
            ]
        ),
        para(
            "Alpha above uses each auditor's own grades. The findings count the agreed grades "
            "of a reconciled case; a case still waiting counts its first audit's grades.",
            SMALL,
        ),
    ]
