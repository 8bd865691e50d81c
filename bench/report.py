"""Bench of the assurance report's compile on a large cycle in PostgreSQL; one JSON line.

    DATABASE_URL=postgres://user@host:port/scratch_db DATA_DIR=/tmp/bench-report \\
        .venv/bin/python bench/report.py [--audits 50000] [--repeats N] [--profile] \\
        [--full-render]

It runs ``migrate`` and then EMPTIES the database it is given (flush): a scratch database
only. Needs pandas (``pip install -e ".[bench]"``) for (c).

The data are made with PostgreSQL (INSERT ... SELECT, deterministic hashes), consistent
with the models: 12 teams x 5 case types (60 strata), 3x as many cases as audited ones, a
closed cycle with its Frame row (strata sizes, allocation) and SampledCase rows, and per
sampled case a primary Assignment + Audit, plus a second (blind) audit on every 10th case
so primaries + seconds = ``--audits``. Every audit is final and answers every question of
the default form (24 answers, 17 of them grades, in 8 domains; the overall grade keeps
the limiting rule); primaries graded Inadequate or Outstanding and a further 10% are
moderated (Moderation rows; a third of them change the overall grade). The audits are
stored by SQL, not submitted through the services, so their summaries (AuditSummary and
DomainGrade rows: final grade, domain medians, themes; see audits/models/summaries.py)
are then written by the product's own ``audit_summaries_rebuild``, as a data load would.

What each method reads. The product keeps, per completed audit, the
summary the submit and moderate services compute with ``grading.audit_summary``; the
report's figures count those rows instead of working out 8 domain medians from each
audit's JSON answers at every compile. All three methods read that same stored summary
(the floor is the bare SQL over the data the product keeps; the analyst exports the same
narrow columns), so none of them pays for the medians and the comparison stays like for
like. Before those summaries existed all three read the answers (the floor and the
analyst took the medians from the JSON on each row).

Times, best of ``--repeats``, the four methods interleaved:

- (a) figures_s: what the worker does before rendering --
  ``audits.selectors.report_inputs.report_inputs(cycle, as_of)`` then
  ``audits.core.figures.compute_figures(inputs)`` (inputs_s and compute_s are its two parts),
  as a read of one snapshot whose largest groupings run on a second connection (the
  machine's second core) meanwhile: a few GROUP BYs over the summaries (completed audits
  by role, team, case type, stratum, follow-up and grades; domain grades; theme lists),
  the sample counted by stratum, the double-audited cases, and the small tables
  (escalations, actions, overrides). The appendix of every audited case is read apart
  afterwards (untimed, as report_compile reads it with the CSV rows and the report hash).
- (b) floor_s: the bare SQL that gives the same counts, one statement: the completed
  first audits of the random sample read once from the summaries into a narrow CTE
  (team and case type as stored on the summary, stratum, final grade, themes), then
  GROUP BY GROUPING SETS for the grade distribution and the counts and good-or-better by
  team, case type and stratum, a GROUP BY of their domain grades (rated, mean,
  good-or-better, distribution) and one of their themes; with the figures' session
  settings (no JIT, 64 MB work_mem).
- (c) analyst_s: export every completed audit's summary to CSV (psql \\copy: case, team,
  case type, stratum, role, follow-up, final grade, themes and one column per domain
  median) and compute the same counts with pandas (a child process with pandas already
  imported).
- (d) render_1k_s / render_10k_s: ``worker.report_pdf.render_pdf`` on the real figures
  with the appendix cut to 1,000 and to 10,000 rows (``--full-render``: also the whole
  appendix, as report_compile renders it; render_full_s).

All three methods' counts are checked equal before anything is reported. Targets:
figures_over_floor (a/b) <= 2, figures_over_analyst (a/c) <= 0.5,
render_ratio (10k/1k) <= 12. The report hash, sample_verify and the JSON/CSV files that
report_compile also makes are not timed. ``--profile`` runs (a) once more under cProfile and prints
the top functions to stderr. Progress goes to stderr, the JSON line to stdout.
"""

import argparse
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import check, empty_database, libpq_env, setup_django
from bench._common import log as _log

