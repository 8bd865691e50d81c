"""The administration site, with every change it makes recorded in the Event history.

Django's admin writes its own LogEntry, which the application can edit and which says only
which fields changed. Every model registered here, by this app or any other (users and
groups, django-axes' lockouts), gets ``RecordedAdmin`` in front of its ModelAdmin, so an
add, change, delete or bulk action leaves an Event with the actor, the object and the
values before and after, in the transaction that made the change.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.db import models, transaction
from django.db.models.query import QuerySet

from audits.services.history import event_record

SECRET_FIELDS = ("password", "key_hash")  # recorded as changed, never their value
CHANGED = "(changed)"


def _plain(value):
    """A form value as JSON-friendly plain data: related rows by their name."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(_plain(item) for item in value)
    return value


def _is_secret(name: str) -> bool:
    return any(secret in name for secret in SECRET_FIELDS)


def form_change(form, *, adding: bool) -> tuple[dict | None, dict]:
    """The fields a ModelForm changed: (before, after), secrets masked."""
    names = [name for name in form.changed_data if name in form.cleaned_data]
    before = (
        None
        if adding
        else {
            name: CHANGED if _is_secret(name) else _plain(form.initial.get(name)) for name in names
        }
    )
    after = {
        name: CHANGED if _is_secret(name) else _plain(form.cleaned_data.get(name)) for name in names
    }
    return before, after


def row_values(obj) -> dict:
    """A row as it stands, for the Event that records its deletion."""
    values = {}
    for field in obj._meta.concrete_fields:
        name = field.attname
        values[name] = CHANGED if _is_secret(name) else field.value_from_object(obj)
    return values


class RecordedAdmin:
    """Put in front of a ModelAdmin: the Event of each change it makes."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # log_addition / log_change come after the many-to-many fields and inlines are
        # saved, in the same transaction, and record the Event with this difference.
        obj._recorded_change = form_change(form, adding=not change)

    def log_addition(self, request, obj, message):
        _, after = getattr(obj, "_recorded_change", (None, {}))
        event_record(actor=request.user, verb="created", obj=obj, after=after or row_values(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        before, after = getattr(obj, "_recorded_change", (None, None))
        if after is None:  # a change not made through the model's form (a password)
            after = {"change": _message_text(message)}
        event_record(actor=request.user, verb="updated", obj=obj, before=before, after=after)
        return super().log_change(request, obj, message)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            event_record(actor=request.user, verb="created", obj=obj, after=row_values(obj))
        for obj, changed in formset.changed_objects:
            event_record(
                actor=request.user,
                verb="updated",
                obj=obj,
                after={name: _plain(getattr(obj, name, None)) for name in changed},
            )
        for obj in formset.deleted_objects:
            event_record(
                actor=request.user,
                verb="deleted",
                object_type=obj._meta.model_name,
                object_id=obj.pk if obj.pk is not None else "",
                before=row_values(obj),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            event_record(actor=request.user, verb="deleted", obj=obj, before=row_values(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                event_record(actor=request.user, verb="deleted", obj=obj, before=row_values(obj))
            super().delete_queryset(request, queryset)

    def response_action(self, request, queryset):
        """Any other bulk action (django-axes' clean-up of lockouts, say) is recorded with
        its name and the rows it was asked to act on."""
        name = request.POST.get("action", "")
        if name == "delete_selected":  # each deleted row is recorded by delete_queryset
            return super().response_action(request, queryset)
        with transaction.atomic():
            response = super().response_action(request, queryset)
            chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if chosen:
                event_record(
                    actor=request.user,
                    verb=f"admin.{name}"[:60],
                    object_type=self.model._meta.model_name,
                    after={"chosen": chosen},
                )
        return response


def _message_text(message) -> str:
    if isinstance(message, list):
        return "; ".join(
            " ".join(f"{verb} {detail}" for verb, detail in item.items()) for item in message
        )
    return str(message)


class RecordedAdminSite(admin.AdminSite):
    """The site every ``admin.register`` goes to (``AdminConfig.default_site``)."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, RecordedAdmin):
            admin_class = type(
                admin_class.__name__,
                (RecordedAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def password_change(self, request, extra_context=None):
        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            event_record(
                actor=request.user,
                verb="updated",
                obj=request.user,
                after={"password": CHANGED},
            )
        return response
