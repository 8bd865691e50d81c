"""Domain errors raised by services; the API and the pages turn them into 400 / 403 / 409."""

from typing import Any


class DomainError(Exception):
    """Bad input for the operation (HTTP 400). ``fields`` maps a field to its messages."""

    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message}
        body.update(self.fields)
        body.update(self.extra)
        return body


class StateConflict(DomainError):
    """The object's state or version forbids the change (HTTP 409)."""

    status_code = 409


class Forbidden(DomainError):
    """The person may see the object but not do this to it (HTTP 403)."""

    status_code = 403