TEAMS = 12
CASE_TYPES = ("assessment", "cin", "cp", "cla", "early_help")
PERIOD_START, PERIOD_END = date(2025, 4, 1), date(2025, 6, 30)
SEED = "bench-report-2025-q2"
AUDITORS = 200
SECOND_EVERY = 10  # every 10th sampled case is double-audited
TABLES = ("case", "sampledcase", "assignment", "audit", "moderation")


def log(message: str) -> None:
    _log("report", message)


# --- data ---------------------------------------------------------------------------------


def modulo(sql: str) -> str:
    """SQL written with a plain % for modulo, made ready for %s parameters."""
    return re.sub(r"%(?!s)", "%%", sql)


def rest_of(model, *given: str) -> tuple[str, str]:
    """The columns of ``model`` an INSERT ... SELECT below does not set, and SQL literals of
    their model defaults (", col, ...", ", value, ..."), so the bench keeps up with fields
    added to the models since it was written."""
    from django.db import connection
    from psycopg.sql import Literal

    connection.ensure_connection()
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        default = field.get_default()
        check(
            default is not None or field.null,
            f"bench/report.py does not know what to store in "
            f"{model._meta.db_table}.{field.column}; add it to the bench's INSERT",
        )
        value = Literal(field.get_db_prep_save(default, connection)).as_string(
            connection.connection
        )
        check("%s" not in value, f"the default of {field.column} holds %s")
        columns.append(connection.ops.quote_name(field.column))
        values.append(value)
    return "".join(f", {c}" for c in columns), "".join(f", {v}" for v in values)


def grade_questions() -> tuple[list[dict], dict]:
    from audits.core import grading
    from audits.services.templates import default_template_install

    template = default_template_install()
    return grading.questions(template.definition), template


