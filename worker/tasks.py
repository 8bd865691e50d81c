"""Celery tasks: thin shells that load by id and call a service."""

import secrets
import socket

from celery import shared_task

from audits.models import WorkerHeartbeat


@shared_task(name="worker.tasks.ping")
def ping(token: str | None = None) -> None:
    """Record that a worker consumed a message; tests and /health use the row as proof."""
    WorkerHeartbeat.objects.get_or_create(
        token=token or secrets.token_hex(8), defaults={"hostname": socket.gethostname()}
    )


@shared_task(name="worker.tasks.remind_overdue_escalations")
def remind_overdue_escalations() -> int:
    from audits.services.escalations import escalations_remind_overdue

    return escalations_remind_overdue()


@shared_task(name="worker.tasks.remind_actions")
def remind_actions() -> dict:
    from audits.services.actions import actions_remind

    return actions_remind()
