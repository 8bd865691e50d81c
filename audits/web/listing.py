"""Lists that scale: one page of rows at a time (Django's Paginator), with the search,
filters and sort order read from GET parameters and kept in every page link.

A page with several lists gives each its own ``prefix`` (``sample_page``, ``sample_q``)
so that paging one list leaves the others where they are."""

import functools
from datetime import date, datetime
from html import escape

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

PER_PAGE = 50
# What a list never shows, and would otherwise read (and decode) once per row through
# select_related: a cycle's assignment summary (every unassignable case with every
# auditor's reasons: hundreds of kilobytes of JSON on a 2,000-case cycle), an audit's
# answers and texts, and the form's definition.
CYCLE_ROW_DEFERRED = ("assignment_summary",)
AUDIT_ROW_DEFERRED = (
    "answers",
    "rationale",
    "themes",
    "strengths",
    "improvements",
    "moderated_answers",
    "assignment__sampled_case__cycle__assignment_summary",
)
TEMPLATE_ROW_DEFERRED = ("template__definition", "template__description")
SEARCH_MAX = 40  # a case reference is short; a longer query is cut, not refused


def text_param(request, name: str) -> str:
    return (request.GET.get(name) or "").strip()[:SEARCH_MAX]


def int_param(request, name: str) -> int | None:
    raw = (request.GET.get(name) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def choice_param(request, name: str, allowed) -> str:
    raw = request.GET.get(name) or ""
    return raw if raw in allowed else ""


def _query_without(request, names: set[str]) -> str:
    """The current query string without ``names``, ending in ``&`` when not empty."""
    kept = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key not in names:
            kept.setlist(key, values)
    encoded = kept.urlencode()
    return f"{encoded}&" if encoded else ""


def paginate(
    request,
    rows,
    *,
    noun: tuple[str, str],
    prefix: str = "",
    per_page: int = PER_PAGE,
    anchor: str = "",
    sorts: dict | None = None,
    sort: str = "",
    keys_first: bool = False,
    show=None,
) -> dict:
    """One page of ``rows`` (a queryset or a list) and what the pagination include shows.

    ``noun`` is (singular, plural), as in "Showing 1 to 50 of 2,000 cases". ``keys_first``,
    for a list of at most a few thousand rows (a moderation queue, open escalations): every
    key of the list is read in order at once, which gives the count too, and then the
    page's rows: one query fewer than counting, then reading the page's keys.

    ``show(keys)``, when given, reads the page's rows by their keys alone (a queryset of
    dicts with ``pk``): ``rows`` then only chooses, filters and orders, and the joins a row
    shows are made for fifty rows, not planned again with every scope and filter of the
    list (a third of the moderation queue's time). The keys come from ``rows``, so the
    page shows nothing outside its scope."""
    param = f"{prefix}page"
    if keys_first and isinstance(rows, QuerySet):
        keys = list(rows.values_list("pk", flat=True))
        paginator = Paginator(keys, per_page)
        current = paginator.get_page(request.GET.get(param))
        page_rows = _rows_of(rows, list(current.object_list), show)
    else:
        paginator = Paginator(rows, per_page)
        current = paginator.get_page(request.GET.get(param))
        page_rows = _page_rows(rows, current.object_list, show)
    total = paginator.count
    numbers = [
        None if n == Paginator.ELLIPSIS else n
        for n in paginator.get_elided_page_range(current.number, on_each_side=1, on_ends=1)
    ]
    base = _query_without(request, {param})
    fragment = f"#{anchor}" if anchor else ""
    return {
        "rows": page_rows,
        "page": current,
        "total": total,
        "count_text": f"{total:,}",
        "first_text": f"{current.start_index():,}",
        "last_text": f"{current.end_index():,}",
        "noun": noun[0] if total == 1 else noun[1],
        "plural": noun[1],
        "numbers": numbers,
        "link": f"?{base}{param}=",
        "fragment": fragment,
        "several": paginator.num_pages > 1,
        "sort": sort,
        "sort_links": _sort_links(request, prefix, sorts or {}, sort, fragment),
    }


def _page_rows(rows, page, show=None) -> list:
    """The rows of one page. A queryset that reads related rows is read in two steps: the
    page's keys in the list's order (joining only what the filters and the order need), then
    those rows with everything they show. In one step PostgreSQL joins and sorts every row
    of the list (every case of a 2,000-case sample, through a scan of 100,000 cases) to keep
    fifty. A ``.values()`` queryset (rows as dicts, which need ``pk``) is read the same way:
    it names the joined columns it shows."""
    if not isinstance(rows, QuerySet):
        return list(page)
    as_dicts = rows._fields is not None
    if not (show or as_dicts or rows.query.select_related or rows.query.distinct):
        return list(page)
    keys = list(page.prefetch_related(None).values_list("pk", flat=True))
    return _rows_of(rows, keys, show)


def _rows_of(rows, keys: list, show) -> list:
    """The rows of ``keys`` in their order: by ``show`` if given, else by ``rows``."""
    if not keys:  # an empty page: nothing to build a query for
        return []
    if show is not None:
        return _in_order(show(keys), keys, as_dicts=True)
    return _in_order(rows.order_by().filter(pk__in=keys), keys, rows._fields is not None)


def _in_order(found, keys: list, as_dicts: bool) -> list:
    by_key = {row["pk"]: row for row in found} if as_dicts else {row.pk: row for row in found}
    return [by_key[key] for key in keys if key in by_key]


def _sort_links(request, prefix: str, sorts: dict, current: str, fragment: str) -> dict:
    """For each sortable column, the link that sorts by it (from the first page)."""
    param = f"{prefix}sort"
    base = _query_without(request, {param, f"{prefix}page"})
    return {name: f"?{base}{param}={name}{fragment}" for name in sorts if name != current}


def sorted_rows(request, rows, *, sorts: dict, default: str, prefix: str = ""):
    """``rows`` in the order named by the ``sort`` GET parameter (one of ``sorts``, whose
    values are ``order_by`` fields ending in ``pk`` so pages never overlap)."""
    sort = choice_param(request, f"{prefix}sort", sorts) or default
    return rows.order_by(*sorts[sort]), sort


@functools.lru_cache(maxsize=2048)
def _day_text(day: date, language: str) -> str:
    return date_format(day, "j M Y")


def day_text(value) -> str:
    """A date, or a moment's day where the council is, as "3 Dec 2026": what the template
    filter ``date:"j M Y"`` shows, made once per day a list shows (the filter on each of
    fifty rows was a sixth of the moderation queue's rendering)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return _day_text(value, get_language())


def moment_text(value) -> str:
    """A moment where the council is, as "3 Dec 2026 14:05" (``date:"j M Y H:i"``)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{_day_text(local.date(), get_language())} {local:%H:%M}"


def options_html(rows) -> SafeString:
    """``<option>`` elements from (value, label, selected) rows, escaped, made here: a
    hundred people in a picker, with no template loop and no ``format_html`` per person
    (each cost more than the escaping)."""
    return mark_safe(  # noqa: S308 - every value and label is escaped here
        "\n".join(
            f'<option value="{escape(str(value))}"{" selected" if selected else ""}>'
            f"{escape(str(label))}</option>"
            for value, label, selected in rows
        )
    )


_MARKER = 987654321  # a key no row has: reversed once, then replaced by each row's key


def link_to(name: str):
    """``reverse(name, args=[key])`` for every row of a list, reversed once: fifty
    ``{% url %}`` tags (three per row on the actions board) took more of a list page's time
    than reading its rows. Only for a route whose one argument is an integer key."""
    head, tail = reverse(name, args=[_MARKER]).split(str(_MARKER))
    return lambda key: f"{head}{int(key)}{tail}"