def build(audits: int, frame_cases: int = 0):
    """Empty the database and make a closed cycle with ``audits`` final audits (in a frame of
    3 cases per sampled case, or ``frame_cases`` if more)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from audits.models import Assignment, Case, Cycle, Frame, SampledCase, Staff, Team
    from audits.selectors import frames
    from audits.services.summaries import audit_summaries_rebuild

    empty_database("report")
    questions, template = grade_questions()
    sampled = math.ceil(audits * SECOND_EVERY / (SECOND_EVERY + 1))
    cases = max(3 * sampled, frame_cases)
    teams = [
        Team.objects.create(name=f"Bench Team {t + 1:02}", service_area="cin") for t in range(TEAMS)
    ]
    Staff.objects.bulk_create(
        Staff(staff_ref=f"AU{n:04}", name=f"Auditor {n}", capacity=400) for n in range(AUDITORS)
    )
    moderator = Staff.objects.create(staff_ref="MOD001", name="Moderator", capacity=0)
    actor = get_user_model().objects.create(username="bench-report")
    auditor_ids = list(
        Staff.objects.filter(staff_ref__startswith="AU").order_by("id").values_list("id", flat=True)
    )
    labels = frames.team_labels()
    team_ids = [t.pk for t in teams]
    given = ("case_ref", "team_id", "case_type", "opened_on", "updated_at")
    columns, values = rest_of(Case, *given)
    with connection.cursor() as cursor:
        cursor.execute(
            modulo(f"""
            INSERT INTO audits_case ({", ".join(given)}{columns})
            SELECT 'R' || lpad(i::text, 7, '0'), (%s::bigint[])[1 + i % %s],
                   (%s::text[])[1 + (i / %s) % %s], date '2019-01-01' + (i % 2000), now()
                   {values}
            FROM generate_series(1, %s) AS i
            """),
            [team_ids, TEAMS, list(CASE_TYPES), TEAMS, len(CASE_TYPES), cases],
        )
    cycle = Cycle.objects.create(
        name="Bench report cycle",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        status=Cycle.Status.CLOSED,
        stratify_by=Cycle.Stratify.TEAM_CASE_TYPE,
        plan={"method": "fixed", "n": sampled, "allocation": "proportional", "minimum": 0},
        template=template,
        second_share=1 / SECOND_EVERY,
        moderation_share=0.1,
        created_by=actor,
    )
    label_sql = "(%s::text[])[array_position(%s::bigint[], c.team_id)] || '/' || c.case_type"
    label_params = [[labels[t] for t in team_ids], team_ids]
    given = ("cycle_id", "case_id", "stratum", "rank", "selection_key", "status")
    columns, values = rest_of(SampledCase, *given)
    with connection.cursor() as cursor:
        # The cases with the smallest SHA-256 keys of the seed, ranked per stratum by key.
        cursor.execute(
            modulo(f"""
            INSERT INTO audits_sampledcase ({", ".join(given)}{columns})
            SELECT %s, s.id, s.stratum, row_number() OVER (PARTITION BY s.stratum ORDER BY s.key),
                   s.key, 'selected' {values}
            FROM (
                SELECT c.id, {label_sql} AS stratum,
                       encode(sha256(convert_to(%s || ':' || c.case_ref, 'UTF8')), 'hex') AS key
                FROM audits_case c
                ORDER BY key
                LIMIT %s
            ) AS s
            ORDER BY s.stratum, s.key
            """),
            [cycle.pk, *label_params, SEED, sampled],
        )
        cursor.execute(f"SELECT {label_sql}, count(*) FROM audits_case c GROUP BY 1", label_params)
        strata = dict(cursor.fetchall())
        cursor.execute(
            "SELECT stratum, count(*) FROM audits_sampledcase WHERE cycle_id = %s GROUP BY 1",
            [cycle.pk],
        )
        allocation = dict(cursor.fetchall())
    Frame.objects.create(
        cycle=cycle,
        seed=SEED,
        frame_hash="0" * 64,
        size=cases,
        strata_sizes=dict(sorted(strata.items())),
        allocation=dict(sorted(allocation.items())),
        exclusion_counts={},
        frame_file=f"cycle-{cycle.pk}-frame.csv.gz",
        exclusions_file=f"cycle-{cycle.pk}-exclusions.csv.gz",
        algorithm="sha256-rank",
        algorithm_version="1",
        selection_path="postgresql",
        drawn_by=actor,
    )
    given = ("sampled_case_id", "auditor_id", "role", "created_by_id", "created_at")
    columns, values = rest_of(Assignment, *given)
    with connection.cursor() as cursor:
        cursor.execute(
            modulo(f"""
            WITH numbered AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n
                FROM audits_sampledcase WHERE cycle_id = %s
            )
            INSERT INTO audits_assignment ({", ".join(given)}{columns})
            SELECT s.id, (%s::bigint[])[1 + (s.n + r.shift) % %s], r.role, %s, now() {values}
            FROM numbered s
            CROSS JOIN (VALUES ('primary', 0), ('second', 7)) AS r(role, shift)
            WHERE r.role = 'primary' OR s.n % %s = 0
            ORDER BY s.id, r.role
            """),
            [cycle.pk, auditor_ids, AUDITORS, actor.pk, SECOND_EVERY],
        )
        cursor.execute("ANALYZE audits_case, audits_sampledcase, audits_assignment")
        insert_audits(cursor, cycle, template, questions)
        cursor.execute("ANALYZE audits_audit")
        insert_moderations(cursor, cycle, moderator, questions)
        cursor.execute("UPDATE audits_cycle SET status = 'closed' WHERE id = %s", [cycle.pk])
    # The audits were stored by SQL, not submitted through the services, so their
    # summaries are written the way a data load would: by the product's rebuild.
    log(f"  summarised {audit_summaries_rebuild():,} audits")
    with connection.cursor() as cursor:
        for table in (*TABLES, "auditsummary", "domaingrade"):
            cursor.execute(f"VACUUM (ANALYZE) audits_{table}")
    cycle.refresh_from_db()
    return cycle


def insert_audits(cursor, cycle, template, questions: list[dict]) -> None:
    """Final audits answering every question. A case's level (1-4) is shared by its two
    auditors; each grade question is the level +/- 1 by a hash; the overall grade is the
    level capped by the limiting questions (the submission rule)."""
    from audits.models import Audit

    themes = list(template.themes)
    answer_sql, params = [], []
    for question in questions:
        key, kind = question["key"], question["kind"]
        spread = "abs(hashtext(%s || a.id::text))"
        choices = []
        if kind == "grade":
            value = f"greatest(1, least(4, b.level + (ARRAY[-1,0,0,0,1])[1 + {spread} % 5]))"
        elif kind == "yes_no_na":
            value = f"(ARRAY['yes','no','na'])[1 + {spread} % 3]"
        elif kind == "choice":
            value = f"(%s::text[])[1 + {spread} % {len(question['choices'])}]"
            choices = [question["choices"]]
        elif kind == "number":
            value = f"{spread} % 400"
        elif kind == "date":
            value = f"(date '2025-01-01' + {spread} % 180)::text"
        else:
            value = "'Bench answer'::text"
        answer_sql.append(f"%s, to_jsonb({value})")
        params += [key, *choices, *([key] if "hashtext" in value else [])]
    limiting = [q["key"] for q in questions if q.get("limiting")]
    overall = "least(level, " + ", ".join(f"(answers->>'{k}')::int" for k in limiting) + ")"
    given = (
        "assignment_id",
        "template_id",
        "status",
        "version",
        "answers",
        "overall_grade",
        "rationale",
        "themes",
        "due_date",
        "started_at",
        "submitted_at",
        "updated_at",
    )
    columns, values = rest_of(Audit, *given)
    cursor.execute(
        modulo(f"""
        WITH base AS (
            SELECT a.id,
                   (ARRAY[1,2,2,3,3,3,3,4])[1 + abs(hashtext('level' || a.sampled_case_id)) % 8]
                     AS level
            FROM audits_assignment a JOIN audits_sampledcase sc ON sc.id = a.sampled_case_id
            WHERE sc.cycle_id = %s
        ),
        answered AS (
            SELECT b.id, b.level, jsonb_build_object({", ".join(answer_sql)}) AS answers
            FROM base b JOIN audits_assignment a ON a.id = b.id
        )
        INSERT INTO audits_audit ({", ".join(given)}{columns})
        SELECT id, %s, 'final', 3, answers, {overall}, 'Overall judgement explained',
               jsonb_build_array((%s::text[])[1 + abs(hashtext('t1' || id)) % %s],
                                 (%s::text[])[1 + abs(hashtext('t2' || id)) % %s]),
               %s, now(), now(), now() {values}
        FROM answered
        ORDER BY id
        """),
        [cycle.pk, *params, template.pk, themes, len(themes), themes, len(themes), PERIOD_END],
    )
    # Two distinct themes, as the form asks: the second one moves on when they collide.
    cursor.execute(
        """
        UPDATE audits_audit SET themes = jsonb_build_array(themes->>0,
            (%s::text[])[1 + (array_position(%s::text[], themes->>0) %% %s)])
        WHERE themes->>0 = themes->>1
        """,
        [themes, themes, len(themes)],
    )


def insert_moderations(cursor, cycle, moderator, questions: list[dict]) -> None:
    """Primaries graded 1 or 4 and a further 10% are moderated: agreed, or (a third of them)
    the overall grade moved one step; the audit keeps both grades."""
    from audits.models import Moderation

    grade_keys = [q["key"] for q in questions if q["kind"] == "grade"]
    given = (
        "audit_id",
        "moderator_id",
        "decision",
        "original_overall_grade",
        "moderated_overall_grade",
        "original_grades",
        "moderated_grades",
        "reason",
        "at",
    )
    columns, values = rest_of(Moderation, *given)
    cursor.execute(
        modulo(f"""
        WITH chosen AS (
            SELECT au.id, au.overall_grade AS original,
                   CASE WHEN abs(hashtext('mod' || au.id)) % 3 = 0
                        THEN CASE WHEN au.overall_grade = 4 THEN 3 ELSE au.overall_grade + 1 END
                        ELSE au.overall_grade END AS moderated,
                   CASE WHEN au.overall_grade = 1 THEN 'inadequate'
                        WHEN au.overall_grade = 4 THEN 'outstanding' ELSE 'random' END AS reason,
                   (SELECT jsonb_object_agg(k, au.answers->k)
                    FROM unnest(%s::text[]) AS k WHERE au.answers ? k) AS grades
            FROM audits_audit au
            JOIN audits_assignment a ON a.id = au.assignment_id
            JOIN audits_sampledcase sc ON sc.id = a.sampled_case_id
            WHERE sc.cycle_id = %s AND a.role = 'primary'
              AND (au.overall_grade IN (1, 4) OR abs(hashtext('pick' || au.id)) % 10 = 0)
        ),
        updated AS (
            UPDATE audits_audit au
            SET moderation_reason = c.reason, moderated_overall_grade = c.moderated,
                moderated_answers = au.answers, version = au.version + 1
            FROM chosen c WHERE au.id = c.id
            RETURNING au.id
        )
        INSERT INTO audits_moderation ({", ".join(given)}{columns})
        SELECT c.id, %s, CASE WHEN c.moderated = c.original THEN 'agree' ELSE 'change' END,
               c.original, c.moderated, c.grades, c.grades,
               CASE WHEN c.moderated = c.original THEN '' ELSE 'Evidence is stronger' END, now()
               {values}
        FROM chosen c JOIN updated u ON u.id = c.id
        ORDER BY c.id
        """),
        [grade_keys, cycle.pk, moderator.pk],
    )


# --- (a) the figures ----------------------------------------------------------------------


def run_figures(cycle, as_of) -> tuple[float, float, dict, int]:
    """report_inputs + compute_figures, as the worker runs them (report hash aside)."""
    from audits.core.figures import compute_figures
    from audits.selectors.report_inputs import report_inputs

    start = time.perf_counter()
    inputs = report_inputs(cycle, as_of)
    read = time.perf_counter()
    figures = compute_figures(inputs)
    end = time.perf_counter()
    return read - start, end - read, figures, figures["summary"]["audited"]


def with_appendix(cycle, figures: dict) -> dict:
    """The appendix the worker adds after the figures (not timed): report_compile reads
    every audit's row for it, the CSV and the report hash."""
    from audits.core.figures import appendix
    from audits.selectors.report_appendix import audit_rows

    return {**figures, "appendix": appendix(audit_rows(cycle))}


