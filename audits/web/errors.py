"""Turning service errors into what a page shows: an error summary whose entries link to
the field each one is about, and the site's own 404 and 500 pages."""

from django.shortcuts import render

from audits.core.errors import DomainError
from audits.web.pages import page


def field_id(name: str) -> str:
    """The HTML id of the field a service error names: ``answers.risk_recognised`` is the
    answer to that question; other names are the field itself."""
    if name.startswith("answers."):
        return "answer-" + name.removeprefix("answers.")
    return name


def messages_of(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {text}" for key, texts in value.items() for text in messages_of(texts)]
    return [str(value)]


PLAIN_WORDS = {
    "This field may not be null.": "enter a value",
    "This field is required.": "enter a value",
    "This field may not be blank.": "enter a value",
    "A valid integer is required.": "enter a whole number",
}


def plain_words(messages) -> list[str]:
    """A serializer's messages for one field, in the words a page uses."""
    if isinstance(messages, dict):  # a list or dict field's errors, by position or key
        return [text for inner in messages.values() for text in plain_words(inner)]
    texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
    return [
        "enter a date like 2026-03-31"
        if text.startswith("Date has wrong format")
        else PLAIN_WORDS.get(text, text)
        for text in texts
    ]


def summary(
    error: DomainError, labels: dict[str, str] | None = None, *, default="", prefix=""
) -> dict:
    """``{"title", "items": [{"href", "text"}], "fields": {id: [messages]}}`` for a page.

    ``labels`` maps a field name to the words the page uses for it; a field the page does
    not know links to ``default`` (the form itself). ``prefix`` tells apart two forms on
    one page that have a field of the same name."""
    labels = labels or {}
    items, fields = [], {}
    for name, value in error.fields.items():
        texts = messages_of(value)
        known = name in labels
        target = prefix + field_id(name) if known else default
        for text in texts:
            label = labels.get(name, name.replace("_", " ").capitalize())
            items.append({"href": f"#{target}" if target else "", "text": f"{label}: {text}"})
        if known:
            fields[prefix + field_id(name)] = texts
    if not items:
        items.append({"href": f"#{default}" if default else "", "text": error.message})
    return {"title": error.message, "items": items, "fields": fields}


def not_found(request, exception=None):
    # With the menu and breadcrumbs of any page, so a wrong turn is one click from work.
    return page(request, "audits/404.html", status=404)


def forbidden(request, exception=None):
    return page(request, "audits/403.html", status=403)


def server_error(request):
    return render(request, "audits/500.html", status=500)
