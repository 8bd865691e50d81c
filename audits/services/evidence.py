"""Evidence files: attach, remove, read back (checked), and purge with retention.

The bytes go to the ``evidence`` storage (``STORAGES["evidence"]``) under a random name;
the row keeps the type sniffed from the bytes and their SHA-256, which every read checks.
A file written for a transaction that then fails is removed again, and a deleted row's
file goes once the deletion commits: no file is left without its row.
"""

import hashlib
import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from audits.core import evidence as rules
from audits.core.errors import DomainError, Forbidden, StateConflict
from audits.infra import files
from audits.models import Action, Audit, Evidence
from audits.selectors import evidence as selectors
from audits.services.history import event_record

logger = logging.getLogger(__name__)
STORAGE = "evidence"


class EvidenceUnreadable(StateConflict):
    """The stored file is missing or is not the file that was uploaded."""


def _storage():
    return storages[STORAGE]


def _read_upload(upload) -> bytes:
    if upload is None or not getattr(upload, "name", ""):
        raise DomainError("Select a file", fields={"file": ["Select a file"]})
    if upload.size > settings.EVIDENCE_MAX_BYTES:  # refused before reading it
        message = rules.too_large(settings.EVIDENCE_MAX_BYTES)
        raise DomainError(message, fields={"file": [message]})
    return b"".join(upload.chunks())


def _check(data: bytes, content_type: str | None, *, audit, action) -> None:
    used_bytes, used_files = selectors.used(audit=audit, action=action)
    problem = rules.upload_problem(
        size=len(data),
        content_type=content_type,
        max_bytes=settings.EVIDENCE_MAX_BYTES,
        used_bytes=used_bytes,
        used_files=used_files,
        quota_bytes=settings.EVIDENCE_QUOTA_BYTES,
        quota_files=settings.EVIDENCE_QUOTA_FILES,
    )
    if problem:
        raise DomainError(problem, fields={"file": [problem]})


def _question_keys(audit: Audit) -> set[str]:
    from audits.core.grading import questions

    return {q["key"] for q in questions(audit.template.definition)}


def _may_attach_to_audit(actor, audit: Audit) -> None:
    if not selectors.is_audit_author(actor, audit):
        raise Forbidden("Only the audit's auditor can add evidence to its answers.")
    if not selectors.can_attach_to_audit(actor, audit):
        raise StateConflict("Evidence can be added only while the audit is being written.")


def _may_attach_to_action(actor, action: Action) -> None:
    if not selectors.may_update_action(actor, action):
        raise Forbidden("Only the action's owner or a manager of its team can add evidence.")
    if not selectors.can_attach_to_action(actor, action):
        raise StateConflict("Evidence can be added only while the action is open.")


def evidence_attach(
    *,
    actor,
    upload,
    audit: Audit | None = None,
    question_key: str = "",
    action: Action | None = None,
) -> Evidence:
    """Attach ``upload`` to an answer of ``audit`` (``question_key``) or to ``action``."""
    if (audit is None) == (action is None):
        raise DomainError("Attach the file to an audit's answer or to an action.")
    # Who may attach is answered before the file is read (and again under the row lock).
    if audit is not None:
        _may_attach_to_audit(actor, audit)
    else:
        _may_attach_to_action(actor, action)
    data = _read_upload(upload)
    content_type = rules.sniff(data)
    with transaction.atomic():
        # The row lock makes two uploads at once count against one quota in turn.
        if audit is not None:
            audit = (
                Audit.objects.select_for_update()
                .select_related("assignment__auditor", "template")
                .get(pk=audit.pk)
            )
            _may_attach_to_audit(actor, audit)
            if question_key not in _question_keys(audit):
                raise DomainError(
                    "Choose the question the evidence is for",
                    fields={"question_key": ["Choose the question the evidence is for"]},
                )
        else:
            action = Action.objects.select_for_update().select_related("owner").get(pk=action.pk)
            _may_attach_to_action(actor, action)
            question_key = ""
        _check(data, content_type, audit=audit, action=action)
        try:
            stored_name = _storage().save(f"{uuid.uuid4().hex}.bin", ContentFile(data))
        except Exception as error:  # object storage down or refusing: 503, nothing kept
            logger.error("evidence could not be stored: %r", error)
            raise files.StorageUnavailable(files.UNAVAILABLE) from error
        try:
            evidence = Evidence.objects.create(
                audit=audit,
                question_key=question_key,
                action=action,
                stored_name=stored_name,
                display_name=rules.display_name(upload.name, content_type),
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by=actor,
            )
            event_record(
                actor=actor, verb="evidence.attached", obj=evidence, after=_facts(evidence)
            )
        except BaseException:
            _storage().delete(stored_name)
            raise
    return evidence


def _facts(evidence: Evidence) -> dict:
    return {
        "audit": evidence.audit_id,
        "question_key": evidence.question_key,
        "action": evidence.action_id,
        "name": evidence.display_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
    }


def evidence_delete(*, actor, evidence: Evidence) -> None:
    """Remove a file: only its uploader, while the audit is editable or the action open."""
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if evidence.uploaded_by_id != actor.pk:
            raise Forbidden("Only the person who added this file can delete it.")
        if not selectors.can_delete(actor, evidence):
            raise StateConflict("This file is part of the record now and cannot be deleted.")
        event_record(actor=actor, verb="evidence.deleted", obj=evidence, before=_facts(evidence))
        stored_name = evidence.stored_name
        evidence.delete()
        transaction.on_commit(lambda: _storage().delete(stored_name))


def evidence_read(*, evidence: Evidence) -> bytes:
    """The file's bytes, checked against the SHA-256 taken when it was uploaded."""
    try:
        with _storage().open(evidence.stored_name, "rb") as stream:
            data = stream.read()
    except (FileNotFoundError, OSError):
        logger.error("evidence %s: the stored file is missing", evidence.pk)
        message = "This file cannot be found. Ask an administrator to restore it."
        raise EvidenceUnreadable(message) from None
    except Exception as error:  # object storage down: 503, try again later
        logger.error("evidence %s: the storage cannot be read: %r", evidence.pk, error)
        raise files.StorageUnavailable(files.UNAVAILABLE) from None
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        logger.error("evidence %s: the stored file does not match its SHA-256", evidence.pk)
        raise EvidenceUnreadable(
            "This file has changed since it was added, so it is not shown. "
            "Ask an administrator to restore it from a backup."
        )
    return data


def evidence_purge(evidence_rows) -> int:
    """Delete rows (a queryset) and, once that commits, their files. For the retention
    purge, which records its own Event."""
    names = list(evidence_rows.values_list("stored_name", flat=True))
    count = len(names)
    evidence_rows.delete()
    storage = _storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return count
