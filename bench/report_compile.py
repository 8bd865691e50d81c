"""Bench of the whole report compile the worker runs, against a floor; one JSON line a size.

    DATABASE_URL=postgres://user@host:port/scratch_db DATA_DIR=/tmp/bench-compile \\
        .venv/bin/python bench/report_compile.py [--sizes 5000,50000] [--frame 1000000]

It EMPTIES the database it is given (a scratch database only). For each size, three child
processes, so that each one's peak memory (``ru_maxrss``, the resident set of the process,
as the worker's CELERY_MAX_MEMORY_KB sees it) is its own:

1. build: bench/report.py's data (``--sizes`` audits, final, summarised, 10% moderated, a
   second audit on every 10th case) in a frame of ``--frame`` cases, with the frame file a
   draw writes (the product's ``sampling.write_frame_csv``, gzip CSV, its real hash).
2. compile: ``worker.compile.report_compile`` on a requested job, as the worker runs it:
   claim, build (figures, audit rows, hash, fingerprint), render (data.json, report.pdf,
   audits.csv), store; timed whole and by stage. Then, apart (not part of the compile: the
   report prints the command that re-checks the sample, it does not re-check it),
   ``sample_verify`` of the 1M-row frame: verify_s.
3. floor: the best known way to do the same work by hand -- the bare GROUP BYs of
   bench/report.py's floor (one statement over the stored summaries) plus one bare query of
   the appendix's rows (the completed first audits by case_ref, the same columns) rendered
   with bare reportlab: one LongTable per page-sized chunk, no styling, no cover, no
   charts, no other sections.

Targets: compile_over_floor <= 2 at 50,000 audits; peak_mb < 300 at every size and flat in
the number of audits (peak_mb at 50,000 / at 5,000 <= 1.3).
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import bench_environment, check, setup_django
from bench._common import log as _log

ROWS_PER_PAGE = 45  # the floor's LongTable chunk: about a page of one-line rows


def log(message: str) -> None:
    _log("report_compile", message)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. build -------------------------------------------------------------------------------


def build(audits: int, frame: int) -> dict:
    from django.db import connection

    from audits.core import sampling
    from audits.infra import files
    from audits.models import Frame
    from audits.selectors.sample_record import FRAMES
    from bench import report

    cycle = report.build(audits, frame_cases=frame)
    labels = "(SELECT name FROM audits_team t WHERE t.id = c.team_id) || '/' || c.case_type"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.case_ref, {labels} FROM audits_case c")
        rows = cursor.fetchall()
    frame_hash, sha256 = files.store(
        FRAMES, cycle.frame.frame_file, lambda out: sampling.write_frame_csv(rows, out)
    )
    Frame.objects.filter(pk=cycle.frame.pk).update(
        frame_hash=frame_hash, file_hashes={"frame": sha256}
    )
    return {"cycle": cycle.pk, "frame_rows": len(rows)}


# --- 2. the compile -------------------------------------------------------------------------


def timed(stages: dict, name: str, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def compile_once(cycle_id: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.storage import storages

    from audits.infra import files
    from audits.models import Cycle
    from audits.selectors import report_build as build_module
    from audits.selectors.sample_record import sample_verify
    from audits.services import reports
    from worker import compile as compile_module

    cycle = Cycle.objects.select_related("frame").get(pk=cycle_id)
    reports.enqueue = lambda job_id: True  # no broker: this process is the worker
    job = reports.report_request(cycle=cycle, actor=get_user_model().objects.first())
    stages: dict[str, float] = {}
    for module, name in (
        (build_module, "report_inputs"),
        (build_module, "response_inputs"),
        (build_module, "report_fingerprint"),
        (build_module, "compute_figures"),
        (build_module, "canonical_hash_streamed"),  # reads, hashes and keeps the audit rows
        (compile_module, "render_pdf"),
        (compile_module, "render_csv"),
        (compile_module.reports, "job_claim"),
        (compile_module.reports, "report_store"),
    ):
        setattr(module, name, timed(stages, name, getattr(module, name)))
    before = peak_mb()
    start = time.perf_counter()
    report = compile_module.report_compile(job.pk, "bench-task")
    seconds = time.perf_counter() - start
    check(report is not None, "the compile stored no report")
    folder = files.local_path(reports.REPORTS, report.folder) or report.folder
    storage = storages[reports.REPORTS]
    sizes = {kind: storage.size(reports.report_file_name(report, kind)) for kind in reports.FILES}
    compile_peak = peak_mb()
    start = time.perf_counter()
    verified = sample_verify(cycle=cycle)
    verify_s = time.perf_counter() - start
    check("error" not in verified, f"the frame could not be verified: {verified.get('error')}")
    return {
        "compile_s": round(seconds, 3),
        "stages_s": {name: round(value, 3) for name, value in sorted(stages.items())},
        "peak_mb": round(compile_peak, 1),
        "peak_before_compile_mb": round(before, 1),
        "files_kib": {kind: size >> 10 for kind, size in sizes.items()},
        "figures_kib": len(json.dumps(report.figures)) >> 10,
        "appendix_in_figures": "appendix" in report.figures,
        "folder": str(folder),
        "verify_s": round(verify_s, 3),
        "verify_match": verified.get("match"),
        "peak_with_verify_mb": round(peak_mb(), 1),
    }


# --- 3. the floor ---------------------------------------------------------------------------


def floor_once(cycle_id: int) -> dict:
    from django.db import connection
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import LongTable, SimpleDocTemplate

    from audits.models import Cycle
    from bench import report

    cycle = Cycle.objects.get(pk=cycle_id)
    start = time.perf_counter()
    group_by_s, _ = report.run_floor(cycle)
    read = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.case_ref, t.name, c.case_type, sc.stratum, st.name, a.overall_grade::text,
                   a.moderated_overall_grade::text,
                   coalesce(a.moderated_overall_grade, a.overall_grade)::text,
                   array_to_string(ARRAY(SELECT jsonb_array_elements_text(a.themes)), '; '),
                   CASE WHEN sc.is_follow_up THEN 'Yes' ELSE '' END
            FROM audits_audit a
            JOIN audits_assignment asg ON asg.id = a.assignment_id
            JOIN audits_sampledcase sc ON sc.id = asg.sampled_case_id
            JOIN audits_case c ON c.id = sc.case_id
            JOIN audits_team t ON t.id = c.team_id
            JOIN audits_staff st ON st.id = asg.auditor_id
            WHERE sc.cycle_id = %s AND asg.role = 'primary' AND a.status IN ('submitted', 'final')
            ORDER BY c.case_ref
            """,
            [cycle.pk],
        )
        rows = cursor.fetchall()
    rendered = time.perf_counter()
    out = io.BytesIO()
    story = [
        LongTable([["Case", "Team", "Kind", "Stratum", "Auditor", "G", "M", "F", "Themes", "FU"]])
    ]
    story += [
        LongTable([list(r) for r in rows[i : i + ROWS_PER_PAGE]])
        for i in range(0, len(rows), ROWS_PER_PAGE)
    ]
    SimpleDocTemplate(out, pagesize=A4, invariant=1).build(story)
    end = time.perf_counter()
    return {
        "floor_s": round(end - start, 3),
        "floor_group_by_s": round(group_by_s, 3),
        "floor_read_s": round(rendered - read, 3),
        "floor_render_s": round(end - rendered, 3),
        "floor_rows": len(rows),
        "floor_pdf_kib": len(out.getvalue()) >> 10,
    }


