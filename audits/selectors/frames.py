"""Reading a cycle's frame from the register: which cases, in which stratum, and why others
were left out. Selection runs in PostgreSQL when the database is PostgreSQL.
"""

import math
from collections.abc import Iterator
from datetime import date
from itertools import islice

import psycopg
from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import Count, Q, QuerySet, Value, When
from django.utils.text import slugify

from audits.core.display import ALL_CASES
from audits.core.sampling import Selected
from audits.models import Case, Cycle, SampledCase, Team

EXCLUDED_CLOSED = "closed before the period"
EXCLUDED_RECENT = "audited in the last {months} months"


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def _labelled_teams() -> Iterator[tuple[int, str, str]]:
    used: set[str] = set()
    for team_id, name in Team.objects.order_by("id").values_list("id", "name"):
        label = slugify(name) or f"team-{team_id}"
        if label in used:
            label = f"{label}-{team_id}"
        used.add(label)
        yield team_id, name, label


def team_labels() -> dict[int, str]:
    """A readable, comma-free stratum label per team (its name as a slug, made unique)."""
    return {team_id: label for team_id, _name, label in _labelled_teams()}


def team_names_by_label() -> dict[str, str]:
    """Stratum label -> the team's name, for printing a stratum in words."""
    return {label: name for _team_id, name, label in _labelled_teams()}


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
    """(case_ref, reason) for every candidate left out; each case under its first reason,
    reason by reason in the rules' order, each reason's cases by case_ref. One read of the
    candidates whatever the number of rules, not one a rule. bench/sampling.py's register of
    1,000,000 cases (20,000 left out by two rules), this shared machine, best of 4: with the
    draw's settings (``snapshot.tune_for_large_reads``: no JIT, 64 MB work_mem) 0.21 s with
    a query a rule and 0.23 s so, the same; with the server's defaults 2.7 s and 0.32 s.
    At 100,000 cases the draw's phase took 0.09-0.17 s before and 0.05-0.08 s after."""
    rules = _exclusion_rules(cycle)
    if not rules:
        return
    left_out = (
        _candidates(cycle)
        .annotate(first_rule=_first_rule(rules))
        .filter(first_rule__isnull=False)
        .order_by("first_rule", "case_ref")
        .values_list("case_ref", "first_rule")
    )
    for case_ref, number in left_out.iterator(chunk_size=5000):
        yield case_ref, rules[number][0]


def _first_rule(rules: list[tuple[str, Q]]) -> SqlCase:
    """The number of a candidate's first exclusion rule, NULL for a case in the frame."""
    return SqlCase(*[When(rule, then=Value(n)) for n, (_, rule) in enumerate(rules)])


def exclusion_lines_sql(cycle: Cycle) -> tuple[str, list, list[str]] | None:
    """The exclusions file's lines ``case_ref,reason\\n`` as bytes, reason by reason in
    the rules' order, each reason's cases by case_ref in code point order, as in the frame
    (PostgreSQL), for ``frame_line_blocks``; with the reasons in the rules' order. None when
    no rule is on. One sort key, the rule's letter then the case_ref: sorted by (rule,
    case_ref), PostgreSQL cannot shorten the keys (only a leading key is) and took 1.73 s
    where this takes 0.90 s (bench/sampling.py's register of 1,000,000 cases with 800,000
    closed before the period, this shared machine). The lines alone, not their rule
    numbers too: a second column cost 0.5 s more to read there."""
    rules = _exclusion_rules(cycle)
    if not rules:
        return None
    inner_sql, inner_params = (
        _candidates(cycle)
        .annotate(first_rule=_first_rule(rules))
        .filter(first_rule__isnull=False)
        .values("case_ref", "first_rule")
        .order_by()
        .query.sql_with_params()
    )
    reasons = [reason for reason, _ in rules]
    sql = f"""
        SELECT convert_to(x.case_ref || ',' || (%s::text[])[x.first_rule + 1] || E'\\n', 'UTF8')
        FROM ({inner_sql}) AS x
        ORDER BY (chr(65 + x.first_rule) || x.case_ref) COLLATE "C"
    """  # noqa: S608 - inner_sql is the ORM's: placeholders and fixed fragments only
    return sql, [reasons, *inner_params], reasons


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


def frame_sql(cycle: Cycle) -> tuple[str, list]:
    """The cycle's frame as SQL giving (case_ref, stratum), the same rows as frame_rows."""
    inner_sql, inner_params = (
        frame_cases(cycle)
        .values("case_ref", "team_id", "case_type")
        .order_by()
        .query.sql_with_params()
    )
    labels = team_labels()
    params = [*inner_params]
    for team_id, label in labels.items():
        params += [team_id, label]
    sql = f"""
        SELECT f.case_ref, {_stratum_sql(cycle.stratify_by)} AS stratum
        FROM ({inner_sql}) AS f
        JOIN (VALUES {", ".join(["(%s, %s)"] * len(labels))}) AS t(team_id, team_label)
          ON t.team_id = f.team_id
    """  # noqa: S608 - only placeholders and fixed fragments are interpolated
    return sql, params


