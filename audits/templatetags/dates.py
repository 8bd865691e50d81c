"""``{% date_input name label data=... initial=... errors=... hint=... %}``: a date as three
boxes (day, month, year), GOV.UK style, for a DayMonthYearField (audits/web/dates.py)."""

from django import template

from audits.web.dates import PARTS, one_box

register = template.Library()


@register.inclusion_tag("audits/_date_input.html")
def date_input(name, label, data=None, initial=None, errors=None, hint="For example, 27 3 2026"):
    """What was typed (``data``: the POST or a dict of it) or else the ``initial`` date."""
    typed = {part: (data or {}).get(f"{name}_{part}") for part in PARTS}
    if not any(typed.values()) and data and data.get(name):  # one ISO date posted
        typed = dict(zip(PARTS, one_box(str(data.get(name))), strict=True))
    if not any(typed.values()) and initial:
        typed = {"day": initial.day, "month": initial.month, "year": initial.year}
    return {"name": name, "label": label, "hint": hint, "errors": errors or [], **typed}
