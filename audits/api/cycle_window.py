"""The audit window through the cycle's update (``PATCH /api/v1/cycles/{id}/``): read with
the cycle, written through its service (a reason when the due date moves, every audit of
the cycle following it, its own Event), and the one thing still writable once drawn."""

from rest_framework import serializers

from audits.services import audit_window


def reason_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="why the audit window's due date moves (needed once it is set)",
    )


def validate_window(instance, attrs: dict) -> None:
    """Field errors for a window due before it opens."""
    window = {
        field: attrs.get(field, getattr(instance, field, None))
        for field in audit_window.WINDOW_FIELDS
    }
    problems = audit_window.window_problems(
        opens=window["audit_opens_on"], due=window["audit_due_date"]
    )
    if problems:
        raise serializers.ValidationError(problems)


def save_window(serializer, actor) -> bool:
    """Set the window from the validated data (taking it out); True if anything else is left
    for the ordinary update."""
    data = serializer.validated_data
    reason = data.pop("window_reason", "")
    window = {field: data.pop(field) for field in audit_window.WINDOW_FIELDS if field in data}
    if window:
        audit_window.cycle_window_set(
            cycle=serializer.instance,
            actor=actor,
            reason=reason,
            opens=window.get("audit_opens_on"),
            due=window.get("audit_due_date"),
        )
        serializer.instance.refresh_from_db()
    return bool(data) or not window