# --- main -----------------------------------------------------------------------------------


def child(*arguments: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    sys.stderr.write(completed.stderr[-3000:] if completed.returncode else "")
    if completed.returncode:
        raise RuntimeError(f"{arguments[0]} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,50000", help="audits, comma separated")
    parser.add_argument("--frame", type=int, default=1_000_000, help="cases in the frame")
    parser.add_argument("--child", choices=("build", "compile", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--audits", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cycle", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        setup_django("report_compile")  # migrates, then the data
    elif args.child:
        # As a worker starts: Django set up, nothing else run in the process.
        os.environ.update(bench_environment("report_compile"))
        import django

        django.setup()
    if args.child:
        if args.child == "build":
            result = build(args.audits, args.frame)
        elif args.child == "compile":
            result = compile_once(args.cycle)
        else:
            result = floor_once(args.cycle)
        print(json.dumps(result), flush=True)
        return
    peaks = {}
    for audits in (int(size) for size in args.sizes.split(",")):
        log(f"building {audits:,} audits in a frame of {args.frame:,} cases")
        built = child("--child", "build", "--audits", str(audits), "--frame", str(args.frame))
        log(f"  built: {built}")
        compiled = child("--child", "compile", "--cycle", str(built["cycle"]))
        log(f"  compiled in {compiled['compile_s']}s, peak {compiled['peak_mb']} MB")
        floor = child("--child", "floor", "--cycle", str(built["cycle"]))
        log(f"  floor {floor['floor_s']}s")
        peaks[audits] = compiled["peak_mb"]
        result = {
            "bench": "report_compile",
            "audits": audits,
            "frame_rows": built["frame_rows"],
            **compiled,
            **floor,
            "compile_over_floor": round(compiled["compile_s"] / floor["floor_s"], 3),
        }
        result.pop("folder")
        result["targets_met"] = {
            "peak_mb<300": compiled["peak_mb"] < 300,
            "compile_over_floor<=2": result["compile_over_floor"] <= 2,
        }
        if len(peaks) > 1:
            growth = round(peaks[audits] / peaks[min(peaks)], 3)
            result["peak_over_smallest_size"] = growth
            result["targets_met"]["peak_flat<=1.3"] = growth <= 1.3
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
