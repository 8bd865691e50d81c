"""Planning, drawing, extending and replacing a cycle's sample (its record, read and
re-checked, is in ``audits/selectors/sample_record.py``).

Nobody picks or drops a case by hand: every case in a sample is there because of its rank
under the seed, and a replaced case stays on the record next to its replacement.
"""

from django.db import OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from audits.core import reserve, sampling, stats
from audits.core.errors import DomainError, StateConflict
from audits.infra import files
from audits.models import Cycle, Event, FollowUp, Frame, SampledCase
from audits.models.cycles import DEFAULT_MINIMUM_PER_STRATUM
from audits.selectors import frames, snapshot
from audits.selectors.sample_record import FRAMES, next_ranks, overlapping_draws
from audits.services import lifecycle
from audits.services.audit_window import cycle_window_from_draw
from audits.services.frame_exclusions import write_exclusions_file
from audits.services.history import event_record
from audits.services.sample_selection import save_selection, store_selection

FOLLOW_UP_STRATUM = "follow-up"
SERIALIZATION_FAILURE = "40001"
DRAWN_STATES = (Cycle.Status.SAMPLED, Cycle.Status.ASSIGNED, Cycle.Status.IN_PROGRESS)


def planned_size(plan: dict, population: int) -> int:
    """Sample size from the cycle's plan, never more than the frame holds."""
    method = plan.get("method", "fixed")
    try:
        if method == "fixed":
            n = int(plan["n"])
        elif method == "estimation":
            n = stats.estimation_sample_size(
                plan["margin"],
                confidence=plan.get("confidence", 0.95),
                p=plan.get("p", 0.5),
                population=population or None,
            )
        elif method == "attribute":
            n = stats.attribute_sample_size(
                plan.get("confidence", 0.95),
                plan["tolerable_rate"],
                plan["expected_rate"],
                population=population or None,
            )
        else:
            raise DomainError("Unknown sampling method.", fields={"plan": [f"method {method!r}"]})
    except KeyError as missing:
        raise DomainError(
            "The plan is incomplete.", fields={"plan": [f"needs {missing}"]}
        ) from None
    except ValueError as error:
        raise DomainError("The plan cannot be met.", fields={"plan": [str(error)]}) from None
    return min(n, population)


def cycle_plan(*, cycle: Cycle) -> dict:
    """What a draw would take now: N per stratum, n from the plan, and its allocation."""
    sizes = frames.strata_sizes(cycle)
    population = sum(sizes.values())
    n = planned_size(cycle.plan, population)
    try:
        allocation = (
            stats.allocate(
                sizes,
                n,
                method=cycle.plan.get("allocation", "proportional"),
                minimum=int(cycle.plan.get("minimum", DEFAULT_MINIMUM_PER_STRATUM)),
                sd=cycle.plan.get("sd"),
            )
            if sizes
            else {}
        )
    except ValueError as error:
        raise DomainError("The allocation cannot be met.", fields={"plan": [str(error)]}) from None
    return {
        "population": population,
        "strata": sizes,
        "sample_size": n,
        "allocation": allocation,
        "method": cycle.plan.get("method", "fixed"),
        "allocation_method": cycle.plan.get("allocation", "proportional"),
    }


def sample_draw(*, cycle: Cycle, actor, witness_input: str | None = "") -> Frame:
    """Draw the sample once, by commit then reveal: freeze the frame and record its hash,
    only then read fresh bits from the server's secure generator, derive the seed from the
    frame hash, those bits and the witness input, select by rank and record every part.

    Nobody supplies the seed: the witness input (for example dice rolled in front of
    witnesses) is one public part of it, entered before the server's bits exist.
    """
    try:
        witness_input = sampling.clean_witness_input(witness_input)
    except sampling.SamplingError as error:
        raise DomainError(
            "The witness input is not valid.", fields={"witness_input": [str(error)]}
        ) from None
    try:
        return _draw(cycle, actor, witness_input)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == SERIALIZATION_FAILURE:
            raise StateConflict(
                "The cycle changed while its sample was being drawn; reload it."
            ) from None
        raise


def _planned(cycle: Cycle) -> dict:
    plan = cycle_plan(cycle=cycle)
    if plan["population"] == 0:
        raise DomainError("The frame is empty: no case matches the cycle's definition.")
    return plan


def _freeze(cycle: Cycle, actor, frame_hash: str, population: int) -> Event:
    """Record the frozen frame's hash, with the time, before any seed exists."""
    return event_record(
        actor=actor,
        verb="sample.frame_frozen",
        obj=cycle,
        after={"frame_hash": frame_hash, "population": population},
    )


