import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from audits.core.demo_council import PASSWORD, build_council
from audits.core.roles import ALL_ROLES
from audits.models import Allocation, Case, Conflict, Staff, Team
from audits.services.demo import demo_history_build
from audits.services.history import event_record
from audits.services.templates import default_template_install

SILENT_EMAIL = "django.core.mail.backends.dummy.EmailBackend"


class Command(BaseCommand):
    help = (
        "Load a synthetic council (teams, staff, cases, history, conflicts) with demo logins, "
        "and its audit history: two finished quarterly cycles with their reports and the "
        "current quarter's cycle in progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1500)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--password", default=PASSWORD)
        parser.add_argument(
            "--without-history",
            dest="history",
            action="store_false",
            help="Only the council: no cycles, audits or reports (for tests that make their own).",
        )

    def handle(self, *args, cases: int, seed: int, password: str, history: bool = True, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        if cases < 1 or cases > 500_000:
            raise CommandError("--cases must be between 1 and 500000")
        if Team.objects.exists():
            self.stdout.write("Demo data is already loaded; nothing changed.")
            return
        council = build_council(cases=cases, seed=seed, today=timezone.localdate())
        with transaction.atomic():
            self._load(council, make_password(password))
        self.stdout.write(f"Loaded {len(council.cases)} cases in {len(council.teams)} teams.")
        if history:
            started = time.monotonic()
            # The history's notifications (inadequate grades, the escalations) would go to
            # invented addresses and fill the console on every first start: none is sent.
            with override_settings(EMAIL_BACKEND=SILENT_EMAIL):
                made = demo_history_build(seed=seed, today=timezone.localdate())
            names = ", ".join(cycle.name for cycle in made.values())
            self.stdout.write(
                f"Made {len(made)} audit cycles ({names}) with reports in "
                f"{time.monotonic() - started:.0f} s."
            )

    def _load(self, council, password_hash: str) -> None:
        teams = {
            name: Team.objects.create(name=name, service_area=area) for name, area in council.teams
        }
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in ALL_ROLES}
        default_template_install()
        staff: dict[str, Staff] = {}
        for row in council.staff:
            user = None
            if row.username:
                user = User.objects.create(
                    username=row.username,
                    first_name=row.name.split()[0],
                    last_name=row.name.split()[-1],
                    password=password_hash,
                    is_staff=row.username == "admin",
                    is_superuser=row.username == "admin",
                )
                user.groups.set([groups[role] for role in row.roles])
            member = Staff.objects.create(
                user=user,
                staff_ref=row.staff_ref,
                name=row.name,
                email=f"{row.staff_ref.lower()}@council.example",
                team=teams.get(row.team),
                capacity=row.capacity,
            )
            member.managed_teams.set([teams[name] for name in row.managed])
            staff[row.staff_ref] = member
        Case.objects.bulk_create(
            Case(
                case_ref=row.case_ref,
                team=teams[row.team],
                case_type=row.case_type,
                opened_on=row.opened_on,
                closed_on=row.closed_on,
                worker=staff[row.worker],
                manager=staff[row.manager],
                birth_year=row.birth_year,
            )
            for row in council.cases
        )
        case_ids = dict(Case.objects.values_list("case_ref", "id"))
        Allocation.objects.bulk_create(
            Allocation(
                case_id=case_ids[case_ref],
                staff=staff[staff_ref],
                role=role,
                from_date=start,
                to_date=end,
            )
            for case_ref, staff_ref, role, start, end in council.allocations
        )
        Conflict.objects.bulk_create(
            Conflict(
                auditor=staff[auditor],
                case_id=case_ids.get(case_ref),
                worker=staff.get(worker) if worker else None,
                reason=reason,
            )
            for auditor, case_ref, worker, reason in council.conflicts
        )
        event_record(
            actor=None,
            verb="demo.seeded",
            object_type="council",
            object_id="demo",
            after={"cases": len(council.cases), "staff": len(council.staff)},
        )
