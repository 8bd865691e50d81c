"""Load bench of the autosave API under gunicorn and PostgreSQL; one JSON line.

    DATABASE_URL=postgres://user@host:port/scratch_db DATA_DIR=/tmp/bench-load \\
        .venv/bin/python bench/load.py [--quick]

It runs ``migrate`` and then EMPTIES the database it is given (flush): a scratch database
only. Set-up: ``seed_demo``, a cycle drawn and assigned through the services (nothing
submitted), one API token per simulated auditor -- auditor i works on audit i with a
token of that audit's auditor (one login may hold several audits). gunicorn then serves
``bench.load:floor_application()`` with the production settings (``DJANGO_ENV=production``,
DEBUG off; only the HTTPS redirect is off, as no TLS proxy stands in front): the
application of backend.wsgi unchanged, plus one bench-only path, ``/bench-floor/<id>/``,
a plain Django view (same middleware, csrf-exempt, no auth, no validation) doing
``Audit.objects.filter(pk=id).update(answers=..., version=F("version") + 1)``. The app's
URLs are not touched.

- (i) ``--auditors`` simulated auditors (asyncio, raw HTTP/1.1 on 127.0.0.1; gunicorn's
  sync workers close each connection) each open their audit (GET) and then autosave
  (PATCH /api/v1/audits/{id}/ with {"version", "answers"}: the whole form so far, one
  answer changed) every 2 s for ``--duration`` seconds, starts spread over the first 2 s.
  A 409 is counted as a conflict (then the audit is read again), anything else that is not
  a 200 -- or a timeout, or a refused connection -- as an error. p50/p95/p99 are over the
  autosaves; afterwards every audit's stored version and answers must equal what its
  auditor last saved (nothing lost).
- (ii) closed loop: ``--clients`` clients, each on its own audit, send the same kind of
  request back to back for ``--seconds`` to our endpoint and then to the floor (same rows,
  same JSON bodies); ``--rounds`` alternations, best requests/s of each kept.

- (iii) capacity (bench/load_capacity.py): open-loop ramps of the offered rate, up by 1.4x
  every ``--ramp-seconds`` from 25/s, until p95 passes 150 ms (or >1% fail), for autosaves
  and for opens (GET /api/v1/audits/{id}/), on our endpoints and on the floor's
  (``/bench-floor/<id>/``: PATCH as above; GET reads the row's version and answers,
  writes the AccessLog row every read of case data must leave, and returns them as JSON:
  no auth, no scope, no serializer). The floor is the best known way to do the same
  database work (the same row read or updated, the same read recorded) through the same
  server and middleware. knee_rps: the highest rate kept within 150 ms; knee_ratio = ours / floor.

The server runs with the project's gunicorn.conf.py (workers and threads from the cores,
the database pool in each web process) unless --workers/--threads say otherwise.

Targets: zero errors and p95 < 150 ms in (i) on the 2-core machine, throughput_ratio
(ours / floor) >= 0.5 in (ii), knee_ratio >= 0.5 for saves and for opens in (iii).
Progress goes to stderr, the JSON line to stdout.
"""

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, check, empty_database, percentile, setup_django
from bench._common import log as _log
from bench.load_capacity import ramp

HOST = "127.0.0.1"
TIMEOUT_S = 10.0  # a request slower than this counts as an error
SAVE_EVERY_S = 2.0
SEED = "bench-load-2026"
WARM_UP_ROUNDS = 5
FLOOR_PREFIX = "/bench-floor/"
# The server runs with the production settings (DEBUG off, secure cookies, HSTS, ...) as
# docker-compose.yml runs it, except the HTTPS redirect: there is no TLS proxy in front of
# the bench, and the redirect would answer every request with a 301.
PRODUCTION_LIKE = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SECURE_SSL_REDIRECT": "0",
}


def log(message: str) -> None:
    _log("load", message)


# --- the server: the app plus the floor --------------------------------------------------


