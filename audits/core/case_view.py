"""What an auditor is shown of a case while grading it, in words: the case type, an age
band from the birth year (never a date of birth), and who held the case when. Pure."""

from datetime import date

from audits.core.display import case_type_words

__all__ = ["age_band", "case_type_words", "role_words"]

# The age bands of the Department for Education's children's social care statistics.
AGE_BANDS = (
    (0, 0, "under 1"),
    (1, 4, "1 to 4"),
    (5, 9, "5 to 9"),
    (10, 15, "10 to 15"),
    (16, 17, "16 to 17"),
    (18, 200, "18 and over"),
)
ROLE_WORDS = {"worker": "Allocated worker", "manager": "Team manager"}


def _band(age: int) -> str:
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def age_band(birth_year: int | None, today: date) -> str:
    """The child's age band today from the year of birth alone. Without the day, the age is
    one of two (the birthday may not have come yet): when they fall in two bands, both are
    named ("1 to 4 or 5 to 9") rather than guessing."""
    if birth_year is None or birth_year > today.year:
        return "Not recorded"
    oldest = today.year - birth_year
    youngest = max(oldest - 1, 0)
    bands = dict.fromkeys((_band(youngest), _band(oldest)))
    return "Aged " + " or ".join(bands)


def role_words(role: str) -> str:
    return ROLE_WORDS.get(role, role.capitalize())