def counts_from_figures(figures: dict) -> dict:
    findings = figures["findings"]
    return {
        "grades": {k: v for k, v in findings["grade_distribution"].items() if v},
        "team": {r["team"]: [r["audited"], r["good_or_better"]] for r in findings["by_team"]},
        "case_type": {
            r["case_type"]: [r["audited"], r["good_or_better"]] for r in findings["by_case_type"]
        },
        "audited_good": [findings["good_or_better"]["audited"], findings["good_or_better"]["good"]],
        "domain": {
            r["domain"]: {
                "rated": r["rated"],
                "mean": r["mean"],
                "good_or_better": r["good_or_better"],
                "distribution": {g: n for g, n in r["distribution"].items() if n},
            }
            for r in findings["by_domain"]
        },
        "themes": {r["theme"]: r["count"] for r in findings["themes"]},
    }


# --- (b) the floor: bare SQL ----------------------------------------------------------------


def domain_names() -> list[str]:
    questions, _ = grade_questions()
    return sorted({q["domain"] for q in questions if q["kind"] == "grade" and q.get("domain")})


def floor_sql() -> str:
    """One statement over the stored summaries: the completed first audits of the random
    sample read once into a narrow CTE (team and case type as stored on the summary,
    stratum, final grade, themes), then GROUP BY GROUPING SETS for the grade distribution
    and the counts and good-or-better by team, case type and stratum, a GROUP BY of their
    domain grades (rated, mean, good-or-better, distribution; the rows the summary marks as
    counted) and one of their themes."""
    return """
        WITH done AS MATERIALIZED (
            SELECT s.audit_id, t.name AS team, s.case_type, s.stratum, s.final_grade AS final,
                   s.themes
            FROM audits_auditsummary s
            JOIN audits_team t ON t.id = s.team_id
            WHERE s.cycle_id = %s AND s.role = 'primary' AND NOT s.follow_up
        )
        SELECT 'group', final::text, team, case_type, stratum, count(*),
               count(*) FILTER (WHERE final >= 3), NULL::float8
        FROM done GROUP BY GROUPING SETS ((final), (team), (case_type), (stratum))
        UNION ALL
        SELECT 'domain', d.domain, round(d.grade)::int::text, NULL, NULL, count(*),
               count(*) FILTER (WHERE d.grade >= 3), sum(d.grade)
        FROM audits_domaingrade d WHERE d.cycle_id = %s AND d.counted
        GROUP BY d.domain, round(d.grade)
        UNION ALL
        SELECT 'theme', theme, NULL, NULL, NULL, count(*), NULL, NULL
        FROM done, jsonb_array_elements_text(done.themes) AS theme
        GROUP BY theme
    """