def floor_application():
    """gunicorn's entry point (``bench.load:floor_application()``): backend.wsgi's
    application for every path but ``/bench-floor/<id>/``, which a second Django handler
    (same settings, same middleware) routes to a plain view with its own URL list."""
    import importlib

    app = importlib.import_module("backend.wsgi").application  # sets Django up first
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.models import F
    from django.http import HttpResponse, HttpResponseBadRequest
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from audits.models import AccessLog, Audit

    @csrf_exempt
    def floor_view(request, pk: int):
        if request.method == "GET":  # the floor of an open: the row, its read logged
            row = Audit.objects.values("version", "answers", "assignment__auditor__user_id").get(
                pk=pk
            )
            reader = row.pop("assignment__auditor__user_id")
            AccessLog.objects.create(user_id=reader, object_type="audit", object_id=str(pk))
            return HttpResponse(json.dumps(row).encode(), content_type="application/json")
        try:
            answers = json.loads(request.body)["answers"]
        except (ValueError, KeyError, TypeError):
            return HttpResponseBadRequest()
        Audit.objects.filter(pk=pk).update(answers=answers, version=F("version") + 1)
        return HttpResponse(b"{}", content_type="application/json")

    class FloorUrls:  # a hashable urlconf: Django caches resolvers by urlconf
        urlpatterns = [path("bench-floor/<int:pk>/", floor_view)]

    class FloorHandler(WSGIHandler):
        def get_response(self, request):
            request.urlconf = FloorUrls
            return super().get_response(request)

    floor = FloorHandler()

    def application(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(FLOOR_PREFIX):
            return floor(environ, start_response)
        return app(environ, start_response)

    return application


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn as a child process with the project's gunicorn.conf.py (workers and threads
    from the cores, the database pool) unless --workers/--threads say otherwise; stopped
    (SIGTERM, then SIGKILL) on exit."""

    app = "bench.load:floor_application()"  # gunicorn's APP_MODULE

    def __init__(self, environment: dict[str, str], workers: int | None, threads: int | None):
        self.port = free_port()
        self.log_path = Path(environment["DATA_DIR"]) / "gunicorn.log"
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        # gunicorn >= 24 opens a control socket at one fixed path per user; the bench's
        # server must not take it from (or clash with) another gunicorn on the machine.
        usage = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
        private = ["--no-control-socket"] if "--no-control-socket" in usage else []
        sizes = [*(["--workers", str(workers)] if workers else [])]
        sizes += ["--threads", str(threads)] if threads else []
        command = [
            gunicorn,
            *private,
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            *sizes,
            "--bind",
            f"{HOST}:{self.port}",
            "--chdir",
            str(ROOT),
            "--graceful-timeout",
            "10",
            self.app,
        ]
        env = {**os.environ, **environment, **PRODUCTION_LIKE, "ALLOWED_HOSTS": HOST}
        self.log_file = self.log_path.open("w")
        log(f"starting gunicorn ({' '.join(sizes) or 'gunicorn.conf.py'}) on port {self.port}")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=ROOT
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.tail()}")
            try:
                status, _, _, _ = asyncio.run(call(self.port, "GET", "/health/", timeout=5))
            except (OSError, TimeoutError):
                status = None
            if status == 200:
                return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /health/ in {seconds}s: {self.tail()}")

    def tail(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()
        log(f"gunicorn stopped (exit {self.process.returncode})")


# --- HTTP ---------------------------------------------------------------------------------


async def call(
    port: int,
    method: str,
    target: str,
    body: bytes = b"",
    token: str | None = None,
    timeout: float = TIMEOUT_S,
) -> tuple[int, dict[str, str], bytes, float]:
    """One HTTP/1.1 request on a fresh connection (the sync workers close it after the
    response). Returns (status, headers, body, seconds). Raises OSError or TimeoutError."""

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            head = (
                f"{method} {target} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n"
                "Accept: application/json\r\n"
            )
            if token:
                head += f"Authorization: Token {token}\r\n"
            if body or method in ("POST", "PATCH", "PUT"):
                head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"\r\n" + body)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    start = time.perf_counter()
    data = await asyncio.wait_for(exchange(), timeout)
    elapsed = time.perf_counter() - start
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1."):
        raise ConnectionError(f"not an HTTP response: {data[:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, payload, elapsed


# --- set-up -------------------------------------------------------------------------------


@dataclass
class Seat:
    """One simulated auditor: the audit it works on and a token of that audit's auditor."""

    audit_id: int
    token: str
    version: int = 0
    answers: dict = field(default_factory=dict)
    edits: int = 0


