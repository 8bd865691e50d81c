"""Benchmark of the sample draw on large registers; prints one JSON line per register size.

    DATABASE_URL=postgres://user@host:port/scratch_db DATA_DIR=/tmp/bench-data \\
        .venv/bin/python bench/sampling.py [--sizes 10000,100000,1000000] [--repeats N]

Needs PostgreSQL (the draw selects inside the database there) and pandas
(``pip install -e ".[bench]"``). It runs ``migrate`` and then EMPTIES the case, cycle and
history tables of the database it is given: point it at a scratch database only.

For each size it builds a fresh register with PostgreSQL itself (12 teams x 5 case types =
60 strata, refs ``C0000001``..., stored in shuffled order, ``--closed-before`` percent
(default 2) closed before the period and so left out, 2% closed during it), plans a fixed
sample of ``--n`` cases allocated proportionally, and times:

- draw_s (a): ``sample_draw`` as the service runs it, a transaction of its own, on one
  connection: the strata sizes and the plan, the exclusions file (lines built in the
  database, written in blocks), the frame streamed to the gzip CSV with its hash, the
  frozen-frame Event, then (commit, then reveal: the seed needs the frame hash, so this
  waits for it) the server's random bits, the seed and the selection in PostgreSQL
  (every key computed, only the few under a bound labelled and ranked), SampledCase rows,
  Frame row and Event. draw_steps: the best draw's steps (the functions it calls, timed
  by wrapping them; ``rest`` is the remainder: locks, Frame row, follow-ups, commit).
- floor_s (b): the best known way to do the same work, and the least any verifiable
  method must do: the product's own streaming read of the frame (``frames.frame_line_blocks``:
  a plain query in libpq's chunked-rows mode, which PostgreSQL may sort in parallel, not a
  server-side cursor) written as the same gzip CSV bytes with the same frame hash (checked),
  then one pass in PostgreSQL computing every frame row's SHA-256 selection key and
  comparing it with a bound, laid out as the draw lays them out (on one connection, one
  after the other; the frame's cases as the draw filters them, not labelled with their
  stratum, as the draw labels only the cases under its bound). Nothing else: no plan, no
  strata sizes, no exclusions file, no ranking, nothing stored. floor_steps: its stream
  (sorted read, gzip, file) and hash pass.
- random_s (c): ``row_number() OVER (PARTITION BY stratum ORDER BY random()) <= n_h`` on
  the same frame, allocation given: fast, but nobody can re-check it.
- replace_s: one replacement (``sample_replace``) in the last draw's sample, untimed by
  the other methods: the next rank of the replaced case's stratum, under the cycle lock.
- analyst_s (d): the best known way an analyst would do it instead: one ``COPY`` query
  that filters the register to the frame (opened by the end of the period, not closed
  before it) and labels each case's stratum, exported to CSV (psql's \\copy, or COPY
  through psycopg if there is no psql), then sampled with pandas
  (``groupby("stratum").sample(frac=n/N)``) and the sample written, in a process of its
  own with pandas already imported. analyst_steps: the export and the pandas part.

Times are the best of ``--repeats`` runs (default 3), the four methods interleaved: the
machine may be shared. draw_peak_mb is the largest rise of this process's resident memory
during a draw (VmHWM, reset just before, minus VmRSS then); draw_peak_rss_mb is the
absolute peak, Django included. The database server's memory is in neither.
Targets at 1,000,000 cases: draw_over_floor <= 1.5, draw_over_analyst <= 1.0 and
draw_peak_mb < 300. Progress and per-phase times of each method go to stderr.

Where the time goes, and what was measured and not kept (1,000,000 cases, this shared
2-core machine): the floor alone is 1.4-1.9x the analyst, whose export is unsorted and
who computes no key: the frame's sorted read is 0.6 s of PostgreSQL time before the first
row (against 0.12 s to count it), every key's SHA-256 about 0.45 s. gzip level 1 (the
frame's and the exclusions file's) costs 0.07 s on the 29 MB frame (level 6: 0.28 s).
Not kept: COPY of the sorted frame (1.06 s against 0.78 s streamed); a temporary table of
the frame read twice (0.34 s to fill, then 0.67 s to stream and 0.73 s to hash); the keys
hashed in Python from lines kept from the stream (0.49-0.69 s on one core against
0.45-0.60 s in PostgreSQL on two); the frame read in case_ref order from a covering index
instead of sorted (0.62 s against 0.72 s only when the planner is forced, and a 68 MB
index on the register); the strata sizes and exclusions read on a second connection
during the frame's stream (no gain, see ``audits/services/sample.py``); one grouped read
for the strata sizes and the exclusions' counts (0.19 s against 0.09 s for the sizes).
"""