def run_floor(cycle) -> tuple[float, dict]:
    from django.db import connection, transaction

    from audits.selectors import snapshot

    sql = floor_sql()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        snapshot.tune_for_large_reads(cursor)  # the session settings the figures get
        cursor.execute(sql, [cycle.pk, cycle.pk])
        result = cursor.fetchall()
    elapsed = time.perf_counter() - start

    counts: dict = {"grades": {}, "team": {}, "case_type": {}, "stratum": {}, "themes": {}}
    rows: dict[str, list] = {}
    for kind, first, second, case_type, stratum, n, good, total in result:
        if kind == "theme":
            counts["themes"][first] = n
        elif kind == "domain":
            row = rows.setdefault(first, [0, 0.0, 0, {}])
            row[0] += n
            row[1] += total
            row[2] += good
            row[3][second] = n
        elif first is not None:
            counts["grades"][first] = n
        elif second is not None:
            counts["team"][second] = [n, good]
        elif case_type is not None:
            counts["case_type"][case_type] = [n, good]
        elif stratum is not None:
            counts["stratum"][stratum] = [n, good]
    counts["audited_good"] = [
        sum(n for n, _ in counts["team"].values()),
        sum(g for _, g in counts["team"].values()),
    ]
    counts["domain"] = {
        domain: {
            "rated": n,
            "mean": round(total / n, 2),
            "good_or_better": round(good / n, 4),
            "distribution": distribution,
        }
        for domain, (n, total, good, distribution) in rows.items()
    }
    return elapsed, counts