def prepare(auditors: int) -> tuple[list[Seat], list[dict]]:
    """seed_demo, then a cycle drawn and assigned through the services; one token per seat."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from audits.core import grading
    from audits.models import ApiToken, Audit, Cycle
    from audits.services import assignment, sample
    from audits.services.templates import current_template

    empty_database("load")
    call_command("seed_demo", cases=1500, seed=2026, history=False, stdout=io.StringIO())
    lead = User.objects.get(username="qa.lead")
    today = date.today()
    n = max(60, auditors + 20)
    cycle = Cycle.objects.create(
        name="Bench load cycle",
        period_start=today - timedelta(days=90),
        period_end=today,
        stratify_by=Cycle.Stratify.CASE_TYPE,
        plan={"method": "fixed", "n": n, "allocation": "proportional", "minimum": 2},
        template=current_template(),
        second_share=0.25,
        moderation_share=0.1,
        created_by=lead,
    )
    sample.sample_draw(cycle=cycle, actor=lead, witness_input=SEED)
    summary = assignment.cycle_assign(cycle=cycle, actor=lead)
    audits = list(
        Audit.objects.filter(assignment__sampled_case__cycle=cycle)
        .select_related("assignment__auditor__user", "template")
        .order_by("pk")
    )
    check(
        len(audits) >= auditors,
        f"only {len(audits)} audits were assigned ({summary['assigned']} primary, "
        f"{summary['second']} second); {auditors} are needed",
    )
    seats = []
    for number, audit in enumerate(audits[:auditors]):
        _, raw = ApiToken.issue(user=audit.assignment.auditor.user, name=f"bench-load-{number}")
        seats.append(Seat(audit.pk, raw))
    logins = len({audit.assignment.auditor.user_id for audit in audits[:auditors]})
    log(
        f"cycle {cycle.pk}: {len(audits)} audits assigned; {auditors} simulated auditors on "
        f"{logins} auditor logins"
    )
    questions = [
        {"key": q["key"], "kind": q["kind"], "choices": q.get("choices") or []}
        for q in grading.questions(audits[0].template.definition)
    ]
    return seats, questions


def edit(seat: Seat, questions: list[dict], number: int) -> dict:
    """The auditor's next change: one answer set (or changed), the whole form sent."""
    seat.edits += 1
    k = seat.edits + number
    question = questions[k % len(questions)]
    turn = k // len(questions) + number
    value = {
        "grade": lambda: 1 + turn % 4,
        "yes_no_na": lambda: ("yes", "no", "na")[turn % 3],
        "choice": lambda: question["choices"][turn % len(question["choices"])],
        "number": lambda: k,
        "date": lambda: (date(2025, 1, 1) + timedelta(days=k % 365)).isoformat(),
        "text": lambda: f"Note {k}",
    }[question["kind"]]()
    return {**seat.answers, question["key"]: value}


class Tally:
    def __init__(self):
        self.latencies: list[float] = []
        self.opens: list[float] = []
        self.requests = 0
        self.ok = 0
        self.conflicts = 0
        self.errors: Counter = Counter()

    def failed(self, kind: str) -> None:
        self.errors[kind] += 1


async def open_audit(port: int, seat: Seat, tally: Tally) -> bool:
    tally.requests += 1
    try:
        status, _, payload, seconds = await call(
            port, "GET", f"/api/v1/audits/{seat.audit_id}/", token=seat.token
        )
    except (OSError, TimeoutError) as problem:
        tally.failed(f"open {type(problem).__name__}")
        return False
    tally.opens.append(seconds)
    if status != 200:
        tally.failed(f"open {status}")
        return False
    data = json.loads(payload)
    seat.version, seat.answers = data["version"], data["answers"]
    return True


