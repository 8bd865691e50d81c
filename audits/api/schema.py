"""How the OpenAPI schema describes each operation, so that clients generated from it work:
operation ids without dots, one tag per resource, a one-line summary, and every 4xx the
operation can answer with the one error body (``Error``) the exception handler writes."""

import inspect
import re

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from audits.api.permissions import RolePermission


class ErrorSerializer(serializers.Serializer):
    """What ``audits.api.errors`` answers: ``detail`` in words and, for bad input, each
    field named with its messages (``{"cycle": ["not found"]}``)."""

    detail = serializers.CharField(required=False, help_text="What went wrong, in words.")


ERROR_WORDS = {
    400: "Bad input: `detail` and each field with its messages.",
    401: "No valid token or session.",
    403: "Your role may not do this.",
    404: "Not found, or outside what you may see.",
    409: "The object's state forbids this now (for example: not drawn, not ready, changed).",
    415: "The body is not in a media type this operation reads (JSON, or multipart for files).",
}
NOT_DRAWN = OpenApiResponse(description="The cycle's sample has not been drawn yet.")
NOT_READY = OpenApiResponse(description="The report is not ready yet.")
NO_BODY = "No response body"  # drf-spectacular's words for a response named without one
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}

# How the generic actions read in a summary; custom actions use their docstring's first line.
GENERIC_SUMMARIES = {
    "list": "List the {plural} you may see",
    "retrieve": "One {singular} by id",
    "create": "Create {a} {singular}",
    "update": "Replace {a} {singular}",
    "partial_update": "Change some fields of {a} {singular}",
    "destroy": "Delete {a} {singular}",
}


def _singular(plural: str) -> str:
    if plural == "staff":
        return "staff member"
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    return plural[:-1] if plural.endswith("s") else plural


def _first_words(doc: str) -> str:
    """A docstring's first sentence, cut before a clause or an aside when it runs long."""
    line = doc.split("\n\n")[0].split(". ")[0].replace("\n", " ").rstrip(".")
    for mark in ("; ", " ("):
        if len(line) > 80 and mark in line:
            line = line.split(mark)[0]
    return line


class AutoSchema(openapi.AutoSchema):
    def get_operation_id(self) -> str:
        # "reports_audits.csv_retrieve" is not a name a generator can make a function of.
        return re.sub(r"[^A-Za-z0-9_]", "_", super().get_operation_id())

    def _resource(self) -> str:
        tags = self.get_tags()
        return tags[0].replace("-", " ") if tags else "item"

    def get_summary(self) -> str | None:
        explicit = super().get_summary()
        if explicit:
            return explicit
        action = getattr(self.view, "action", None)
        method_name = action or self.method.lower()
        own_doc = get_doc(getattr(self.view, method_name, None))
        if own_doc:
            return _first_words(own_doc)
        plural = self._resource()
        if action in GENERIC_SUMMARIES:
            singular = _singular(plural)
            a = "an" if singular[0] in "aeiou" else "a"
            return GENERIC_SUMMARIES[action].format(plural=plural, singular=singular, a=a)
        view_doc = get_doc(type(self.view))
        if view_doc and not action:
            return _first_words(view_doc)
        words = method_name.replace("_", " ")
        return f"{words.capitalize()} ({_singular(plural)})"

    def get_description(self) -> str:
        """The action's docstring, else the view class's own: never one inherited from a
        base class (``RecordedWrites`` explains itself to developers, not to clients)."""
        action = getattr(self.view, "action", None) or self.method.lower()
        own = get_doc(getattr(self.view, action, None))
        return own or inspect.cleandoc(type(self.view).__dict__.get("__doc__") or "")

    def _needs_auth(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _has_role_gate(self) -> bool:
        return any(isinstance(p, RolePermission) for p in self.view.get_permissions())

    def error_codes(self) -> set[int]:
        """The 4xx this operation can answer, from what the view checks."""
        codes = set()
        has_path_id = "{" in self.path
        is_write = self.method in WRITE_METHODS
        if self._needs_auth():
            codes.add(401)
            if is_write:
                codes.add(403)  # RolePermission refuses writes; services raise Forbidden
        if is_write or self._is_list_view() or self.get_filter_backends():
            codes.add(400)  # bad input, or an unknown or bad query parameter on a list
        if has_path_id or (self.method == "GET" and self._has_role_gate()):
            codes.add(404)  # reads by a role that may not see it answer 404, as out of scope
        if is_write and self._needs_auth():
            codes.add(409)
        if self.method in BODY_METHODS:
            codes.add(415)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # The rules' 4xx, and any the view names itself (``409: NOT_READY``), with the body.
        named = {code for code in responses if code.startswith("4")}
        for code in {str(c) for c in self.error_codes()} | named:
            documented = responses.get(code, {})
            if "content" in documented:
                continue
            described = self._get_response_for_code(ErrorSerializer, code, ["application/json"])
            words = documented.get("description")
            described["description"] = (
                words if words and words != NO_BODY else ERROR_WORDS.get(int(code), "")
            )
            responses[code] = described
        return dict(sorted(responses.items()))


def postprocess_error_component(result, generator, request, public):
    """``Error`` may carry any field name beside ``detail`` (field -> messages)."""
    error = result.get("components", {}).get("schemas", {}).get("Error")
    if error is not None:
        error["additionalProperties"] = {}
    return result
