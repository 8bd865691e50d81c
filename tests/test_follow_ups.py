"""A case whose actions are done joins the next cycle as a follow-up audit, outside the
random sample and reported apart from it."""

from datetime import date

from audits.core import sampling
from audits.models import Case, Cycle, FollowUp, SampledCase
from audits.selectors import sample_record
from audits.services import sample


def test_a_follow_up_joins_the_next_draw_outside_the_random_sample(people, teams):
    cp = teams["Child Protection One"]
    for ref in range(1001, 1021):
        Case.objects.create(case_ref=str(ref), team=cp, case_type="cp", opened_on=date(2025, 1, 1))
    # Closed before the period: the random frame would exclude it, the follow-up does not.
    followed = Case.objects.create(
        case_ref="F1",
        team=cp,
        case_type="cp",
        opened_on=date(2025, 1, 1),
        closed_on=date(2025, 2, 1),
    )
    FollowUp.objects.create(
        case=followed, reason="Plan held?", requested_by=people["qa_lead_quinn"]
    )
    period = {"period_start": date(2025, 7, 1), "period_end": date(2025, 9, 30)}
    cycle = Cycle.objects.create(name="Q3", plan={"method": "fixed", "n": 5}, **period)
    frame = sample.sample_draw(cycle=cycle, actor=people["qa_lead_quinn"])
    random_part = SampledCase.objects.filter(cycle=cycle, is_follow_up=False)
    rows = list(sample_record.stored_frame_rows(frame))
    # The follow-up does not disturb the verifiable sample.
    assert list(random_part.values_list("case__case_ref", flat=True)) == [
        s.case_ref for s in sampling.draw(rows, allocation={"all": 5}, seed=frame.seed)["all"]
    ]
    follow_up = SampledCase.objects.get(cycle=cycle, is_follow_up=True)
    assert (follow_up.case, follow_up.stratum) == (followed, "follow-up")
    assert FollowUp.objects.get().included_in == cycle
    assert sample_record.sample_verify(cycle=cycle)["match"] is True