async def autosave(port: int, seat: Seat, answers: dict, tally: Tally, target: str) -> None:
    """PATCH one autosave (or the floor's equivalent); keeps the seat's version current."""
    body = json.dumps({"version": seat.version, "answers": answers}).encode()
    tally.requests += 1
    try:
        status, headers, _, seconds = await call(port, "PATCH", target, body, token=seat.token)
    except (OSError, TimeoutError) as problem:
        tally.failed(type(problem).__name__)
        return
    tally.latencies.append(seconds)
    if status == 200:
        tally.ok += 1
        seat.answers = answers
        etag = headers.get("etag")
        seat.version = int(etag.strip('"')) if etag else seat.version + 1
    elif status == 409:
        tally.conflicts += 1
        await open_audit(port, seat, tally)
    else:
        tally.failed(str(status))


# --- (i) auditors autosaving ---------------------------------------------------------------


async def auditors_phase(port: int, seats: list[Seat], questions: list[dict], duration: float):
    tally = Tally()
    loop = asyncio.get_running_loop()
    rng = random.Random(SEED)
    start = loop.time()
    end = start + duration

    async def auditor(number: int, seat: Seat) -> None:
        offset = rng.uniform(0, SAVE_EVERY_S)
        await asyncio.sleep(offset)
        opened = await open_audit(port, seat, tally)
        due = start + offset + SAVE_EVERY_S
        saves = 0
        while due < end and saves <= duration / SAVE_EVERY_S + 1:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not opened:
                opened = await open_audit(port, seat, tally)
            else:
                target = f"/api/v1/audits/{seat.audit_id}/"
                await autosave(port, seat, edit(seat, questions, number), tally, target)
                saves += 1
            # A save slower than the period delays the next one, as a browser's would.
            due = max(due + SAVE_EVERY_S, loop.time())

    await asyncio.gather(*(auditor(number, seat) for number, seat in enumerate(seats)))
    return tally, loop.time() - start


def nothing_lost(seats: list[Seat]) -> int:
    """Audits whose stored version or answers differ from what their auditor last saved."""
    from django.db import connection

    from audits.models import Audit

    connection.close()  # idle through the phase: a fresh connection, not a stale one

    stored = {
        pk: (version, answers)
        for pk, version, answers in Audit.objects.filter(
            pk__in=[s.audit_id for s in seats]
        ).values_list("pk", "version", "answers")
    }
    return sum(stored[s.audit_id] != (s.version, s.answers) for s in seats)


# --- (ii) closed loop ---------------------------------------------------------------------


async def closed_loop(
    port: int, seats: list[Seat], questions: list[dict], seconds: float, floor: bool
) -> tuple[Tally, float]:
    tally = Tally()
    for seat in seats:
        if not await open_audit(port, seat, tally):
            raise RuntimeError(f"could not open audit {seat.audit_id} before the closed loop")
    tally = Tally()
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + seconds
    finished = start

    async def client(number: int, seat: Seat) -> None:
        nonlocal finished
        target = f"{FLOOR_PREFIX}{seat.audit_id}/" if floor else f"/api/v1/audits/{seat.audit_id}/"
        # Bounded in time and in count (more than any endpoint could serve in the time).
        for _ in range(int(seconds * 5000)):
            if loop.time() >= deadline:
                break
            await autosave(port, seat, edit(seat, questions, number), tally, target)
            finished = max(finished, loop.time())

    await asyncio.gather(*(client(number, seat) for number, seat in enumerate(seats)))
    return tally, finished - start


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "p50": ms(percentile(ordered, 0.50)),
        "p95": ms(percentile(ordered, 0.95)),
        "p99": ms(percentile(ordered, 0.99)),
        "max": ms(ordered[-1] if ordered else None),
    }