def _draw(cycle: Cycle, actor, witness_input: str) -> Frame:
    in_postgresql = connection.vendor == "postgresql"
    with snapshot.one_snapshot():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.status != Cycle.Status.PLANNED or Frame.objects.filter(cycle=cycle).exists():
            raise StateConflict("This cycle's sample has already been drawn; it cannot be redrawn.")
        # Names in the frames storage; each file is stored whole (files.store) and its
        # SHA-256 kept on the row, checked whenever it is read back.
        frame_name = f"cycle-{cycle.pk}-frame.csv.gz"
        exclusions_name = f"cycle-{cycle.pk}-exclusions.csv.gz"
        try:
            if in_postgresql:
                # The strata sizes read; the exclusions file and then the frame streamed to
                # their files (and hashed) in blocks of lines built in the database; then,
                # with the seed known, the selection in the database by the same SHA-256
                # rule.
                # All on this connection, one statement after another: a second connection
                # reading the sizes and exclusions meanwhile (snapshot.in_parallel) saved
                # nothing on this shared 2-core machine (bench/sampling.py's register,
                # 1,000,000 cases, 6 draws each way interleaved: best 1.54 s with it and
                # 1.52 s without, median 2.34 and 2.43 s), nor did a second connection
                # streaming the frame in an earlier session.
                plan = _planned(cycle)
                exclusion_counts, exclusions_sha256 = write_exclusions_file(cycle, exclusions_name)
                connection.ensure_connection()
                lines_sql, lines_params = frames.frame_lines_sql(cycle)
                blocks = frames.frame_line_blocks(connection.connection, lines_sql, lines_params)
                frame_hash, frame_sha256 = files.store(
                    FRAMES, frame_name, lambda out: sampling.write_frame_blocks(blocks, out)
                )
                frozen = _freeze(cycle, actor, frame_hash, plan["population"])
                seed_parts = _seed_parts(frame_hash, witness_input)
                drawn = frames.select_in_database(
                    cycle,
                    reserve.with_reserve(plan["allocation"], plan["strata"]),
                    seed_parts["seed"],
                    plan["strata"],
                )
                path = "postgresql"
            else:
                plan = _planned(cycle)
                rows = list(frames.frame_rows(cycle))
                frame_hash, frame_sha256 = files.store(
                    FRAMES, frame_name, lambda out: sampling.write_frame_csv(rows, out)
                )
                frozen = _freeze(cycle, actor, frame_hash, plan["population"])
                seed_parts = _seed_parts(frame_hash, witness_input)
                wanted = reserve.with_reserve(plan["allocation"], plan["strata"])
                drawn = sampling.draw(rows, allocation=wanted, seed=seed_parts["seed"])
                exclusion_counts, exclusions_sha256 = write_exclusions_file(cycle, exclusions_name)
                path = "python"
        except BaseException:
            files.delete_quietly(FRAMES, frame_name)
            files.delete_quietly(FRAMES, exclusions_name)
            raise
        allocation = plan["allocation"]
        drawn, reserved = reserve.split_reserve(drawn, allocation)
        frame = Frame.objects.create(
            cycle=cycle,
            **seed_parts,
            seed_algorithm=sampling.SEED_ALGORITHM,
            frozen_at=frozen.at,
            frame_hash=frame_hash,
            size=plan["population"],
            strata_sizes=plan["strata"],
            allocation=allocation,
            exclusion_counts=exclusion_counts,
            reserve=reserved,
            frame_file=frame_name,
            exclusions_file=exclusions_name,
            file_hashes={"frame": frame_sha256, "exclusions": exclusions_sha256},
            algorithm=sampling.ALGORITHM_NAME,
            algorithm_version=sampling.ALGORITHM_VERSION,
            selection_path=path,
            drawn_by=actor,
        )
        selected = [item for stratum in drawn.values() for item in stratum]
        store_selection(cycle, selected)
        follow_ups = _include_follow_ups(cycle, {item.case_ref for item in selected})
        cycle.status = Cycle.Status.SAMPLED
        cycle.save(update_fields=["status"])
        cycle_window_from_draw(cycle=cycle, drawn_on=timezone.localdate(frame.drawn_at))
        overlapping = [row["id"] for row in overlapping_draws(cycle=cycle)]
        event_record(
            actor=actor,
            verb="sample.drawn",
            obj=cycle,
            before={"status": Cycle.Status.PLANNED},
            after={
                "status": cycle.status,
                "audit_opens_on": cycle.audit_opens_on,
                "audit_due_date": cycle.audit_due_date,
                **seed_parts,
                "seed_algorithm": sampling.SEED_ALGORITHM,
                "frame_hash": frame_hash,
                "frozen_at": frozen.at.isoformat(),
                "population": plan["population"],
                "allocation": allocation,
                "exclusions": exclusion_counts,
                "algorithm": f"{sampling.ALGORITHM_NAME} v{sampling.ALGORITHM_VERSION}",
                "selection_path": path,
                "selected": len(selected),
                "follow_ups": follow_ups,
                "overlapping_cycles": overlapping,
            },
        )
    return frame


