"""Text written to a CSV that council staff open in Excel, which runs a cell starting with
= + - or @ (or a tab or carriage return) as a formula: such text gets an apostrophe first,
the usual guard against formula injection. Numbers are written as numbers."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