import argparse
import contextlib
import ctypes
import gc
import hashlib
import json
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

from bench._common import libpq_env

SEED = "bench-sampling-2025-q2"
TEAMS = 12
CASE_TYPES = ("assessment", "cin", "cp", "cla", "early-help")
PERIOD_START, PERIOD_END = date(2025, 4, 1), date(2025, 6, 30)
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def check(condition: bool, message: str) -> None:
    """Stop the bench if the methods did not do the work they are timed for."""
    if not condition:
        raise RuntimeError(message)


def log(message: str) -> None:
    print(f"[bench sampling {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    # DEBUG would log every query; the draw runs with DEBUG off in production.
    os.environ.setdefault("DEBUG", "false")
    # Frame files go to a scratch folder unless DATA_DIR says where.
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-sampling-"))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(
            "bench/sampling.py needs PostgreSQL, not "
            f"{connection.vendor}: the draw selects inside PostgreSQL and the other methods "
            "use COPY. Set DATABASE_URL=postgres://user@host:port/scratch_database "
            "(the bench empties its case, cycle and history tables)."
        )
    from django.core.management import call_command

    log(f"migrate {connection.settings_dict['NAME']}")
    call_command("migrate", interactive=False, verbosity=0)


# --- memory -------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1))


def release_memory() -> None:
    """Return freed heap to the OS, so the RSS before a draw is what is really in use."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakRss:
    """Peak rise of resident memory over a block: resets VmHWM, reads it afterwards."""

    def __enter__(self):
        release_memory()
        self.before_kb = _status_kb("VmRSS")
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS
        return self

    def __exit__(self, *exc):
        self.peak_kb = _status_kb("VmHWM")
        self.rise_mb = (self.peak_kb - self.before_kb) / 1024
        return False


# --- register -----------------------------------------------------------------------------


def build_register(cases: int, closed_before: int = 2):
    """Empty the tables, then insert ``cases`` cases with PostgreSQL (``closed_before`` in
    100 closed before the period, 2 in 100 closed during it); returns the actor."""
    check(0 <= closed_before <= 98, "--closed-before is a percentage from 0 to 98")
    from django.contrib.auth import get_user_model
    from django.db import connection

    from audits.models import Case, Team

    with connection.cursor() as cursor:
        # Event and AccessLog refuse UPDATE and DELETE but allow TRUNCATE.
        cursor.execute(
            "TRUNCATE audits_case, audits_cycle, audits_event, audits_accesslog "
            "RESTART IDENTITY CASCADE"
        )
    teams = [Team.objects.get_or_create(name=f"Bench Team {t:02}")[0] for t in range(TEAMS)]
    actor, _ = get_user_model().objects.get_or_create(username="bench-sampling")
    columns = {
        "case_ref": "'C' || lpad(i::text, 7, '0')",
        "team_id": "(%s::bigint[])[1 + i %% %s]",
        "case_type": "(%s::text[])[1 + (i / %s) %% %s]",
        "opened_on": "date '2019-01-01' + (i %% 1500)",
        "closed_on": "CASE WHEN i %% 100 >= 98 THEN date '2025-05-15' "
        "WHEN i %% 100 < %s THEN date '2024-06-01' END",
        "updated_at": "now()",
    }
    params = [[t.pk for t in teams], TEAMS, list(CASE_TYPES), TEAMS, len(CASE_TYPES)]
    params.append(closed_before)
    # Other required columns (added to Case later) get their model default.
    for field in Case._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.null:
            continue
        if not field.has_default():
            raise RuntimeError(f"bench/sampling.py does not know how to fill Case.{field.name}")
        columns[field.column] = "%s"
        params.append(field.get_db_prep_save(field.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audits_case ({', '.join(columns)}) "
            f"SELECT {', '.join(columns.values())} "
            "FROM generate_series(1, %s) AS i ORDER BY md5(i::text)",
            [*params, cases],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FREEZE, ANALYZE) audits_case")
    return actor


def new_cycle(n: int):
    from audits.models import Cycle

    return Cycle.objects.create(
        name=f"Bench cycle n={n}",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        stratify_by=Cycle.Stratify.TEAM_CASE_TYPE,
        plan={"method": "fixed", "n": n, "allocation": "proportional", "minimum": 0},
    )


def forget_draws() -> None:
    """Drop earlier draws, so they neither exclude cases nor fill the disk."""
    from django.core.files.storage import storages
    from django.db import connection

    from audits.selectors.sample_record import FRAMES

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audits_sampledcase, audits_frame, audits_event CASCADE")
    storage = storages[FRAMES]
    if not storage.exists(""):  # no draw yet in a fresh DATA_DIR
        return
    for name in storage.listdir("")[1]:
        if name.endswith(".csv.gz"):
            storage.delete(name)


# --- (a) the draw -------------------------------------------------------------------------


class PhaseTimer:
    """Times the draw's steps by wrapping the functions sample_draw calls (one call each)."""

    TARGETS = (
        ("audits.selectors.frames", "strata_sizes"),
        ("audits.selectors.frames", "select_in_database"),
        ("audits.services.sample", "write_exclusions_file"),
        ("audits.core.sampling", "write_frame_blocks"),  # the frame streamed to its file
        ("audits.services.sample", "store_selection"),
        ("audits.services.sample", "event_record"),
    )

    def __init__(self):
        self.times: dict[str, float] = {}
        self._saved = []

    def __enter__(self):
        import importlib

        for module_name, dotted in self.TARGETS:
            owner = importlib.import_module(module_name)
            *path, name = dotted.split(".")
            for attribute in path:  # a method: wrapped on its class
                owner = getattr(owner, attribute)
            original = getattr(owner, name, None)
            if original is None:  # renamed or gone: time the rest
                continue
            self._saved.append((owner, name, original))
            setattr(owner, name, self._timed(dotted, original))
        return self

    def _timed(self, name, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start

        return timed

    def __exit__(self, *exc):
        for owner, name, original in self._saved:
            setattr(owner, name, original)
        return False


def run_draw(n: int, actor):
    from audits.services.sample import sample_draw

    cycle = new_cycle(n)
    with PeakRss() as memory, PhaseTimer() as phases:
        start = time.perf_counter()
        frame = sample_draw(cycle=cycle, actor=actor, witness_input=SEED)
        elapsed = time.perf_counter() - start
    named = sum(phases.times.values())
    parts = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in phases.times.items())
    log(f"  (a) draw {elapsed:.2f}s [{parts}, rest {elapsed - named:.2f}s]")
    steps = {name.split(".")[-1]: round(seconds, 3) for name, seconds in phases.times.items()}
    steps["rest"] = round(elapsed - named, 3)
    return elapsed, memory, cycle, frame, steps


