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
    if isinstance(value, dict):  # a nested field's errors: the messages, never its keys
        return [text for texts in value.values() for text in messages_of(texts)]
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


def sentence(text: str, label: str = "", words: str | dict | None = None) -> str:
    """A message as the page says it. A service's sentence ("Enter a sample size, like 60")
    stands as it is; a terse one ("required") gives way to the page's own sentence for the
    field (``words``), else reads after the field's label ("The due date must ..."), never
    after its name."""
    text = str(text)
    if text[:1].isupper():
        return text
    if isinstance(words, dict):  # the page's sentence for each of the service's messages
        words = words.get(text)
    if words:
        return words
    if label and text.startswith(("must ", "cannot ")):
        return f"{label} {text}"
    if label:
        return f"{label}: {text}"
    return text[:1].upper() + text[1:]


def summary(
    error: DomainError,
    labels: dict[str, str] | None = None,
    *,
    default="",
    prefix="",
    words: dict[str, str | dict[str, str]] | None = None,
) -> dict:
    """``{"title", "items": [{"href", "text"}], "fields": {id: [messages]}}`` for a page:
    every error at once, in the GOV.UK error summary (``_error_summary.html``) and by its
    field, in the same words.

    ``labels`` maps a field name to the words the page uses for it; a field the page does
    not know links to ``default`` (the form itself).
    ``words`` gives the page's sentence for a field whose service message is terse (one
    sentence for the field, or one for each message).
    ``prefix`` tells apart two forms on one page that have a field of the same name."""
    labels, words = labels or {}, words or {}
    items, fields = [], {}
    for name, value in error.fields.items():
        known = name in labels
        label = labels.get(name, "")
        texts = list(
            dict.fromkeys(sentence(text, label, words.get(name)) for text in messages_of(value))
        )
        target = prefix + field_id(name) if known else default
        for text in texts:
            items.append({"href": f"#{target}" if target else "", "text": text})
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