async def warm_up(port: int, seats: list[Seat], questions: list[dict]) -> None:
    """Every worker imports and connects once before anything is timed: rounds of requests
    until one goes through without an error (a worker's first request may time out on a
    busy machine), at most WARM_UP_ROUNDS."""
    seat = seats[0]
    for _ in range(WARM_UP_ROUNDS):
        tally = Tally()
        for _ in range(12):
            if not await open_audit(port, seat, tally):
                continue
            await autosave(
                port, seat, edit(seat, questions, 0), tally, f"/api/v1/audits/{seat.audit_id}/"
            )
            await autosave(
                port, seat, edit(seat, questions, 0), tally, f"{FLOOR_PREFIX}{seat.audit_id}/"
            )
        if not tally.errors:
            return
        log(f"warm-up round with errors {dict(tally.errors)}; again")
    check(False, f"warm-up failed: {dict(tally.errors)}")


def capacity(port: int, seats: list[Seat], questions: list[dict], args) -> dict:
    """(iii) The knee of each endpoint and its floor, saves then opens (bench/load_capacity)."""
    found = {}
    for kind in ("save", "open"):
        for name in ("ours", "floor"):
            for seat in seats:  # the versions as stored now (the floor moves them too)
                if not asyncio.run(open_audit(port, seat, Tally())):
                    raise RuntimeError(f"could not open audit {seat.audit_id} before the ramp")
            found[kind, name] = ramp(
                port,
                seats,
                questions,
                kind=kind,
                floor=name == "floor",
                seconds=args.ramp_seconds,
                max_rate=args.max_rate,
                budget=args.ramp_budget,
                call=call,
                edit=edit,
                prefix=FLOOR_PREFIX,
                log=log,
            )
    result = {}
    for kind in ("save", "open"):
        ours, floor = found[kind, "ours"]["knee_rps"], found[kind, "floor"]["knee_rps"]
        result[kind] = {
            "knee_rps": ours,
            "floor_knee_rps": floor,
            "knee_ratio": round(ours / floor, 3) if floor else None,
            "steps": found[kind, "ours"]["steps"],
            "floor_steps": found[kind, "floor"]["steps"],
        }
    return result


