"""External reviewers, the pure part: when a grant is open, what its state is called, and
the draw of a case records review.

A review's cases are drawn from the cycle's sample by the sample's own rule
(``core/sampling.py``): the frame is the sample's case refs, in one stratum, hashed as any
frame; the seed is ``sampling.seed_from_parts`` over that hash and fresh server bits; the
``n`` cases with the smallest ``sha256(f"{seed}:{case_ref}")`` are the review, in key order.
Anyone holding the recorded refs, hash, server bits and seed re-checks it with
``recheck_review`` (or ``verify_sample.py``, stratum ``review``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from audits.core import sampling

REVIEW_STRATUM = "review"
MAX_DAYS = 92  # a review or an inspection lasts weeks, never a standing account

NOT_YET = "not_yet"
OPEN = "open"
ENDED = "ended"
REVOKED = "revoked"
STATE_WORDS = {
    NOT_YET: "Not started yet",
    OPEN: "Open",
    ENDED: "Ended",
    REVOKED: "Withdrawn",
}


def state(*, starts_on: date, ends_on: date, revoked: bool, today: date) -> str:
    """The grant's state on ``today``: access is open from ``starts_on`` to ``ends_on``
    inclusive, unless withdrawn."""
    if revoked:
        return REVOKED
    if today < starts_on:
        return NOT_YET
    if today > ends_on:
        return ENDED
    return OPEN


def date_problems(*, starts_on: date, ends_on: date, today: date, changing: bool) -> dict:
    """Field errors for a grant's dates (empty when they are good)."""
    problems: dict[str, list[str]] = {}
    if ends_on < starts_on:
        problems["ends_on"] = ["The last day of access must be on or after the first day."]
    elif (ends_on - starts_on).days + 1 > MAX_DAYS:
        problems["ends_on"] = [f"Access can last at most {MAX_DAYS} days."]
    if ends_on < today:
        problems.setdefault("ends_on", []).append("The last day of access must not be past.")
    if not changing and starts_on < today:
        problems["starts_on"] = ["The first day of access must be today or later."]
    return problems


@dataclass(frozen=True, slots=True)
class ReviewDraw:
    frame_refs: list[str]
    frame_hash: str
    server_random: str
    seed: str
    selected: list[sampling.Selected]


def _frame(case_refs: Iterable[str]) -> list[tuple[str, str]]:
    return [(ref, REVIEW_STRATUM) for ref in sorted(case_refs)]


def draw_review(case_refs: Iterable[str], *, size: int, server_random: str) -> ReviewDraw:
    """Draw ``size`` cases of ``case_refs`` (the cycle's sample). Raises SamplingError for a
    size below 1 or above the sample, or a malformed frame."""
    frame = _frame(case_refs)
    if not 1 <= size <= len(frame):
        raise sampling.SamplingError(f"the review must hold between 1 and {len(frame)} cases")
    frame_hash = sampling.frame_hash(frame)
    seed = sampling.seed_from_parts(
        frame_hash=frame_hash, server_random=server_random, witness_input=""
    )
    selected = sampling.draw(frame, allocation={REVIEW_STRATUM: size}, seed=seed)[REVIEW_STRATUM]
    return ReviewDraw([ref for ref, _ in frame], frame_hash, server_random, seed, selected)


def recheck_review(
    *, frame_refs: list[str], frame_hash: str, server_random: str, seed: str, drawn: list[str]
) -> sampling.Verification:
    """Recompute a recorded review: frame hash, seed from its parts, and the drawn refs in
    rank order."""
    return sampling.verify(
        _frame(frame_refs),
        seed=seed,
        recorded={REVIEW_STRATUM: list(drawn)},
        recorded_frame_hash=frame_hash,
        server_random=server_random,
        witness_input="",
    )
