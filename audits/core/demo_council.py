"""A synthetic council for demos and tests: plain data, deterministic for a seed and a day.

No real people: case refs are random digits, staff names are invented from short lists.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

TEAMS = [
    ("Front Door", "front_door", {"referral": 1.0}),
    ("Assessment North", "assessment", {"assessment": 1.0}),
    ("Assessment South", "assessment", {"assessment": 1.0}),
    ("Child in Need East", "cin", {"cin": 1.0}),
    ("Child in Need West", "cin", {"cin": 1.0}),
    ("Child Protection One", "cp", {"cp": 1.0}),
    ("Child Protection Two", "cp", {"cp": 1.0}),
    ("Children Looked After", "cla", {"cla": 1.0}),
    ("Care Leavers", "care_leavers", {"care_leaver": 1.0}),
    ("Early Help", "early_help", {"early_help": 1.0}),
    ("Disabled Children", "disabled_children", {"cin": 0.6, "cp": 0.15, "cla": 0.25}),
]
QA_TEAM = ("Quality Assurance", "quality_assurance")
# Share of the caseload held by each team, roughly a mid-sized council's mix.
TEAM_SHARE = [0.07, 0.08, 0.08, 0.13, 0.13, 0.07, 0.07, 0.16, 0.07, 0.09, 0.05]
FIRST = ["Sam", "Alex", "Priya", "Tom", "Aisha", "Jo", "Mark", "Chloe", "Dev", "Grace", "Owen"]
LAST = ["Patel", "Jones", "Okafor", "Smith", "Hughes", "Khan", "Evans", "Brown", "Ali", "Reid"]
WORKERS_PER_TEAM = 6
AUDITORS = 8
PASSWORD = "caseassure-demo-2026"  # noqa: S105 - demo logins only; refused in production


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


@dataclass
class StaffRow:
    staff_ref: str
    name: str
    team: str | None
    roles: list[str] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)
    capacity: int = 0
    username: str | None = None


@dataclass
class CaseRow:
    case_ref: str
    team: str
    case_type: str
    opened_on: date
    closed_on: date | None
    worker: str
    manager: str
    birth_year: int


@dataclass
class Council:
    teams: list[tuple[str, str]]
    staff: list[StaffRow]
    cases: list[CaseRow]
    allocations: list[tuple[str, str, str, date, date | None]]  # case, staff, role, from, to
    conflicts: list[tuple[str, str | None, str | None, str]]  # auditor, case, worker, reason


def build_council(*, cases: int, seed: int, today: date) -> Council:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
    teams = [(name, area) for name, area, _ in TEAMS] + [QA_TEAM]
    staff: list[StaffRow] = []

    def person() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

    workers: dict[str, list[str]] = {}
    managers: dict[str, str] = {}
    for number, (name, _, _) in enumerate(TEAMS, start=1):
        manager_ref = f"TM{number:03d}"
        managers[name] = manager_ref
        # Team managers peer-audit a few files a month for other teams, and read and answer
        # the findings of audits of their own team's cases (the practitioner role).
        staff.append(
            StaffRow(
                manager_ref,
                person(),
                name,
                ["manager", "auditor", "practitioner"],
                [name],
                3,
                f"manager.{slug(name)}",
            )
        )
        workers[name] = []
        for index in range(WORKERS_PER_TEAM):
            ref = f"SW{number:02d}{index + 1:02d}"
            workers[name].append(ref)
            # Social workers sign in as practitioners: the findings of audits of the cases
            # they held, and the actions they own. Login: the staff reference in lower case.
            staff.append(StaffRow(ref, person(), name, ["practitioner"], username=ref.lower()))
    all_case_teams = [name for name, _, _ in TEAMS]
    for number in range(1, 4):
        covered = all_case_teams[(number - 1) * 4 : number * 4]
        staff.append(StaffRow(f"SM{number:03d}", person(), None, [], covered))
    staff.append(StaffRow("QA001", person(), QA_TEAM[0], ["manager"], all_case_teams, 0, "qa.lead"))
    for number in range(1, AUDITORS + 1):
        staff.append(
            StaffRow(
                f"QA{number + 1:03d}",
                person(),
                QA_TEAM[0],
                ["auditor"],
                [],
                12,
                f"auditor.{number}",
            )
        )
    staff.append(StaffRow("IA001", person(), None, ["internal_auditor"], [], 0, "internal.audit"))
    staff.append(StaffRow("AD001", person(), None, ["admin"], [], 0, "admin"))

    case_rows: list[CaseRow] = []
    allocations = []
    refs = rng.sample(range(100000, 999999), cases)
    peer_auditors = [row.staff_ref for row in staff if row.staff_ref.startswith("TM")]
    for ref_number in refs:
        team_name, _, types = rng.choices(TEAMS, weights=TEAM_SHARE)[0]
        case_type = rng.choices(list(types), weights=list(types.values()))[0]
        opened = today - timedelta(days=rng.randint(20, 3 * 365))
        closed = None
        if rng.random() < 0.15:
            closed = min(today, opened + timedelta(days=rng.randint(10, 400)))
        case_ref = f"C{ref_number}"
        history = rng.sample(workers[team_name], k=rng.choice([1, 1, 2, 3]))
        if rng.random() < 0.05:
            # Some managers once held cases in other teams: rule R2 must catch these.
            history.insert(0, rng.choice(peer_auditors))
        # Split the case's life into one spell per worker, the last one still open if the
        # case is.
        end_of_life = closed or today
        span = (end_of_life - opened).days
        cuts = sorted(rng.sample(range(1, span), len(history) - 1)) if span > len(history) else []
        starts = [opened] + [opened + timedelta(days=cut) for cut in cuts]
        for position, worker in enumerate(history):
            start = starts[min(position, len(starts) - 1)]
            last = position == len(history) - 1
            end = closed if last else starts[min(position + 1, len(starts) - 1)]
            allocations.append((case_ref, worker, "worker", start, end))
        allocations.append((case_ref, managers[team_name], "manager", opened, closed))
        case_rows.append(
            CaseRow(
                case_ref,
                team_name,
                case_type,
                opened,
                closed,
                history[-1],
                managers[team_name],
                today.year - rng.randint(0, 17),
            )
        )
    conflicts = []
    auditor_refs = [
        row.staff_ref for row in staff if row.username and row.username.startswith("auditor.")
    ]
    for index in range(min(10, len(case_rows))):
        auditor = rng.choice(auditor_refs)
        if index % 2:
            conflicts.append((auditor, rng.choice(case_rows).case_ref, None, "Knows the family"))
        else:
            worker = rng.choice(rng.choice(list(workers.values())))
            conflicts.append((auditor, None, worker, "Close relative of the worker"))
    return Council(teams, staff, case_rows, allocations, conflicts)