# --- (c) the analyst: CSV + pandas ----------------------------------------------------------


def analyst_export_sql(cycle_id: int, domains: list[str]) -> str:
    """Every completed audit of the cycle from the stored summaries, one row each: the
    grouping columns, role, follow-up, the final grade, the themes and one column per
    domain with its median grade (pivoted from the domain grades)."""
    quoted = [domain.replace("'", "''") for domain in domains]
    columns = ", ".join(
        f"max(d.grade) FILTER (WHERE d.domain = '{domain}') AS domain_{i}"
        for i, domain in enumerate(quoted)
    )
    return f"""
        (SELECT c.case_ref, t.name AS team, s.case_type, s.stratum, s.role,
                s.follow_up, s.final_grade,
                array_to_string(ARRAY(SELECT jsonb_array_elements_text(s.themes)), ';')
                  AS themes,
                {columns}
         FROM audits_auditsummary s
         JOIN audits_case c ON c.id = s.case_id
         JOIN audits_team t ON t.id = s.team_id
         LEFT JOIN audits_domaingrade d ON d.summary_id = s.audit_id
         WHERE s.cycle_id = {int(cycle_id)}
         GROUP BY s.audit_id, c.case_ref, t.name, s.case_type)
        TO {{target}} WITH (FORMAT csv, HEADER)
    """