def run(args, environment: dict[str, str]) -> dict:
    all_seats, questions = prepare(max(args.auditors, args.ramp_seats if args.ramp else 0))
    seats = all_seats[: args.auditors]
    server = Gunicorn(environment, workers=args.workers, threads=args.threads)
    try:
        server.wait_ready()
        asyncio.run(warm_up(server.port, seats, questions))

        log(f"(i) {args.auditors} auditors autosaving every {SAVE_EVERY_S:g}s for {args.duration}s")
        tally, elapsed = asyncio.run(auditors_phase(server.port, seats, questions, args.duration))
        saves = summary(tally.latencies)
        lost = nothing_lost(seats)
        log(
            f"    {tally.requests} requests ({len(tally.latencies)} autosaves) in {elapsed:.1f}s:"
            f" p50 {saves['p50']} ms, p95 {saves['p95']} ms, p99 {saves['p99']} ms, max "
            f"{saves['max']} ms; errors {dict(tally.errors) or 0}, conflicts {tally.conflicts},"
            f" audits not as last saved {lost}"
        )

        clients = seats[: args.clients]
        best = {"ours": (0.0, None), "floor": (0.0, None)}
        closed_errors: Counter = Counter()
        for round_number in range(1, args.rounds + 1):
            for name in ("ours", "floor"):
                result, spent = asyncio.run(
                    closed_loop(server.port, clients, questions, args.seconds, name == "floor")
                )
                rps = result.ok / spent if spent else 0.0
                closed_errors.update({f"{name} {k}": v for k, v in result.errors.items()})
                if result.conflicts:
                    closed_errors[f"{name} 409"] += result.conflicts
                latency = summary(result.latencies)
                log(
                    f"(ii) round {round_number} {name}: {result.ok} saves in {spent:.1f}s = "
                    f"{rps:.1f}/s with {len(clients)} clients (p50 {latency['p50']} ms); "
                    f"errors {dict(result.errors) or 0}, conflicts {result.conflicts}"
                )
                if rps > best[name][0]:
                    best[name] = (rps, latency)
        lost_after = nothing_lost(clients) if not closed_errors else None
        knees = capacity(server.port, all_seats, questions, args) if args.ramp else None
    finally:
        server.stop()
    ours_rps, ours_latency = best["ours"]
    floor_rps, floor_latency = best["floor"]
    ratio = ours_rps / floor_rps if floor_rps else None
    errors = sum(tally.errors.values())
    return {
        "bench": "load",
        "auditors": args.auditors,
        "duration_s": args.duration,
        "workers": args.workers or "gunicorn.conf.py",
        "threads": args.threads or "gunicorn.conf.py",
        "requests": tally.requests,
        "autosaves": len(tally.latencies),
        "errors": errors,
        "conflicts": tally.conflicts,
        "p50_ms": saves["p50"],
        "p95_ms": saves["p95"],
        "p99_ms": saves["p99"],
        "max_ms": saves["max"],
        "open_p95_ms": summary(tally.opens)["p95"],
        "lost_updates": lost,
        "closed_clients": len(clients),
        "closed_seconds": args.seconds,
        "rounds": args.rounds,
        "throughput_rps": round(ours_rps, 1),
        "floor_rps": round(floor_rps, 1),
        "throughput_ratio": None if ratio is None else round(ratio, 3),
        "closed_p50_ms": ours_latency and ours_latency["p50"],
        "floor_p50_ms": floor_latency and floor_latency["p50"],
        "closed_errors": dict(closed_errors),
        "closed_lost_updates": lost_after,
        "capacity": knees,
        "targets_met": {
            "zero_errors": errors == 0 and lost == 0,
            "p95_under_150ms": saves["p95"] is not None and saves["p95"] < 150,
            "throughput_ratio_at_least_0.5": ratio is not None and ratio >= 0.5,
            "knee_ratio_at_least_0.5": None
            if knees is None
            else all((k["knee_ratio"] or 0) >= 0.5 for k in knees.values()),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auditors", type=int, default=50, help="simulated auditors (i)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of autosaving (i)")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients (ii)")
    parser.add_argument("--seconds", type=int, default=20, help="closed-loop seconds each (ii)")
    parser.add_argument("--rounds", type=int, default=2, help="ours/floor alternations (ii)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads each (default: gunicorn.conf.py)"
    )
    parser.add_argument(
        "--no-ramp", dest="ramp", action="store_false", help="skip the capacity ramp (iii)"
    )
    parser.add_argument("--ramp-seats", type=int, default=100, help="audits the ramp uses")
    parser.add_argument("--ramp-seconds", type=float, default=3.0, help="seconds per step")
    parser.add_argument("--max-rate", type=float, default=3000.0, help="highest rate tried")
    parser.add_argument(
        "--ramp-budget", type=float, default=60.0, help="seconds at most per ramp (4 ramps)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 10 auditors for 10 s, 4 clients for 5 s"
    )
    args = parser.parse_args()
    if args.quick:
        args.auditors, args.duration, args.clients, args.seconds, args.rounds = 10, 10, 4, 5, 1
        args.ramp_seconds, args.ramp_budget = 1.0, 8.0
    if not 1 <= args.auditors <= 100:
        parser.error("--auditors must be 1..100 (the demo council's auditors' capacity)")
    if not 1 <= args.clients <= args.auditors:
        parser.error("--clients must be 1..--auditors (one audit each)")
    if not (1 <= args.duration <= 600 and 1 <= args.seconds <= 300 and 1 <= args.rounds <= 5):
        parser.error("--duration 1..600, --seconds 1..300, --rounds 1..5")
    if not (1 <= args.ramp_seats <= 100 and 0.5 <= args.ramp_seconds <= 30):
        parser.error("--ramp-seats 1..100, --ramp-seconds 0.5..30")
    if not (1 <= args.max_rate <= 10_000 and 1 <= args.ramp_budget <= 600):
        parser.error("--max-rate 1..10000, --ramp-budget 1..600")
    environment = setup_django("load")
    print(json.dumps(run(args, environment)), flush=True)


if __name__ == "__main__":
    main()
