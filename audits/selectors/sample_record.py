"""The sampling record, read: the stored frame, the drawn ranks, other draws over the same
period and teams, the seed's parts and the re-check of a sample (frame hash, seed and
selection recomputed from the stored frame) with the command that repeats it outside.

Only reads: the draw, extension and replacement that write a sample are in
``audits/services/sample.py``.
"""

import shlex

from audits.core import reserve, sampling
from audits.infra import files
from audits.models import Cycle, Frame, SampledCase

FRAMES = "frames"  # the named storage of frames and exclusion lists (settings.STORAGES)


def frame_open(frame: Frame, *, checked: bool = True):
    """The stored frame file (gzip CSV) open at its start; checked against the SHA-256 of
    the file taken at the draw unless ``checked`` is False (the re-check, which recomputes
    the frame hash of the lines itself and reports a difference instead of refusing)."""
    sha256 = frame.file_hashes.get("frame") if checked else None
    return files.open_checked(FRAMES, frame.frame_file, sha256, what="sampling frame")


def stored_frame_rows(frame: Frame, *, checked: bool = True):
    with frame_open(frame, checked=checked) as stream:
        yield from sampling.read_frame_csv(stream)


def drawn_ranks(cycle: Cycle) -> dict[str, list[str]]:
    """Per stratum, the refs of every drawn rank in rank order (replaced ones included)."""
    recorded: dict[str, list[str]] = {stratum: [] for stratum in cycle.frame.strata_sizes}
    rows = (
        SampledCase.objects.filter(cycle=cycle, is_follow_up=False)
        .order_by("stratum", "rank")
        .values_list("stratum", "case__case_ref")
    )
    for stratum, case_ref in rows:
        recorded.setdefault(stratum, []).append(case_ref)
    return recorded


def next_ranks(cycle: Cycle, extra: dict[str, int]) -> list[sampling.Selected]:
    """The next `extra[stratum]` ranks of each stratum after those drawn so far: from the
    reserve kept at the draw when it reaches that far (no frame read), else by re-hashing
    the stored frame once for the strata it does not cover. Both give the same cases: the
    reserve holds the very ranks the stored frame gives under the seed."""
    frame = cycle.frame
    drawn = {stratum: len(refs) for stratum, refs in drawn_ranks(cycle).items()}
    found, rest = [], {}
    for stratum, more in extra.items():
        if not more:
            continue
        kept = reserve.from_reserve(
            frame.reserve, frame.strata_sizes, stratum, drawn.get(stratum, 0), more
        )
        if kept is None:
            rest[stratum] = drawn.get(stratum, 0) + more
        else:
            found += kept
    if rest:
        selection = sampling.draw(stored_frame_rows(frame), allocation=rest, seed=frame.seed)
        found += [
            s
            for stratum, items in selection.items()
            for s in items
            if s.rank > drawn.get(stratum, 0)
        ]
    return found


def overlapping_draws(*, cycle: Cycle) -> list[dict]:
    """Other drawn cycles whose period overlaps this one's and whose teams overlap (a cycle
    with no teams listed covers every team): a second draw over the same cases is named,
    never hidden, wherever either sample is shown."""
    others = (
        Cycle.objects.filter(
            frame__isnull=False,
            period_start__lte=cycle.period_end,
            period_end__gte=cycle.period_start,
        )
        .exclude(pk=cycle.pk)
        # Only what is named: a cycle's assignment summary and its frame's reserve are tens
        # of kilobytes of JSON each on a big cycle.
        .select_related("frame")
        .only("name", "period_start", "period_end", "frame__drawn_at")
        .order_by("frame__drawn_at", "pk")
    )
    teams = {team.pk for team in cycle.teams.all()}  # prefetched or not
    if teams:  # a cycle of every team overlaps any other, whatever its teams
        others = others.prefetch_related("teams")
    overlapping = []
    for other in others:
        other_teams = {team.pk for team in other.teams.all()} if teams else set()
        if teams and other_teams and not teams & other_teams:
            continue
        overlapping.append(
            {
                "id": other.pk,
                "name": other.name,
                "period_start": other.period_start.isoformat(),
                "period_end": other.period_end.isoformat(),
                "drawn_at": other.frame.drawn_at.isoformat(),
            }
        )
    return overlapping


def sample_verify(*, cycle: Cycle) -> dict:
    """Recompute the frame hash, the seed from its parts and the selection from the stored
    frame; with the shell-safe command that re-checks it all outside CaseAssure."""
    frame = cycle.frame
    recorded = drawn_ranks(cycle)
    try:
        result = sampling.verify(
            stored_frame_rows(frame, checked=False),
            seed=frame.seed,
            recorded=recorded,
            recorded_frame_hash=frame.frame_hash,
            server_random=frame.server_random,
            witness_input=frame.witness_input,
        ).as_dict()
    except (OSError, sampling.SamplingError, EOFError, files.StoredFileUnreadable) as error:
        result = {
            "match": False,
            "error": f"the stored frame cannot be read: {error}",
            "strata": [],
        }
    result["seed"] = frame.seed
    result["seed_parts"] = seed_parts_of(frame)
    result["sample_file"] = sample_file_name(cycle)
    result["command"] = recheck_command(frame)
    result["script"] = sampling.verify_script_text()
    return result


def seed_parts_of(frame: Frame) -> dict:
    """What anyone needs to recompute the seed (blank parts: a seed typed at a draw made
    before seeds were derived, which cannot be recomputed)."""
    return {
        "frame_hash": frame.frame_hash,
        "server_random": frame.server_random,
        "witness_input": frame.witness_input,
        "seed_algorithm": frame.seed_algorithm,
        "frozen_at": frame.frozen_at.isoformat() if frame.frozen_at else None,
    }


def sample_file_name(cycle: Cycle) -> str:
    return f"cycle-{cycle.pk}-sample.csv"


def recheck_command(frame: Frame) -> str:
    """The command internal audit runs, every argument quoted for a POSIX shell (a typed
    seed of an old draw may hold anything; parts of new ones are hex and a narrow alphabet).
    Values follow ``=`` so one starting with a hyphen is never read as an option."""
    words = [
        "python3",
        "-I",
        "verify_sample.py",
        frame.frame_file,
        sample_file_name(frame.cycle),
        f"--frame-hash={frame.frame_hash}",
        f"--seed={frame.seed}",
    ]
    if frame.server_random:
        words += [
            f"--server-random={frame.server_random}",
            f"--witness-input={frame.witness_input}",
        ]
    return shlex.join(words)


def sample_csv(*, cycle: Cycle) -> str:
    """Every drawn rank of the random sample (replaced cases included, follow-ups not) as
    CSV ``stratum,rank,case_ref``: what verify_sample.py compares its selection with."""
    lines = ["stratum,rank,case_ref"]
    for stratum, refs in drawn_ranks(cycle).items():
        lines += [f"{stratum},{rank},{ref}" for rank, ref in enumerate(refs, start=1)]
    return "\n".join(lines) + "\n"