def analyst(folder: str, export_sql: str, domains: list[str]) -> None:
    """The analyst's session (own process, pandas imported before the clock starts): export
    the completed audits with psql's \\copy, then the same counts with pandas. Prints JSON."""
    import numpy as np
    import pandas as pd

    export = Path(folder) / "audits.csv"
    start = time.perf_counter()
    command = "\\copy " + " ".join(export_sql.format(target=f"'{export}'").split())
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command], check=True)
    exported = time.perf_counter()
    frame = pd.read_csv(export, dtype={"themes": str})
    done = frame[
        (frame["role"] == "primary")
        & (frame["follow_up"].astype(str).str.lower().isin(("f", "false")))
    ]
    final = done["final_grade"].astype(int)
    good = final >= 3
    counts: dict = {"grades": {str(k): int(v) for k, v in final.value_counts().items()}}
    for column in ("team", "case_type", "stratum"):
        grouped = good.groupby(done[column]).agg(["size", "sum"])
        counts[column] = {k: [int(n), int(g)] for k, (n, g) in grouped.iterrows()}
    counts["audited_good"] = [len(done), int(good.sum())]
    counts["domain"] = {}
    for i, domain in enumerate(domains):
        medians = done[f"domain_{i}"].dropna()
        distribution = np.round(medians).astype(int).value_counts()
        counts["domain"][domain] = {
            "rated": len(medians),
            "mean": round(float(medians.mean()), 2),
            "good_or_better": round(float((medians >= 3).mean()), 4),
            "distribution": {str(k): int(v) for k, v in distribution.items()},
        }
    themes = done["themes"].dropna().str.split(";").explode()
    counts["themes"] = {k: int(v) for k, v in themes.value_counts().items()}
    end = time.perf_counter()
    export.unlink()
    print(json.dumps({"seconds": end - start, "export_s": exported - start, "counts": counts}))


def run_analyst(cycle, folder: Path) -> dict:
    domains = domain_names()
    arguments = {
        "folder": str(folder),
        "export_sql": analyst_export_sql(cycle.pk, domains),
        "domains": domains,
    }
    completed = subprocess.run(
        [sys.executable, __file__, "--analyst", json.dumps(arguments)],
        env={**os.environ, **libpq_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"the analyst failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


# --- (d) the PDF ----------------------------------------------------------------------------


def run_render(figures: dict, rows: int) -> tuple[float, int, int, int | None]:
    from worker.report_pdf import render_pdf

    cut = {**figures, "appendix": figures["appendix"][:rows]}
    cut["report"] = {"version": 1, "hash": "0" * 64, "cycle_id": 0, "title": "Bench report"}
    out = io.BytesIO()
    start = time.perf_counter()
    render_pdf(cut, out)
    elapsed = time.perf_counter() - start
    return elapsed, len(out.getvalue()), len(cut["appendix"]), pdf_pages(out.getvalue())


def pdf_pages(data: bytes) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(data)).pages)


# --- comparison, profile, main ------------------------------------------------------------


def same_counts(name: str, expected: dict, got: dict) -> None:
    for part in ("grades", "team", "case_type", "audited_good", "themes"):
        check(
            expected[part] == got[part], f"{name}: {part} differs: {expected[part]} vs {got[part]}"
        )
    for domain, row in expected["domain"].items():
        other = got["domain"].get(domain)
        check(other is not None, f"{name}: domain {domain} missing")
        for key in ("rated", "distribution"):
            check(row[key] == other[key], f"{name}: {domain} {key}: {row[key]} vs {other[key]}")
        for key in ("mean", "good_or_better"):
            check(
                math.isclose(row[key], other[key], abs_tol=0.0051),
                f"{name}: {domain} {key}: {row[key]} vs {other[key]}",
            )


