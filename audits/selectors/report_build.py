"""A report's content read and computed (no file, no row written): the inputs and details
from the selectors, the figures from the pure core, and the report hash over all three.

Also the report's *fingerprint*: a few aggregates over the rows the report covers (how many,
their versions, the newest change), read in a few queries (``fingerprint.py``). It is stored
with the report, so "has the data changed since?" compares two fingerprints instead of compiling the
whole report again inside a request.
"""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from audits.core.figures import compute_figures
from audits.core.opinion import OpinionThresholds
from audits.core.responses import response_figures
from audits.core.sampling import verify_script_text
from audits.models import Cycle
from audits.models.opinion import opinion_thresholds
from audits.selectors import external_access, snapshot
from audits.selectors.fingerprint import fingerprint_parts
from audits.selectors.report_appendix import AuditRows, audit_rows_streamed, sampled_rows_streamed
from audits.selectors.report_inputs import report_inputs
from audits.selectors.report_responses import response_inputs
from audits.selectors.sample_record import recheck_command

# One encoder for every call: json.dumps(..., cls=...) builds one per call, which at 100,000
# rows a report costs a second. Its text is the same.
_CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"))


def _canonical(data) -> str:
    return _CANONICAL.encode(data)


def canonical_hash(data) -> str:
    return hashlib.sha256(_canonical(data).encode()).hexdigest()


def canonical_hash_streamed(
    data, lists: Mapping[str, Iterable], encoded: Iterable[str] = ()
) -> str:
    """``canonical_hash`` of ``data`` in which each string value named in ``lists`` stands
    for the list of that iterable's items, read one at a time: the same digest as hashing the
    whole structure, without holding the lists. The items of the lists named in ``encoded``
    are already their canonical text (``_canonical``)."""
    encoded = set(encoded)
    text = _canonical(data)
    places = sorted((text.index(_canonical(name)), name) for name in lists)
    digest, start = hashlib.sha256(), 0
    for place, name in places:
        digest.update(text[start:place].encode() + b"[")
        for number, item in enumerate(lists[name]):
            item_text = item if name in encoded else _canonical(item)
            digest.update((b"," if number else b"") + item_text.encode())
        digest.update(b"]")
        start = place + len(_canonical(name))
    digest.update(text[start:].encode())
    return digest.hexdigest()


def report_build(
    cycle: Cycle, as_of: datetime, thresholds: OpinionThresholds | None = None
) -> tuple[dict, str, AuditRows, str]:
    """Inputs -> figures, and the report hash over the inputs, the details (every audit's
    and sampled case's row) and the figures; plus the audit rows (the CSV's and the
    appendix's, kept in a file: see ``AuditRows``) and the fingerprint of the same moment.
    The opinion uses ``thresholds``, by default the organisation's thresholds now. The
    figures hold no row per audit: the appendix is read from the rows."""
    verify = {}
    if hasattr(cycle, "frame"):
        # The report prints how to re-check the sample, not a re-check of its own.
        verify = {"command": recheck_command(cycle.frame), "script": verify_script_text()}
    rows = AuditRows()
    with snapshot.one_snapshot():  # figures, rows, hash and fingerprint of the same moment
        inputs = report_inputs(cycle, as_of)
        responses = response_inputs(cycle, as_of)
        fingerprint = report_fingerprint(cycle)
        figures = compute_figures(
            inputs, verify=verify, thresholds=thresholds or opinion_thresholds()
        )
        figures["practitioner_responses"] = response_figures(responses)
        # Who had external read access to the cycle, and how many reads they made.
        figures["external_access"] = external_access.report_rows(cycle, as_of)
        details = {"audits": "\0audits", "sampled": "\0sampled", "responses": responses}
        report_hash = canonical_hash_streamed(
            {"inputs": inputs, "details": details, "figures": figures},
            {
                "\0audits": rows.kept(audit_rows_streamed(cycle), _canonical),
                "\0sampled": sampled_rows_streamed(cycle),
            },
            encoded=["\0audits"],  # each row encoded once, for the file and the hash
        )
    return figures, report_hash, rows, fingerprint


def report_fingerprint(cycle: Cycle) -> str:
    """SHA-256 over what a report on ``cycle`` is computed from, cheaply: a few aggregates
    over the rows the report covers and the few inputs read whole (``fingerprint``)."""
    return canonical_hash(fingerprint_parts(cycle))