def _seed_parts(frame_hash: str, witness_input: str) -> dict[str, str]:
    """The seed and its parts. The server's bits are read here, after the frame hash is
    recorded, and never before: nobody could have tried seeds against this frame."""
    server_random = sampling.new_server_random()
    seed = sampling.seed_from_parts(
        frame_hash=frame_hash, server_random=server_random, witness_input=witness_input
    )
    return {"seed": seed, "server_random": server_random, "witness_input": witness_input}


def _include_follow_ups(cycle: Cycle, drawn_refs: set[str]) -> list[str]:
    """Cases put forward for a follow-up audit join this cycle outside the random sample
    (no rank, reported apart). A case the draw already picked is audited once, as sampled."""
    waiting = FollowUp.objects.filter(included_in__isnull=True).select_related("case")
    team_ids = set(cycle.teams.values_list("id", flat=True))
    included = []
    for follow_up in waiting:
        case = follow_up.case
        if team_ids and case.team_id not in team_ids:
            continue
        if case.case_ref not in drawn_refs:
            SampledCase.objects.create(
                cycle=cycle,
                case=case,
                stratum=FOLLOW_UP_STRATUM,
                rank=0,
                selection_key="",
                is_follow_up=True,
            )
        follow_up.included_in = cycle
        follow_up.save(update_fields=["included_in"])
        included.append(case.case_ref)
    return included


def _locked_drawn_cycle(cycle_id: int) -> Cycle:
    cycle = Cycle.objects.select_for_update().get(pk=cycle_id)
    if cycle.status not in DRAWN_STATES:
        raise StateConflict(f"The sample cannot change while the cycle is {cycle.status}.")
    return cycle


def sample_extend(*, cycle: Cycle, actor, sizes: dict[str, int], reason: str) -> list[SampledCase]:
    """Raise n_h in some strata: the next ranks come in, nothing drawn changes. A larger
    sample changes what the report rests on, so the reason is asked and kept on the Event."""
    reason = (reason or "").strip()
    with transaction.atomic():
        cycle = _locked_drawn_cycle(cycle.pk)
        strata = cycle.frame.strata_sizes
        active = dict(
            SampledCase.objects.filter(
                cycle=cycle, is_follow_up=False, status=SampledCase.Status.SELECTED
            )
            .values_list("stratum")
            .annotate(n=Count("id"))
            .values_list("stratum", "n")
        )
        errors, extra = {}, {}
        for stratum, size in sizes.items():
            if stratum not in strata:
                errors[stratum] = ["no such stratum in this cycle's frame"]
            elif (
                not isinstance(size, int) or isinstance(size, bool) or size < active.get(stratum, 0)
            ):
                errors[stratum] = [f"must be a whole number of at least {active.get(stratum, 0)}"]
            else:
                extra[stratum] = size - active.get(stratum, 0)
        if not sizes:
            errors["sizes"] = ["required"]
        if not reason:
            errors["reason"] = ["say why the sample is extended"]
        if errors:
            raise DomainError("The extension is not valid.", fields=errors)
        added = save_selection(cycle, next_ranks(cycle, extra))
        event_record(
            actor=actor,
            verb="sample.extended",
            obj=cycle,
            before={"active": active},
            after={"sizes": sizes, "added": [s.case_id for s in added]},
            reason=reason,
        )
    return added


def sample_replace(*, sampled_case: SampledCase, actor, reason: str) -> SampledCase:
    """Replace an unsuitable case (reason required) with the next rank in its stratum."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required.", fields={"reason": ["required"]})
    with transaction.atomic():
        cycle = _locked_drawn_cycle(sampled_case.cycle_id)
        sampled_case = SampledCase.objects.select_for_update().get(pk=sampled_case.pk)
        if sampled_case.status != SampledCase.Status.SELECTED or sampled_case.is_follow_up:
            raise StateConflict("Only a selected case from the random sample can be replaced.")
        if sampled_case.assignments.exclude(audit__status="assigned").exists():
            raise StateConflict("An audit of this case has started; it cannot be replaced.")
        following = next_ranks(cycle, {sampled_case.stratum: 1})
        if not following:
            raise StateConflict(f"No cases are left in stratum {sampled_case.stratum!r}.")
        (replacement,) = save_selection(cycle, following)
        sampled_case.status = SampledCase.Status.REPLACED
        sampled_case.replaced_by = replacement
        sampled_case.replacement_reason = reason
        sampled_case.save(update_fields=["status", "replaced_by", "replacement_reason"])
        lifecycle.audits_withdraw(sampled_case=sampled_case, actor=actor, reason=reason)
        event_record(
            actor=actor,
            verb="sample.replaced",
            obj=sampled_case,
            before={"status": SampledCase.Status.SELECTED},
            after={
                "status": sampled_case.status,
                "replaced_by": replacement.pk,
                "rank": replacement.rank,
            },
            reason=reason,
        )
    return replacement