# --- (b) the floor ------------------------------------------------------------------------


def run_floor(cycle, out_path: Path, n: int) -> dict:
    """The product's streaming read of the frame to its gzip CSV, then every row's key
    computed in PostgreSQL and compared with a bound; nothing else (see the module
    docstring). Returns its time, its two steps' times, the frame hash and the rows."""
    from django.db import connection, transaction

    from audits.core import sampling
    from audits.selectors import frames, snapshot

    lines_sql, lines_params = frames.frame_lines_sql(cycle)
    # The frame's cases as the draw filters them, but neither labelled nor joined to a
    # stratum: the draw's selection labels only the few cases under its bound, so a hash
    # pass that labels every row would be slower than the product's (it was: best of 6 at
    # 1,000,000 cases on this shared machine, 0.86 s against the selection's 0.73 s).
    cases_sql, cases_params = (
        frames.frame_cases(cycle).values("case_ref").order_by().query.sql_with_params()
    )
    # Counted, not returned: returning the few rows under the bound made PostgreSQL scan
    # on one core (it expects a third of the rows), 1.54 s against 0.79 s.
    hash_pass = (
        f"SELECT count(*) FROM ({cases_sql}) AS f "
        "WHERE sha256(convert_to(%s || ':' || f.case_ref, 'UTF8')) <= %s"
    )
    population = frames.frame_cases(cycle).count()
    bound = frames._selection_bound(n, population)  # about n keys under it, as the draw's
    rows = 0

    def counted(blocks):
        nonlocal rows
        for block, lines in blocks:
            rows += lines
            yield block, lines

    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            snapshot.repeatable_read(cursor)
            snapshot.tune_for_large_reads(cursor)  # the draw's settings too
        connection.ensure_connection()
        with out_path.open("wb") as out:
            blocks = frames.frame_line_blocks(connection.connection, lines_sql, lines_params)
            frame_hash = sampling.write_frame_blocks(counted(blocks), out)
        streamed = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(hash_pass, [*cases_params, SEED, bound])
            (under_bound,) = cursor.fetchone()
    end = time.perf_counter()
    check(0 < under_bound < rows, f"the floor's hash pass found {under_bound} keys under its bound")
    return {
        "seconds": end - start,
        "stream_s": streamed - start,
        "hash_s": end - streamed,
        "frame_hash": frame_hash,
        "rows": rows,
    }


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# --- (c) ORDER BY random() ----------------------------------------------------------------


