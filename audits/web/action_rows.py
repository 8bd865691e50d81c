"""The actions board's last cell, made here for each row: the step a manager may take on the
action (mark it done with what was done, or verify it), why they may not verify it, or that
it is verified. In the template, with its forms, ids and hidden fields, this cell was two
thirds of the board's rendering (fifty rows; bench/pages.py). Every value is escaped."""

from html import escape

from django.utils.safestring import SafeString, mark_safe

MARK_DONE = """<details class="inline-details"><summary>Mark done<span class="visually-hidden"> \
(action {pk})</span></summary>
        <form method="post" action="{advance}">
          {csrf}<input type="hidden" name="status" value="done">\
<input type="hidden" name="back" value="{back}">
          <label for="evidence-{pk}">What was done?</label>
          <textarea name="evidence_note" id="evidence-{pk}" rows="2"></textarea>
          <button type="submit" class="secondary">Mark done</button>
        </form>
      </details>"""
VERIFY = """<form method="post" action="{advance}">
        {csrf}<input type="hidden" name="status" value="verified">\
<input type="hidden" name="back" value="{back}">
        <button type="submit" class="secondary">Verify<span class="visually-hidden"> action \
{pk}</span></button>
      </form>"""
NOT_VERIFIABLE = '<span class="hint">Done. {problem}</span>'


def csrf_input(token: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def update_cell(action: dict, *, csrf: str, back: str) -> SafeString:
    """The cell's content for one row (``action`` as ``actions._shown`` makes it); ``csrf``
    is ``csrf_input(get_token(request))``, ``back`` the board's address with its filters."""
    values = {
        "pk": int(action["pk"]),
        "advance": escape(action["links"]["advance"]),
        "back": escape(back),
        "csrf": csrf,
    }
    if action["status"] == "open":
        cell = MARK_DONE.format(**values)
    elif action["status"] == "done" and action["verify_problem"]:
        cell = NOT_VERIFIABLE.format(problem=escape(str(action["verify_problem"])))
    elif action["status"] == "done":
        cell = VERIFY.format(**values)
    else:
        cell = "Verified"
    return mark_safe(cell)  # noqa: S308 - every value above is escaped or an integer
