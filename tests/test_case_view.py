"""What an auditor sees of a case while grading: words for the case type and an age band
from the birth year alone -- never more precise than the facts allow."""

from datetime import date

from audits.core.case_view import age_band, case_type_words, role_words

TODAY = date(2026, 12, 2)


def test_case_types_read_as_words():
    assert case_type_words("cp") == "Child protection"
    assert case_type_words("cla") == "Child looked after"
    assert case_type_words("private_fostering") == "Private fostering"  # added by settings
    assert role_words("worker") == "Allocated worker"


def test_an_age_band_never_guesses_the_birthday():
    assert age_band(2019, TODAY) == "Aged 5 to 9"  # 6 or 7: one band
    assert age_band(2021, TODAY) == "Aged 1 to 4 or 5 to 9"  # 4 or 5: both named
    assert age_band(2026, TODAY) == "Aged under 1"
    assert age_band(2025, TODAY) == "Aged under 1 or 1 to 4"
    assert age_band(2008, TODAY) == "Aged 16 to 17 or 18 and over"
    assert age_band(None, TODAY) == "Not recorded"
    assert age_band(2030, TODAY) == "Not recorded"  # a birth year in the future is not an age
