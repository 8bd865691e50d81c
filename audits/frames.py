"""Reading a cycle's frame from the register: which cases, in which stratum, and why others
were left out. Selection runs in PostgreSQL when the database is PostgreSQL.
"""

from collections.abc import Iterator
from datetime import date

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.text import slugify

from audits.models import Case, Cycle, SampledCase, Team
from audits.sampling import Selected

EXCLUDED_CLOSED = "closed before the period"
EXCLUDED_RECENT = "audited in the last {months} months"
ALL_CASES = "all"


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def team_labels() -> dict[int, str]:
    """A readable, comma-free stratum label per team (its name as a slug, made unique)."""
    labels: dict[int, str] = {}
    used: set[str] = set()
    for team_id, name in Team.objects.order_by("id").values_list("id", "name"):
        label = slugify(name) or f"team-{team_id}"
        if label in used:
            label = f"{label}-{team_id}"
        used.add(label)
        labels[team_id] = label
    return labels


def stratum_of(stratify_by: str, team_label: str, case_type: str) -> str:
    if stratify_by == Cycle.Stratify.TEAM:
        return team_label
    if stratify_by == Cycle.Stratify.CASE_TYPE:
        return case_type
    if stratify_by == Cycle.Stratify.TEAM_CASE_TYPE:
        return f"{team_label}/{case_type}"
    return ALL_CASES


def _candidates(cycle: Cycle) -> QuerySet[Case]:
    cases = Case.objects.filter(opened_on__lte=cycle.frame_open_on)
    if cycle.case_types:
        cases = cases.filter(case_type__in=cycle.case_types)
    team_ids = list(cycle.teams.values_list("id", flat=True))
    if team_ids:
        cases = cases.filter(team_id__in=team_ids)
    return cases


def _exclusion_rules(cycle: Cycle) -> list[tuple[str, Q]]:
    rules = []
    if cycle.exclude_closed_before_period:
        rules.append((EXCLUDED_CLOSED, Q(closed_on__lt=cycle.period_start)))
    if cycle.exclude_audited_months:
        cutoff = months_before(cycle.period_start, cycle.exclude_audited_months)
        recent = SampledCase.objects.filter(
            status=SampledCase.Status.SELECTED, cycle__period_end__gte=cutoff
        ).exclude(cycle=cycle)
        rules.append(
            (
                EXCLUDED_RECENT.format(months=cycle.exclude_audited_months),
                Q(pk__in=recent.values("case_id")),
            )
        )
    return rules


def frame_cases(cycle: Cycle) -> QuerySet[Case]:
    cases = _candidates(cycle)
    for _, rule in _exclusion_rules(cycle):
        cases = cases.exclude(rule)
    return cases


def exclusions(cycle: Cycle) -> Iterator[tuple[str, str]]:
    """(case_ref, reason) for every candidate left out; each case under its first reason."""
    earlier = Q(pk__in=[])
    for reason, rule in _exclusion_rules(cycle):
        for case_ref in (
            _candidates(cycle)
            .filter(rule)
            .exclude(earlier)
            .order_by("case_ref")
            .values_list("case_ref", flat=True)
            .iterator(chunk_size=5000)
        ):
            yield case_ref, reason
        earlier |= rule


def strata_sizes(cycle: Cycle) -> dict[str, int]:
    labels = team_labels()
    sizes: dict[str, int] = {}
    grouped = frame_cases(cycle).values("team_id", "case_type").annotate(n=Count("id")).order_by()
    for row in grouped:
        stratum = stratum_of(cycle.stratify_by, labels[row["team_id"]], row["case_type"])
        sizes[stratum] = sizes.get(stratum, 0) + row["n"]
    return dict(sorted(sizes.items()))


def frame_rows(cycle: Cycle) -> Iterator[tuple[str, str]]:
    labels = team_labels()
    rows = frame_cases(cycle).values_list("case_ref", "team_id", "case_type").order_by()
    for case_ref, team_id, case_type in rows.iterator(chunk_size=10_000):
        yield case_ref, stratum_of(cycle.stratify_by, labels[team_id], case_type)


def _stratum_sql(stratify_by: str) -> str:
    return {
        Cycle.Stratify.TEAM: "t.team_label",
        Cycle.Stratify.CASE_TYPE: "f.case_type",
        Cycle.Stratify.TEAM_CASE_TYPE: "t.team_label || '/' || f.case_type",
    }.get(stratify_by, f"'{ALL_CASES}'")


def select_in_database(
    cycle: Cycle, allocation: dict[str, int], seed: str
) -> dict[str, list[Selected]]:
    """The same rule as sampling.draw, run inside PostgreSQL: per stratum the n_h smallest
    sha256("seed:case_ref") hex keys, compared byte-wise (COLLATE "C"), in key order."""
    if connection.vendor != "postgresql":
        raise RuntimeError("select_in_database needs PostgreSQL")
    wanted = {stratum: n for stratum, n in allocation.items() if n > 0}
    result: dict[str, list[Selected]] = {stratum: [] for stratum in allocation}
    if not wanted:
        return result
    inner_sql, inner_params = (
        frame_cases(cycle)
        .values("case_ref", "team_id", "case_type")
        .order_by()
        .query.sql_with_params()
    )
    labels = team_labels()
    team_values = ", ".join(["(%s, %s)"] * len(labels))
    allocation_values = ", ".join(["(%s, %s)"] * len(wanted))
    sql = f"""
        WITH f AS ({inner_sql}),
        labelled AS (
            SELECT f.case_ref, {_stratum_sql(cycle.stratify_by)} AS stratum
            FROM f JOIN (VALUES {team_values}) AS t(team_id, team_label) ON t.team_id = f.team_id
        ),
        keyed AS (
            SELECT case_ref, stratum,
                   encode(sha256(convert_to(%s || ':' || case_ref, 'UTF8')), 'hex') AS selection_key
            FROM labelled
        ),
        ranked AS (
            SELECT case_ref, stratum, selection_key, row_number() OVER (
                       PARTITION BY stratum ORDER BY selection_key COLLATE "C") AS rank
            FROM keyed
        )
        SELECT r.case_ref, r.stratum, r.rank, r.selection_key
        FROM ranked r JOIN (VALUES {allocation_values}) AS a(stratum, n) ON a.stratum = r.stratum
        WHERE r.rank <= a.n
        ORDER BY r.stratum, r.rank
    """  # noqa: S608 - only placeholders and fixed fragments are interpolated
    params = [*inner_params]
    for team_id, label in labels.items():
        params += [team_id, label]
    params.append(seed)
    for stratum, n in wanted.items():
        params += [stratum, n]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for case_ref, stratum, rank, key in cursor.fetchall():
            result[stratum].append(
                Selected(case_ref=case_ref, stratum=stratum, rank=rank, selection_key=key)
            )
    return result
