"""Figures on pages rounded the one way the PDF rounds them (audits/core/display.py)."""

from django import template

from audits.core import display

register = template.Library()


@register.filter
def percent(value, places=1):
    """0.2134 -> "21.3%"; None -> "not measured"."""
    return display.percent(value, int(places))
