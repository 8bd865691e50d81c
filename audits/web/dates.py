"""Dates on the pages as three boxes, day, month and year (the GOV.UK date input pattern),
with errors that say which part is missing or that the date is not real.

``DayMonthYearField(what="the start of the period")`` reads ``<name>_day``, ``<name>_month``
and ``<name>_year``; a form posted with one ISO date (``<name>=2026-03-31``: a script, an
older form) is read too. The ``{% date_input %}`` tag (templatetags/dates.py) draws the three
boxes with their labels; the day box carries the field's id, so an error summary's link lands
on it."""

from datetime import date

from django import forms

PARTS = ("day", "month", "year")


class DayMonthYearWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        widgets = {part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in PARTS}
        super().__init__(widgets, attrs)

    def decompress(self, value):
        return [value.day, value.month, value.year] if value else [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        whole = data.get(name)
        if not any(str(part or "").strip() for part in parts) and whole:
            return one_box(str(whole))
        return parts


def one_box(whole: str) -> list[str]:
    """A date typed in one box, 2026-03-31 or 31/03/2026, as its day, month and year."""
    whole = whole.strip()
    if "/" in whole:
        return [*whole.split("/"), "", "", ""][:3]
    try:
        day = date.fromisoformat(whole)
    except ValueError:
        return ["?", "?", "?"]  # not a date: said as "must be a real date"
    return [str(day.day), str(day.month), str(day.year)]


def _listed(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


class DayMonthYearField(forms.MultiValueField):
    """A date from three boxes. ``what`` names it in a sentence ("the due date")."""

    widget = DayMonthYearWidget

    def __init__(self, *, what: str, required: bool = True, **kwargs):
        self.what = what
        parts = tuple(forms.CharField(required=False) for _ in PARTS)
        super().__init__(parts, required=required, require_all_fields=False, **kwargs)

    def clean(self, value):
        parts = [str(part or "").strip() for part in (value or ["", "", ""])]
        subject = self.what[:1].upper() + self.what[1:]
        if not any(parts):
            if self.required:
                raise forms.ValidationError(f"Enter {self.what}", code="required")
            return None
        missing = [part for part, typed in zip(PARTS, parts, strict=True) if not typed]
        if missing:
            raise forms.ValidationError(
                f"{subject} must include a {_listed(missing)}", code="incomplete"
            )
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(f"{subject} must be a real date", code="invalid")
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise forms.ValidationError(
                f"The year of {self.what} must have 4 numbers, like 2026", code="invalid"
            )
        try:
            return date(year, month, day)
        except ValueError:
            raise forms.ValidationError(f"{subject} must be a real date", code="invalid") from None

    def compress(self, data_list):  # clean() does the work; kept for MultiValueField
        return data_list
