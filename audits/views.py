"""The health check. The pages live in audits.web."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audits import health


@require_GET
@never_cache
def health_view(request):
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    body = {name: "ok" if good else "down" for name, good in checks.items()}
    body["status"] = "ok" if all(checks.values()) else "down"
    body.update(health.worker_report())
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