def run_random(cycle, allocation: dict[str, int]) -> tuple[float, int]:
    from django.db import connection

    from audits.selectors import frames

    sql, params = frames.frame_sql(cycle)
    wanted = {stratum: n for stratum, n in allocation.items() if n > 0}
    query = f"""
        WITH ranked AS (
            SELECT case_ref, stratum,
                   row_number() OVER (PARTITION BY stratum ORDER BY random()) AS rank
            FROM ({sql}) AS frame
        )
        SELECT r.case_ref, r.stratum, r.rank
        FROM ranked r JOIN (VALUES {", ".join(["(%s, %s)"] * len(wanted))}) AS a(stratum, n)
          ON a.stratum = r.stratum
        WHERE r.rank <= a.n
    """
    for stratum, n in wanted.items():
        params += [stratum, n]
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        drawn = cursor.fetchall()
    return time.perf_counter() - start, len(drawn)


# --- (d) the analyst ----------------------------------------------------------------------


def frame_export(cycle) -> str:
    """The analyst's COPY query: the register filtered to the frame, strata labelled (team
    name and case type, as the analyst would name them)."""
    return (
        "(SELECT c.case_ref, t.name || '/' || c.case_type AS stratum "
        "FROM audits_case c JOIN audits_team t ON t.id = c.team_id "
        f"WHERE c.opened_on <= '{cycle.period_end.isoformat()}' "
        f"AND (c.closed_on IS NULL OR c.closed_on >= '{cycle.period_start.isoformat()}')) "
        "TO {target} WITH (FORMAT csv, HEADER)"
    )


def export_register(query: str, export: Path) -> str:
    """Export the register to CSV as an analyst would: psql's \\copy if there is a psql
    (a C loop, faster than Python's), else COPY through psycopg. Returns which was used."""
    psql = shutil.which("psql")
    if psql:
        command = "\\copy " + query.format(target=f"'{export}'")
        subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command], check=True)
        return "psql"
    import psycopg

    with (
        psycopg.connect("") as connection,
        connection.cursor() as cursor,
        cursor.copy("COPY " + query.format(target="STDOUT")) as copy,
        export.open("wb") as out,
    ):
        for block in copy:
            out.write(block)
    return "psycopg"


def analyst(n: int, query: str, folder: str, repeat: int) -> None:
    """The analyst's session (its own process, pandas already imported): export the frame
    with its strata by one COPY query, sample each stratum with pandas, save the sample.
    Prints its times as JSON. The database comes from the PG* variables."""
    import pandas as pd

    export = Path(folder) / "frame.csv"
    start = time.perf_counter()
    exporter = export_register(query, export)
    exported = time.perf_counter()
    frame = pd.read_csv(export, dtype=str)
    sample = frame.groupby("stratum").sample(frac=n / len(frame), random_state=repeat)
    sample.to_csv(Path(folder) / "analyst-sample.csv", index=False)
    end = time.perf_counter()
    export.unlink()
    result = {"seconds": end - start, "export_s": exported - start, "sampled": len(sample)}
    result["exported"] = len(frame)
    print(json.dumps({**result, "exporter": exporter}))


