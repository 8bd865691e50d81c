"""Codes in words on every page: case types, strata, roles and the independence rules, from
the one place that words them (audits/core/display.py, audits/core/rules.py)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from audits.core import display, rules

register = template.Library()


@register.filter
def case_type(code) -> str:
    """'care_leaver' -> 'Care leaver'."""
    return "" if code in (None, "") else display.case_type_words(str(code))


@register.filter
def stratum(label, team_names=None) -> str:
    """'assessment-north/cp' -> 'Assessment North, child protection'. Pass the page's
    ``stratum_teams`` (audits.web.words) for the teams' names as written."""
    return "" if label in (None, "") else display.stratum_words(str(label), team_names)


@register.filter
def role(code) -> str:
    """'second' -> 'Second (blind) auditor', 'internal_auditor' -> 'Internal audit'."""
    return "" if code in (None, "") else display.role_words(str(code))


@register.filter
def rule(code) -> str:
    """'R1' -> 'R1', an en dash, 'the auditor must not work in the case's current team';
    a reason that is not a rule ('capacity') in its own words."""
    return rules.reason_words(str(code))


@register.filter
def join_options(values) -> str:
    """A datalist's suggestions, ``<option value="...">`` each, escaped: hundreds of them
    without a template loop per option."""
    # html.escape, as Django's escape does, without its per-call wrappers (500 options).
    return mark_safe(  # noqa: S308 - every value is escaped here
        "".join(f'<option value="{escape(str(value))}"></option>' for value in values)
    )
