from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from audits.models import (
    AccessLog,
    Allocation,
    ApiToken,
    Case,
    Conflict,
    Event,
    GroupMapping,
    OpinionSettings,
    ProgrammeEntry,
    ProgrammeOccurrence,
    RetentionPolicy,
    SingleSignOnIdentity,
    Staff,
    Team,
)
from audits.services.history import event_record
from audits.services.opinion_settings import opinion_settings_save
from audits.services.staff import access_change_record, staff_access, user_roles

User = get_user_model()


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "service_area"]
    list_filter = ["service_area"]
    search_fields = ["name"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["staff_ref", "name", "team", "capacity", "is_active"]
    list_filter = ["team", "is_active"]
    search_fields = ["staff_ref", "name"]
    filter_horizontal = ["managed_teams"]
    list_select_related = ["team"]
    raw_id_fields = ["user"]

    # Managed teams are saved after the row (save_related), so the change is recorded there,
    # against the state read before the row was saved.
    def save_model(self, request, obj, form, change):
        stored = Staff.objects.filter(pk=obj.pk).select_related("team", "user").first()
        obj._access_before = staff_access(stored) if change and stored else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        staff = form.instance
        access_change_record(
            actor=request.user,
            subject=staff,
            before=getattr(staff, "_access_before", None),
            after=staff_access(staff),
            via="Django admin",
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserWithRecordedRolesAdmin(UserAdmin):
    """Django's user admin, with every change of a login's roles (groups, superuser)
    recorded as an Event against the person's staff record."""

    def save_model(self, request, obj, form, change):
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        obj._roles_before = user_roles(stored) if stored else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(user, "_roles_before", None)
        access_change_record(
            actor=request.user,
            subject=Staff.objects.filter(user=user).first() or user,
            before=None if before is None else {"roles": before},
            after={"roles": user_roles(user)},
            via="Django admin",
        )


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    raw_id_fields = ["staff"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["case_ref", "team", "case_type", "opened_on", "closed_on", "legal_hold"]
    list_filter = ["case_type", "team", "legal_hold"]
    search_fields = ["case_ref"]
    list_select_related = ["team"]
    raw_id_fields = ["worker", "manager"]
    inlines = [AllocationInline]

    def save_model(self, request, obj, form, change):
        # A case moved to another team changes who manages, samples and sees it.
        old_team = Case.objects.filter(pk=obj.pk).values_list("team__name", flat=True).first()
        super().save_model(request, obj, form, change)
        if change and old_team != obj.team.name:
            event_record(
                actor=request.user,
                verb="case.team_changed",
                obj=obj,
                before={"team": old_team},
                after={"team": obj.team.name},
                reason="changed through Django admin",
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False  # tokens are issued through the API so the raw key is shown once


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is append-only: visible to administrators, never editable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    """Conflicts are declared by auditors and changed or withdrawn by a manager of the team,
    with a reason, through the API (audits/services/conflicts.py); here they are only read."""

    list_display = ["auditor", "case", "worker", "reason", "declared_on"]
    list_select_related = ["auditor", "case", "worker"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "verb", "object_type", "object_id"]
    list_filter = ["verb", "object_type"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id"]
    list_filter = ["object_type"]


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["record_type", "months", "legal_hold"]


@admin.register(OpinionSettings)
class OpinionSettingsAdmin(admin.ModelAdmin):
    """One row of thresholds for the organisation; each save leaves an Event."""

    list_display = [
        "__str__",
        "substantial_lower",
        "reasonable_lower",
        "limited_lower",
        "substantial_alpha",
        "completion_caveat",
        "unaudited_share_max",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not OpinionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False  # a report states the thresholds it used; change them, never remove

    def save_model(self, request, obj, form, change):
        opinion_settings_save(row=obj, actor=request.user)


# The programme is set on its own pages and through the API (whose rules check the dates, the
# plan and the reason for a move or a skip); here it is read only, so the admin cannot step
# around those rules.
@admin.register(ProgrammeEntry)
class ProgrammeEntryAdmin(ReadOnlyAdmin):
    list_display = ["name", "year", "kind", "frequency", "month", "day"]
    list_filter = ["year", "kind"]


@admin.register(ProgrammeOccurrence)
class ProgrammeOccurrenceAdmin(ReadOnlyAdmin):
    list_display = ["entry", "scheduled_on", "moved_to", "skipped", "cycle"]
    list_select_related = ["entry"]


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    """Which identity-provider group gives which role and team: applied at each person's
    next sign-in (services/sso.py). Changes are recorded by the site (RecordedAdmin)."""

    list_display = ["group", "label", "role", "team", "manages"]
    list_filter = ["role", "team", "manages"]
    search_fields = ["group", "label"]
    list_select_related = ["team"]


@admin.register(SingleSignOnIdentity)
class SingleSignOnIdentityAdmin(admin.ModelAdmin):
    """Which provider subject signs in as which login. Adding one links an existing login
    before its first single sign-on (otherwise a new login is made)."""

    list_display = ["user", "issuer", "subject", "last_signed_in"]
    search_fields = ["user__username", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["first_signed_in", "last_signed_in", "groups"]