def frame_lines_sql(cycle: Cycle) -> tuple[str, list]:
    """The frame's hashed lines ``case_ref,stratum\\n`` as bytes, in code point order of
    case_ref (``COLLATE "C"`` compares UTF-8 bytes, which is code point order)."""
    sql, params = frame_sql(cycle)
    lines = f"""
        SELECT convert_to(case_ref || ',' || stratum || E'\\n', 'UTF8') FROM ({sql}) AS frame
        ORDER BY case_ref COLLATE "C"
    """  # noqa: S608 - sql is frame_sql's: placeholders and fixed fragments only
    return lines, params


FRAME_BLOCK = 10_000


def frame_line_blocks(raw_connection, sql: str, params: list) -> Iterator[tuple[bytes, int]]:
    """(block of lines, number of lines), 10,000 lines a block, in binary: the frame is
    never held whole and no line is decoded into a Python string. The rows come in chunks
    of a plain query (libpq's chunked rows mode), so PostgreSQL may sort in parallel, which
    it never does for a server-side cursor."""
    with psycopg.Cursor(raw_connection) as cursor:  # not the cursor class Django sets
        rows = cursor.stream(sql, params, binary=True, size=FRAME_BLOCK)
        while batch := list(islice(rows, FRAME_BLOCK)):
            yield b"".join(line for (line,) in batch), len(batch)


def _selection_bound(n: int, population: int) -> bytes:
    """A key above which no case of the stratum's first n ranks lies, but for a chance of
    about 1e-9 (n + 6 sqrt(n) + 20 cases expected below it); the query checks, and runs
    the stratum again without a bound if it found fewer than n."""
    expected = n + 6 * math.isqrt(n) + 20
    if population <= expected:
        return NO_BOUND
    return (expected * 2**256 // population).to_bytes(32, "big")


NO_BOUND = b"\xff" * 33  # above every 32-byte key


def select_in_database(
    cycle: Cycle,
    allocation: dict[str, int],
    seed: str,
    sizes: dict[str, int] | None = None,
) -> dict[str, list[Selected]]:
    """The same rule as sampling.draw, run inside PostgreSQL: per stratum the n_h smallest
    sha256("seed:case_ref") keys, compared byte-wise, in key order.

    With the strata sizes, only keys under a bound that the n_h smallest lie under are
    ranked (a stratum where fewer turn up is ranked again in full), so the database sorts
    a few thousand keys instead of the whole frame.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("select_in_database needs PostgreSQL")
    wanted = {stratum: n for stratum, n in allocation.items() if n > 0}
    result: dict[str, list[Selected]] = {stratum: [] for stratum in allocation}
    bounds = {
        stratum: _selection_bound(n, sizes[stratum]) if sizes and stratum in sizes else NO_BOUND
        for stratum, n in wanted.items()
    }
    found = _ranked(cycle, wanted, bounds, seed)
    short = {
        stratum: n
        for stratum, n in wanted.items()
        if bounds[stratum] != NO_BOUND and len(found.get(stratum, [])) < n
    }
    if short:
        found |= _ranked(cycle, short, dict.fromkeys(short, NO_BOUND), seed)
    for stratum in wanted:
        result[stratum] = found.get(stratum, [])
    return result


def _ranked(
    cycle: Cycle, wanted: dict[str, int], bounds: dict[str, bytes], seed: str
) -> dict[str, list[Selected]]:
    frame, frame_params = frame_sql(cycle)
    sql = f"""
        WITH f AS ({frame}),
        a(stratum, n, bound) AS (VALUES {", ".join(["(%s, %s, %s)"] * len(wanted))}),
        keyed AS (
            SELECT f.case_ref, f.stratum, a.n, a.bound,
                   sha256(convert_to(%s || ':' || f.case_ref, 'UTF8')) AS key
            FROM f JOIN a ON a.stratum = f.stratum
        ),
        ranked AS (
            -- Inlined by the planner. The highest bound, a constant, is checked as each
            -- case is read, so only the few cases under it are labelled and joined to
            -- their stratum's own bound.
            SELECT case_ref, stratum, n, key,
                   row_number() OVER (PARTITION BY stratum ORDER BY key) AS rank
            FROM keyed WHERE key <= %s AND key <= bound
        )
        SELECT case_ref, stratum, rank, encode(key, 'hex')
        FROM ranked WHERE rank <= n
        ORDER BY stratum, rank
    """  # noqa: S608 - only placeholders and fixed fragments are interpolated
    params = [*frame_params]
    for stratum, n in wanted.items():
        params += [stratum, n, bounds[stratum]]
    params += [seed, max(bounds.values())]
    found: dict[str, list[Selected]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for case_ref, stratum, rank, key in cursor.fetchall():
            found.setdefault(stratum, []).append(
                Selected(case_ref=case_ref, stratum=stratum, rank=rank, selection_key=key)
            )
    return found
