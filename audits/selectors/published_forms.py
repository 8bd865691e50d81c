"""Published grading forms kept in each process.

A published form never changes (an edit makes the next version, see
services/templates.py; a retired one only changes status), so its definition, grade scale
and themes can be read once per process instead of on every autosave. A draft can still
change, so it is never kept: it is read from the database each time.
"""

from audits.models import Template

MAX_KEPT = 256  # forms; a council has a handful of versions
_published: dict[int, Template] = {}


def template_for_grading(template_id: int) -> Template:
    """The template with its definition, grade scale and themes: from this process's cache
    once it has been published, from the database while it is a draft. Callers read it;
    they must not change it."""
    template = _published.get(template_id)
    if template is not None:
        return template
    template = Template.objects.get(pk=template_id)
    if template.status != Template.Status.DRAFT:
        if len(_published) >= MAX_KEPT:
            _published.clear()
        _published[template_id] = template
    return template


def clear() -> None:
    """Forget every kept form (tests that rebuild the database call this: ids are reused)."""
    _published.clear()