def profile_figures(cycle, as_of) -> None:
    import cProfile
    import pstats

    from audits.core.figures import compute_figures
    from audits.selectors.report_inputs import report_inputs

    profiler = cProfile.Profile()
    profiler.enable()
    compute_figures(report_inputs(cycle, as_of))
    profiler.disable()
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(35)
        print(text.getvalue(), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audits", type=int, default=50_000, help="audits (default: 50000)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per method, best kept")
    parser.add_argument("--profile", action="store_true", help="cProfile one extra (a)")
    parser.add_argument(
        "--full-render", action="store_true", help="also render the whole appendix (slow)"
    )
    parser.add_argument("--analyst", help=argparse.SUPPRESS)  # the analyst's child process
    args = parser.parse_args()
    if args.analyst:
        analyst(**json.loads(args.analyst))
        return
    if not 100 <= args.audits <= 500_000 or not 1 <= args.repeats <= 5:
        parser.error("--audits 100..500000, --repeats 1..5")
    if not shutil.which("psql"):
        sys.exit("bench/report.py needs psql on PATH for the analyst's export (c).")
    setup_django("report")
    from django.db import connection
    from django.utils import timezone

    log(f"building {args.audits:,} audits")
    start = time.perf_counter()
    cycle = build(args.audits)
    log(f"  built in {time.perf_counter() - start:.1f}s")
    as_of = timezone.now().replace(microsecond=0)
    scratch = Path(tempfile.mkdtemp(prefix="bench-report-"))
    best = dict.fromkeys(("figures", "inputs", "compute", "floor", "analyst"), math.inf)
    best.update(dict.fromkeys(("render_1k", "render_10k", "render_full"), math.inf))
    answers_per_audit = len(grade_questions()[0])
    figures = rendered = None
    pages: dict[str, int | None] = {}
    for repeat in range(1, args.repeats + 1):
        log(f"run {repeat}/{args.repeats}")
        inputs_s, compute_s, figures, read = run_figures(cycle, as_of)
        log(
            f"  (a) figures {inputs_s + compute_s:.2f}s (inputs {inputs_s:.2f}s over {read:,} "
            f"completed first audits, compute {compute_s:.2f}s)"
        )
        if rendered is None:
            rendered = with_appendix(cycle, figures)
            log(f"  the appendix read apart: {len(rendered['appendix']):,} rows")
        floor_s, floor_counts = run_floor(cycle)
        log(f"  (b) floor {floor_s:.2f}s")
        analysis = run_analyst(cycle, scratch)
        log(f"  (c) analyst {analysis['seconds']:.2f}s (export {analysis['export_s']:.2f}s)")
        expected = counts_from_figures(figures)
        same_counts("floor", expected, floor_counts)
        same_counts("analyst", expected, analysis["counts"])
        check(
            floor_counts["stratum"] == analysis["counts"]["stratum"],
            "floor and analyst differ by stratum",
        )
        check(
            sum(n for n, _ in floor_counts["stratum"].values()) == expected["audited_good"][0],
            "the strata do not add up to the audited count",
        )
        for name, seconds in (
            ("figures", inputs_s + compute_s),
            ("inputs", inputs_s),
            ("compute", compute_s),
            ("floor", floor_s),
            ("analyst", analysis["seconds"]),
        ):
            best[name] = min(best[name], seconds)
        for name, rows in (("render_1k", 1_000), ("render_10k", 10_000)):
            seconds, size, cut, pages[name] = run_render(rendered, rows)
            check(
                cut == min(rows, len(rendered["appendix"])),
                f"the appendix has {cut} rows, not {rows}",
            )
            log(
                f"  (d) render {rows:,} rows {seconds:.2f}s ({pages[name]} pages, {size >> 10} KiB)"
            )
            best[name] = min(best[name], seconds)
        # The renders hold no database connection; start the next run on a fresh one.
        connection.close()
    appendix_rows = len(rendered["appendix"])
    extra = {}
    if args.full_render:
        seconds, size, _, pages["render_full"] = run_render(rendered, appendix_rows)
        log(f"  (d) render all {appendix_rows:,} rows {seconds:.2f}s ({size >> 10} KiB)")
        extra["render_full_s"] = round(seconds, 3)
    if args.profile:
        profile_figures(cycle, as_of)
    shutil.rmtree(scratch)
    result = {
        "bench": "report",
        "audits": args.audits,
        "answers_per_audit": answers_per_audit,
        "completed_primaries": figures["summary"]["audited"],
        "appendix_rows": appendix_rows,
        "repeats": args.repeats,
        "figures_s": round(best["figures"], 3),
        "inputs_s": round(best["inputs"], 3),
        "compute_s": round(best["compute"], 3),
        "floor_s": round(best["floor"], 3),
        "analyst_s": round(best["analyst"], 3),
        "render_1k_s": round(best["render_1k"], 3),
        "render_10k_s": round(best["render_10k"], 3),
        **extra,
        "figures_over_floor": round(best["figures"] / best["floor"], 3),
        "figures_over_analyst": round(best["figures"] / best["analyst"], 3),
        "render_ratio": round(best["render_10k"] / best["render_1k"], 3),
        "pdf_pages": pages,
    }
    result["targets_met"] = {
        "figures_over_floor<=2": result["figures_over_floor"] <= 2,
        "figures_over_analyst<=0.5": result["figures_over_analyst"] <= 0.5,
        "render_ratio<=12": result["render_ratio"] <= 12,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
