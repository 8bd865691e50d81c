"""``{% evidence_panel audit %}`` / ``{% evidence_panel action %}``: the evidence of an audit
or an action, and the form to add a file, on the page that shows it. A tag rather than view
context, so the audit and action pages need one line each."""

from django import template
from django.conf import settings
from django.urls import reverse

from audits.core import evidence as rules
from audits.core.grading import questions
from audits.models import Audit
from audits.selectors import evidence as selectors

register = template.Library()


@register.inclusion_tag("audits/_evidence_panel.html", takes_context=True)
def evidence_panel(context, subject):
    user = context["request"].user
    if isinstance(subject, Audit):
        files = selectors.evidence_of_audit(user, subject)
        asked = questions(subject.template.definition)
        may_attach = selectors.can_attach_to_audit(user, subject)
        url = reverse("web:audit-evidence", args=[subject.pk])
        names = {"audit": subject, "questions": asked}
    else:
        files = selectors.evidence_of_action(user, subject)
        asked = []
        may_attach = selectors.can_attach_to_action(user, subject)
        url = reverse("web:action-evidence", args=[subject.pk])
        names = {"action": subject}
    texts = {q["key"]: q["text"] for q in asked}
    files = list(files)
    for found in files:
        found.question_text = texts.get(found.question_key, "")
    return {
        **names,
        "files": files,
        "may_attach": may_attach,
        "url": url,
        "heading_level": 3,
        "csrf_token": context.get("csrf_token"),
        "max_size": rules.size_words(settings.EVIDENCE_MAX_BYTES),
        "quota_size": rules.size_words(settings.EVIDENCE_QUOTA_BYTES),
        "quota_files": settings.EVIDENCE_QUOTA_FILES,
        "allowed": rules.ALLOWED_WORDS,
    }