def run_analyst(n: int, cycle, folder: Path, repeat: int) -> dict:
    """Run the analyst in a child process, so pandas' memory stays out of the draw's."""
    query = frame_export(cycle)
    arguments = json.dumps({"n": n, "query": query, "folder": str(folder), "repeat": repeat})
    completed = subprocess.run(
        [sys.executable, __file__, "--analyst", arguments],
        env={**os.environ, **libpq_env()},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


# --- main ---------------------------------------------------------------------------------


def bench_size(
    cases: int, n: int, repeats: int, *, profile: bool, trace: bool, closed_before: int
) -> dict:
    from audits.services.sample import cycle_plan

    log(f"building a register of {cases:,} cases")
    start = time.perf_counter()
    actor = build_register(cases, closed_before)
    log(f"  built in {time.perf_counter() - start:.1f}s")
    plan = cycle_plan(cycle=new_cycle(n))
    allocation = plan["allocation"]
    check(len(plan["strata"]) == len(CASE_TYPES) * TEAMS, f"strata: {plan['strata']}")
    scratch = Path(tempfile.mkdtemp(prefix="bench-sampling-work-"))
    best = {"draw": float("inf"), "floor": float("inf"), "random": float("inf")}
    best["analyst"] = float("inf")
    steps_of_best: dict[str, dict] = {}  # each method's steps in its best run
    peak_mb = peak_rss_mb = 0.0
    for repeat in range(1, repeats + 1):
        log(f"  run {repeat}/{repeats}, frame of {plan['population']:,}, n={n}")
        forget_draws()
        draw_s, memory, cycle, frame, draw_steps = run_draw(n, actor)
        peak_mb = max(peak_mb, memory.rise_mb)
        peak_rss_mb = max(peak_rss_mb, memory.peak_kb / 1024)
        log(f"      peak rise {memory.rise_mb:.0f} MB (peak RSS {memory.peak_kb / 1024:.0f} MB)")
        check(frame.size == plan["population"], f"the draw's frame has {frame.size} cases")
        selection_path = frame.selection_path

        floor_path = scratch / "floor-frame.csv.gz"
        floor = run_floor(cycle, floor_path, n)
        floor_s, rows = floor["seconds"], floor["rows"]
        log(
            f"  (b) floor {floor_s:.2f}s [stream to file {floor['stream_s']:.2f}s, "
            f"hash pass {floor['hash_s']:.2f}s] ({rows:,} rows)"
        )
        # Same output work: the floor wrote the very bytes the draw stored.
        check(rows == frame.size, f"the floor read {rows} rows, the draw {frame.size}")
        check(
            floor["frame_hash"] == frame.frame_hash,
            "the floor's frame hash differs from the draw's",
        )
        check(
            file_sha256(floor_path) == frame.file_hashes["frame"],
            "the floor's frame file differs from the draw's",
        )
        floor_path.unlink()

        random_s, drawn = run_random(cycle, allocation)
        log(f"  (c) ORDER BY random() {random_s:.2f}s ({drawn} drawn)")
        check(drawn == n, f"ORDER BY random() drew {drawn}, not {n}")

        analysis = run_analyst(n, cycle, scratch, repeat)
        check(analysis["exported"] == frame.size, f"the analyst exported {analysis['exported']}")
        analyst_s, exporter = analysis["seconds"], analysis["exporter"]
        log(
            f"  (d) analyst {analyst_s:.2f}s (export by {exporter} {analysis['export_s']:.2f}s,"
            f" {analysis['sampled']} sampled)"
        )
        release_memory()

        analyst_steps = {
            "export": round(analysis["export_s"], 3),
            "pandas": round(analyst_s - analysis["export_s"], 3),
        }
        floor_steps = {"stream": round(floor["stream_s"], 3), "hash": round(floor["hash_s"], 3)}
        for name, seconds, steps in (
            ("draw", draw_s, draw_steps),
            ("floor", floor_s, floor_steps),
            ("random", random_s, None),
            ("analyst", analyst_s, analyst_steps),
        ):
            if seconds < best[name]:
                best[name] = seconds
                if steps is not None:
                    steps_of_best[name] = steps
    extra = {"replace_s": round(run_replacement(cycle, actor), 3)}
    if trace:
        extra["draw_tracemalloc_mb"] = round(tracemalloc_draw(n, actor), 1)
    if profile:
        profile_draw(n, actor)
    shutil.rmtree(scratch)
    return {
        "bench": "sampling",
        "cases": cases,
        "closed_before_pct": closed_before,
        "strata": len(plan["strata"]),
        "frame": plan["population"],
        "n": n,
        "repeats": repeats,
        "draw_s": round(best["draw"], 3),
        "floor_s": round(best["floor"], 3),
        "random_s": round(best["random"], 3),
        "analyst_s": round(best["analyst"], 3),
        "draw_over_floor": round(best["draw"] / best["floor"], 3),
        "draw_over_random": round(best["draw"] / best["random"], 3),
        "draw_over_analyst": round(best["draw"] / best["analyst"], 3),
        "draw_peak_mb": round(peak_mb, 1),
        "draw_peak_rss_mb": round(peak_rss_mb, 1),
        "selection_path": selection_path,
        "analyst_export": exporter,
        **extra,
        "draw_steps": steps_of_best["draw"],
        "floor_steps": steps_of_best["floor"],
        "analyst_steps": steps_of_best["analyst"],
    }


def run_replacement(cycle, actor) -> float:
    """One replacement in the last draw's sample, timed: the next rank of its stratum."""
    from audits.models import SampledCase
    from audits.services.sample import sample_replace

    sampled = SampledCase.objects.filter(cycle=cycle, is_follow_up=False).order_by("pk").first()
    start = time.perf_counter()
    replacement = sample_replace(sampled_case=sampled, actor=actor, reason="bench")
    elapsed = time.perf_counter() - start
    check(replacement.stratum == sampled.stratum, "the replacement is in another stratum")
    log(f"  replacement {elapsed:.3f}s (rank {replacement.rank} of {replacement.stratum})")
    return elapsed


def tracemalloc_draw(n: int, actor) -> float:
    """Peak of Python allocations during one more, untimed draw (tracemalloc slows it)."""
    import tracemalloc

    from audits.services.sample import sample_draw

    forget_draws()
    cycle = new_cycle(n)
    release_memory()
    tracemalloc.start()
    try:
        sample_draw(cycle=cycle, actor=actor, witness_input=SEED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    log(f"  tracemalloc peak of a draw: {peak / 2**20:.0f} MB")
    return peak / 2**20


def profile_draw(n: int, actor) -> None:
    """One more draw under cProfile (slower than the timed ones); top functions to stderr."""
    import cProfile
    import io
    import pstats

    from audits.services.sample import sample_draw

    forget_draws()
    cycle = new_cycle(n)
    profiler = cProfile.Profile()
    profiler.enable()
    sample_draw(cycle=cycle, actor=actor, witness_input=SEED)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
    print(text.getvalue(), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="register sizes, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--n", type=int, default=1000, help="sample size (default: 1000)")
    parser.add_argument(
        "--closed-before",
        type=int,
        default=2,
        help="percent of the register closed before the period, so left out (default: 2)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=0,
        help="runs per size, the best kept (default: 3)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one extra draw")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="one extra, untimed draw under tracemalloc: adds draw_tracemalloc_mb",
    )
    parser.add_argument("--analyst", help=argparse.SUPPRESS)  # the analyst's child process
    args = parser.parse_args()
    if args.analyst:
        analyst(**json.loads(args.analyst))
        return
    setup_django()
    for cases in (int(size) for size in args.sizes.split(",")):
        repeats = args.repeats or 3
        result = bench_size(
            cases,
            args.n,
            repeats,
            profile=args.profile,
            trace=args.tracemalloc,
            closed_before=args.closed_before,
        )
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
